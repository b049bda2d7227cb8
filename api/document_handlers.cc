// /v1/bots/{bot}/documents: the presigned upload flow, status, deletion; S3 event notifications.
#include "api/bot_handlers.h"
#include "api/json_body.h"
#include "aws/uri_encode.h"
#include "core/clock.h"
#include "core/json_access.h"
#include "engine/engine.h"
#include "ingest/parsers/registry.h"

namespace ragd {
namespace {

nlohmann::json DocumentJson(const Document& d) {
  nlohmann::json j = {
      {"document_id", d.id},
      {"filename", d.filename},
      {"content_type", d.content_type},
      {"size", d.size},
      {"sha256", d.sha256.empty() ? nlohmann::json() : nlohmann::json(d.sha256)},
      {"status", d.status},
      {"progress",
       {{"done", d.progress_done}, {"total", d.progress_total}, {"unit", d.progress_unit}}},
      {"title", d.title},
      {"page_count", d.page_count},
      {"chunk_count", d.chunk_count},
      {"duplicate_of", d.duplicate_of.empty() ? nlohmann::json() : nlohmann::json(d.duplicate_of)},
      {"error", d.error.empty() ? nlohmann::json() : nlohmann::json(d.error)},
      {"tags", d.tags},
      {"created_at", FormatRfc3339Millis(d.created_at_ms)},
      {"updated_at", FormatRfc3339Millis(d.updated_at_ms)}};
  return j;
}

// The document in {id}, if it belongs to the bot (404 otherwise).
StatusOr<Document> BotDocument(ApiContext& ctx, const Bot& bot, const Request& req) {
  const std::string& id = req.path_params.at("id");
  StatusOr<Document> doc = ctx.engine->documents().Get(id);
  if (!doc.ok() || doc->bot_id != bot.id) {
    if (doc.ok() || doc.status().code() == StatusCode::kNotFound) {
      return NotFoundError("no document " + id + " in bot '" + bot.key + "'");
    }
    return doc.status();
  }
  return doc;
}

StatusOr<std::vector<std::string>> Tags(const nlohmann::json& body) {
  std::vector<std::string> tags;
  if (!body.contains("tags") || body["tags"].is_null()) return tags;
  const auto& t = body["tags"];
  if (!t.is_array() || t.size() > 20)
    return UnprocessableError("tags", "an array of at most 20 strings");
  for (const auto& tag : t) {
    if (!tag.is_string() || tag.get<std::string>().empty() || tag.get<std::string>().size() > 64) {
      return UnprocessableError("tags", "each tag is a string of 1 to 64 bytes");
    }
    tags.push_back(tag.get<std::string>());
  }
  return tags;
}

}  // namespace

StatusOr<Response> HandleCreateDocument(ApiContext& ctx, Request& req) {
  RAGD_ASSIGN_OR_RETURN(Bot bot, WritableBot(ctx, req));
  RAGD_ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonObject(req));
  NewDocument doc;
  RAGD_ASSIGN_OR_RETURN(doc.filename, RequiredString(body, "filename"));
  if (doc.filename.size() > 255) return UnprocessableError("filename", "at most 255 bytes");
  RAGD_ASSIGN_OR_RETURN(doc.content_type, RequiredString(body, "content_type"));
  RAGD_RETURN_IF_ERROR(ParserFor(doc.content_type, doc.filename).status());
  if (!body.contains("size") || !body["size"].is_number_integer()) {
    return UnprocessableError("size", "the file's size in bytes is required");
  }
  doc.size = body["size"].get<int64_t>();
  if (doc.size < 1) return UnprocessableError("size", "must be at least 1 byte");
  if (doc.size > ctx.config->objects_max_upload_bytes) {
    return TooLargeError("the file is " + std::to_string(doc.size) + " bytes; the limit is " +
                         std::to_string(ctx.config->objects_max_upload_bytes));
  }
  RAGD_ASSIGN_OR_RETURN(doc.password, StringField(body, "password", ""));
  RAGD_ASSIGN_OR_RETURN(doc.tags, Tags(body));
  doc.bot_id = bot.id;
  doc.bot_key = bot.key;
  RAGD_ASSIGN_OR_RETURN(DocumentUpload created, ctx.engine->CreateDocument(bot, std::move(doc)));
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& [name, value] : created.upload.headers) headers[name] = value;
  nlohmann::json out = DocumentJson(created.document);
  out["upload"] = {{"url", created.upload.url},
                   {"method", created.upload.method},
                   {"headers", headers},
                   {"expires_at", FormatRfc3339(created.upload.expires_at)}};
  req.log().Info(
      "document created",
      {{"bot", bot.key}, {"document_id", created.document.id}, {"size", created.document.size}});
  Response r = Response::Json(201, out);
  r.headers.emplace_back("Cache-Control", "no-store");  // the URL is a credential
  return r;
}

StatusOr<Response> HandleListDocuments(ApiContext& ctx, Request& req) {
  RAGD_ASSIGN_OR_RETURN(Bot bot, ReadableBot(ctx, req));
  RAGD_ASSIGN_OR_RETURN(const int page, IntQueryParam(req, "limit", 100, 1, 1000));
  const size_t limit = static_cast<size_t>(page);
  const std::string after = req.QueryParam("after").value_or("");
  RAGD_ASSIGN_OR_RETURN(std::vector<Document> docs,
                        ctx.engine->documents().List(bot.id, limit + 1, after));
  nlohmann::json items = nlohmann::json::array();
  for (size_t i = 0; i < docs.size() && i < limit; ++i) items.push_back(DocumentJson(docs[i]));
  nlohmann::json out = {{"documents", items}, {"next", nullptr}};
  if (docs.size() > limit) out["next"] = docs[limit - 1].id;
  return Response::Json(200, out);
}

StatusOr<Response> HandleGetDocument(ApiContext& ctx, Request& req) {
  RAGD_ASSIGN_OR_RETURN(Bot bot, ReadableBot(ctx, req));
  RAGD_ASSIGN_OR_RETURN(Document doc, BotDocument(ctx, bot, req));
  return Response::Json(200, DocumentJson(doc));
}

StatusOr<Response> HandleDeleteDocument(ApiContext& ctx, Request& req) {
  RAGD_ASSIGN_OR_RETURN(Bot bot, WritableBot(ctx, req));
  RAGD_ASSIGN_OR_RETURN(Document doc, BotDocument(ctx, bot, req));
  RAGD_RETURN_IF_ERROR(ctx.engine->DeleteDocument(bot, doc));
  req.log().Info("document deleted", {{"bot", bot.key}, {"document_id", doc.id}});
  return Response::NoContent();
}

StatusOr<Response> HandleIngestDocument(ApiContext& ctx, Request& req) {
  RAGD_ASSIGN_OR_RETURN(Bot bot, WritableBot(ctx, req));
  RAGD_ASSIGN_OR_RETURN(Document doc, BotDocument(ctx, bot, req));
  RAGD_ASSIGN_OR_RETURN(Document queued, ctx.engine->RequestIngest(doc));
  return Response::Json(202, DocumentJson(queued));
}

StatusOr<Response> HandleS3Event(ApiContext& ctx, Request& req) {
  RAGD_ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonObject(req));
  // SNS wraps the event in "Message"; SQS in each record's "body". Unwrap both.
  auto unwrap = [](const nlohmann::json& j, const char* field) {
    if (j.contains(field) && j[field].is_string()) {
      nlohmann::json inner = nlohmann::json::parse(j[field].get<std::string>(), nullptr, false);
      if (!inner.is_discarded()) return inner;
    }
    return j;
  };
  body = unwrap(body, "Message");
  if (body.contains("Event") && body["Event"] == "s3:TestEvent") {
    return Response::Json(200, {{"accepted", 0}});
  }
  if (!body.contains("Records") || !body["Records"].is_array()) {
    return UnprocessableError("Records", "an S3 event notification has a Records array");
  }
  // SQS delivers each S3 event as a record "body" with its own Records: flatten them.
  std::vector<nlohmann::json> records;
  for (const nlohmann::json& raw : body["Records"]) {
    const nlohmann::json record = unwrap(raw, "body");
    if (record.contains("Records") && record["Records"].is_array()) {
      for (const auto& r : record["Records"]) records.push_back(r);
    } else {
      records.push_back(record);
    }
  }
  // Fields of the wrong type are skipped like records of other buckets: the notification format
  // is S3's, and one odd record must not fail the batch.
  auto text = [](const nlohmann::json& j, const char* field) {
    return JsonStringMember(j, field).value_or("");
  };
  int accepted = 0;
  for (const nlohmann::json& record : records) {
    if (text(record, "eventName").rfind("ObjectCreated:", 0) != 0) continue;
    const nlohmann::json& s3 = JsonMember(record, "s3");
    if (text(JsonMember(s3, "bucket"), "name") != ctx.config->objects_bucket) continue;
    const nlohmann::json& object = JsonMember(s3, "object");
    // S3 event keys are URL-encoded with '+' for spaces.
    std::string key = text(object, "key");
    if (key.empty()) continue;
    for (char& ch : key) {
      if (ch == '+') ch = ' ';
    }
    RAGD_ASSIGN_OR_RETURN(key, UriDecode(key));
    const int64_t size = JsonIntMember(object, "size");
    RAGD_ASSIGN_OR_RETURN(std::optional<Document> doc, ctx.engine->OnObjectStored(key, size, ""));
    if (doc) ++accepted;
  }
  return Response::Json(200, {{"accepted", accepted}});
}

}  // namespace ragd
