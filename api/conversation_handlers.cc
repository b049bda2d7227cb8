// Conversations, messages (JSON or Server-Sent Events), feedback, conversation search, usage.
#include "api/conversation_handlers.h"

#include "api/bot_handlers.h"
#include "api/errors.h"
#include "api/json_body.h"
#include "api/stream_writer.h"
#include "core/clock.h"
#include "engine/chat.h"
#include "engine/engine.h"
#include "engine/guardrails.h"
#include "engine/usage.h"

namespace ragd {
namespace {

nlohmann::json SourceJson(const SourcePassage& s) {
  std::string snippet = s.text.substr(0, 300);
  // Do not cut a UTF-8 sequence in half.
  while (!snippet.empty() && (static_cast<unsigned char>(snippet.back()) & 0xC0) == 0x80)
    snippet.pop_back();
  if (!snippet.empty() && static_cast<unsigned char>(snippet.back()) >= 0xC0) snippet.pop_back();
  if (snippet.size() < s.text.size()) snippet += "…";
  return {{"number", s.number}, {"chunk_id", s.chunk_id}, {"document_id", s.document_id},
          {"title", s.title},   {"page", s.page},         {"heading_path", s.heading_path},
          {"snippet", snippet}, {"score", s.score}};
}

nlohmann::json SourcesJson(const std::vector<SourcePassage>& sources) {
  nlohmann::json out = nlohmann::json::array();
  for (const SourcePassage& s : sources) out.push_back(SourceJson(s));
  return out;
}

nlohmann::json ConversationJson(const Conversation& c) {
  return {{"conversation_id", c.id},
          {"bot_id", c.bot_id},
          {"title", c.title},
          {"created_at", FormatRfc3339Millis(c.created_at_ms)},
          {"updated_at", FormatRfc3339Millis(c.updated_at_ms)}};
}

nlohmann::json MessageJson(const Message& m) {
  nlohmann::json j = {{"message_id", m.id},
                      {"role", std::string(MessageRoleName(m.role))},
                      {"content", m.content},
                      {"status", std::string(MessageStatusName(m.status))},
                      {"created_at", FormatRfc3339Millis(m.created_at_ms)}};
  if (m.role == MessageRole::kAssistant) {
    j["reply_to"] = m.reply_to;
    j["sources"] = SourcesJson(m.sources);
    j["provider"] = m.provider;
    j["model"] = m.model;
    j["stop_reason"] = m.stop_reason;
    j["usage"] = {{"input_tokens", m.input_tokens}, {"output_tokens", m.output_tokens}};
    j["cost_usd"] = m.cost_usd();
    j["latency_ms"] = m.latency_ms;
    j["error"] = m.error.empty() ? nlohmann::json() : nlohmann::json(m.error);
    j["notice"] = m.notice.empty() ? nlohmann::json() : nlohmann::json(m.notice);
    j["feedback"] = nullptr;
    if (m.feedback) {
      j["feedback"] = {{"rating", m.feedback->rating},
                       {"category", m.feedback->category},
                       {"comment", m.feedback->comment},
                       {"at", FormatRfc3339Millis(m.feedback->at_ms)}};
    }
  }
  return j;
}

nlohmann::json DoneJson(const Message& m) {
  return {{"message_id", m.id},
          {"status", std::string(MessageStatusName(m.status))},
          {"stop_reason", m.stop_reason},
          {"usage", {{"input_tokens", m.input_tokens}, {"output_tokens", m.output_tokens}}},
          {"cost_usd", m.cost_usd()},
          {"latency_ms", m.latency_ms},
          {"notice", m.notice.empty() ? nlohmann::json() : nlohmann::json(m.notice)}};
}

// Event payloads never throw: text from documents and models is valid UTF-8 by construction, but a
// stray byte must not take the streaming thread down.
std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool WantsEventStream(const Request& req) {
  const std::string accept = req.Header("accept").value_or("");
  return accept.find("text/event-stream") != std::string::npos;
}

// One streamed chat turn, on a stream-executor thread: sources, notice, coalesced deltas, then
// done or error, and the end of the response.
void StreamTurn(ChatService& chat, const Caller& caller, const std::string& id,
                const std::string& content, const Logger& log, std::shared_ptr<StreamSink> sink) {
  std::shared_ptr<SseTurnWriter> writer = SseTurnWriter::Create(std::move(sink), &chat.streams());
  ChatStream stream;
  stream.on_sources = [&](const std::vector<SourcePassage>& sources) {
    return writer->Event("sources", Dump({{"sources", SourcesJson(sources)}}));
  };
  stream.on_notice = [&](std::string_view notice) {
    return writer->Event("notice", Dump({{"message", notice}}));
  };
  stream.on_delta = [&](std::string_view delta) { return writer->Delta(delta); };
  stream.cancelled = [&] { return writer->Cancelled(); };
  StatusOr<ChatTurn> turn = InternalError("unexpected failure");
  try {
    turn = chat.Send(caller, id, content, stream);
  } catch (const std::exception& e) {
    log.Error("chat turn threw", {{"error", e.what()}});
  }
  if (!turn.ok()) {
    writer->Event("error", Dump({{"code", ErrorCodeFor(HttpStatusFor(turn.status()))},
                                 {"message", turn.status().message()}}));
  } else if (turn->assistant.status == MessageStatus::kError) {
    writer->Event("error", Dump({{"code", "model_error"},
                                 {"message", turn->assistant.error},
                                 {"message_id", turn->assistant.id}}));
  } else {
    writer->Event("done", Dump(DoneJson(turn->assistant)));
  }
  if (!turn.ok()) log.Warn("chat turn failed", {{"error", turn.status().message()}});
  writer->Close();
}

StatusOr<int64_t> TimeParam(const Request& req, const char* name, int64_t fallback) {
  auto v = req.QueryParam(name);
  if (!v || v->empty()) return fallback;
  std::optional<std::chrono::system_clock::time_point> t = ParseRfc3339(*v);
  if (!t) return UnprocessableError(name, "must be an RFC 3339 time or a YYYY-MM-DD date");
  return UnixMillis(*t);
}

}  // namespace

StatusOr<Response> HandleCreateConversation(ApiContext& ctx, Request& req) {
  RAGD_ASSIGN_OR_RETURN(Bot bot, ReadableBot(ctx, req));
  std::string title;
  if (!req.body.empty()) {
    RAGD_ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonObject(req));
    RAGD_ASSIGN_OR_RETURN(title, StringField(body, "title", ""));
  }
  RAGD_ASSIGN_OR_RETURN(Conversation c,
                        ctx.chat->conversations().Create(bot.id, req.principal->key_id, title));
  nlohmann::json out = ConversationJson(c);
  out["bot"] = bot.key;
  return Response::Json(201, out);
}

StatusOr<Response> HandleListConversations(ApiContext& ctx, Request& req) {
  RAGD_ASSIGN_OR_RETURN(int limit, IntQueryParam(req, "limit", 20, 1, 100));
  int64_t bot_id = 0;
  if (auto key = req.QueryParam("bot")) {
    req.path_params["bot"] = *key;
    RAGD_ASSIGN_OR_RETURN(Bot bot, ReadableBot(ctx, req));
    bot_id = bot.id;
  }
  RAGD_ASSIGN_OR_RETURN(ConversationPage page, ctx.chat->conversations().List(
                                                   req.principal->key_id, limit,
                                                   req.QueryParam("cursor").value_or(""), bot_id));
  nlohmann::json items = nlohmann::json::array();
  for (const Conversation& c : page.conversations) items.push_back(ConversationJson(c));
  return Response::Json(
      200, {{"conversations", items},
            {"next_cursor",
             page.next_cursor.empty() ? nlohmann::json() : nlohmann::json(page.next_cursor)}});
}

StatusOr<Response> HandleGetConversation(ApiContext& ctx, Request& req) {
  const std::string& id = req.path_params.at("id");
  RAGD_ASSIGN_OR_RETURN(Conversation c, ctx.chat->conversations().Get(id, req.principal->key_id));
  RAGD_ASSIGN_OR_RETURN(std::vector<Message> messages,
                        ctx.chat->conversations().Messages(id, req.principal->key_id));
  nlohmann::json out = ConversationJson(c);
  nlohmann::json list = nlohmann::json::array();
  for (const Message& m : messages) list.push_back(MessageJson(m));
  out["messages"] = list;
  return Response::Json(200, out);
}

StatusOr<Response> HandlePatchConversation(ApiContext& ctx, Request& req) {
  RAGD_ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonObject(req));
  RAGD_ASSIGN_OR_RETURN(std::string title, RequiredString(body, "title"));
  RAGD_ASSIGN_OR_RETURN(
      Conversation c,
      ctx.chat->conversations().Rename(req.path_params.at("id"), req.principal->key_id, title));
  return Response::Json(200, ConversationJson(c));
}

StatusOr<Response> HandleDeleteConversation(ApiContext& ctx, Request& req) {
  RAGD_RETURN_IF_ERROR(
      ctx.chat->conversations().Delete(req.path_params.at("id"), req.principal->key_id));
  return Response::NoContent();
}

StatusOr<Response> HandleSearchConversations(ApiContext& ctx, Request& req) {
  const std::string q = req.QueryParam("q").value_or("");
  if (q.empty()) return UnprocessableError("q", "the query must not be empty");
  RAGD_ASSIGN_OR_RETURN(int limit, IntQueryParam(req, "limit", 20, 1, 100));
  RAGD_ASSIGN_OR_RETURN(std::vector<MessageSearchHit> hits,
                        ctx.chat->conversations().Search(req.principal->key_id, q, limit));
  nlohmann::json out = nlohmann::json::array();
  for (const MessageSearchHit& h : hits) {
    out.push_back({{"conversation_id", h.conversation_id},
                   {"conversation_title", h.conversation_title},
                   {"message_id", h.message_id},
                   {"role", std::string(MessageRoleName(h.role))},
                   {"snippet", h.snippet},
                   {"created_at", FormatRfc3339Millis(h.created_at_ms)}});
  }
  return Response::Json(200, {{"results", out}});
}

StatusOr<Response> HandlePostMessage(ApiContext& ctx, Request& req) {
  const std::string id = req.path_params.at("id");
  RAGD_ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonObject(req));
  if (!body.contains("content") || !body["content"].is_string()) {
    return UnprocessableError("content", "the message text is required");
  }
  const std::string content = body["content"].get<std::string>();
  const Caller caller = CallerOf(req);
  // Refuse what cannot start before any streaming: a JSON error, not an SSE one.
  RAGD_ASSIGN_OR_RETURN(Conversation conversation,
                        ctx.chat->conversations().Get(id, caller.key_id));
  if (WantsEventStream(req)) {
    RAGD_ASSIGN_OR_RETURN(Bot bot, ctx.engine->bots().GetById(conversation.bot_id));
    RAGD_RETURN_IF_ERROR(CheckInput(bot.config.guardrails, content).status());
  }
  if (!WantsEventStream(req)) {
    RAGD_ASSIGN_OR_RETURN(ChatTurn turn, ctx.chat->Send(caller, id, content, ChatStream{}));
    return Response::Json(
        200, {{"user_message", MessageJson(turn.user)}, {"message", MessageJson(turn.assistant)}});
  }
  // The turn runs on the chat service's stream executor, not on the worker pool that called this
  // handler: a stream lasts as long as the model talks. Beyond the cap, refuse now, before the
  // user's message is stored.
  StatusOr<StreamExecutor::Slot> slot = ctx.chat->streams().Reserve();
  if (!slot.ok()) {
    Response busy = ErrorResponse(UnavailableError(slot.status().message()), req.request_id);
    busy.headers.emplace_back("Retry-After", "1");
    return busy;
  }
  // std::function needs a copyable callable; the producer runs at most once.
  auto reservation = std::make_shared<StreamExecutor::Slot>(std::move(*slot));
  ChatService* chat = ctx.chat;
  Logger log = req.log();
  return Response::EventStream(
      [chat, caller, id, content, log, reservation](std::shared_ptr<StreamSink> sink) {
        chat->streams().Run(std::move(*reservation),
                            [chat, caller, id, content, log, sink = std::move(sink)] {
                              StreamTurn(*chat, caller, id, content, log, sink);
                            });
      });
}

StatusOr<Response> HandlePutFeedback(ApiContext& ctx, Request& req) {
  RAGD_ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonObject(req));
  Feedback f;
  RAGD_ASSIGN_OR_RETURN(f.rating, RequiredString(body, "rating"));
  RAGD_ASSIGN_OR_RETURN(f.category, StringField(body, "category", ""));
  RAGD_ASSIGN_OR_RETURN(f.comment, StringField(body, "comment", ""));
  const std::string& conversation = req.path_params.at("id");
  const std::string& msg = req.path_params.at("msg");
  RAGD_ASSIGN_OR_RETURN(Message m,
                        ctx.chat->conversations().GetMessage(msg, req.principal->key_id));
  if (m.conversation_id != conversation) return NotFoundError("no message " + msg);
  RAGD_ASSIGN_OR_RETURN(Message updated,
                        ctx.chat->conversations().SetFeedback(msg, req.principal->key_id, f));
  return Response::Json(200, MessageJson(updated));
}

StatusOr<Response> HandleUsage(ApiContext& ctx, Request& req) {
  const int64_t now = UnixMillis(ctx.clock->Now());
  RAGD_ASSIGN_OR_RETURN(int64_t from, TimeParam(req, "from", now - 30LL * 86400 * 1000));
  RAGD_ASSIGN_OR_RETURN(int64_t to, TimeParam(req, "to", now + 1));
  if (to <= from) return UnprocessableError("to", "must be after from");
  RAGD_ASSIGN_OR_RETURN(UsageGroupBy group,
                        ParseUsageGroupBy(req.QueryParam("group_by").value_or("day")));
  RAGD_ASSIGN_OR_RETURN(std::vector<UsageRow> rows, UsageTotals(*ctx.db, from, to, group));
  nlohmann::json groups = nlohmann::json::array();
  UsageRow total;
  for (const UsageRow& r : rows) {
    groups.push_back({{"key", r.key},
                      {"messages", r.messages},
                      {"errors", r.errors},
                      {"input_tokens", r.input_tokens},
                      {"output_tokens", r.output_tokens},
                      {"cost_usd", r.cost_usd()}});
    total.messages += r.messages;
    total.errors += r.errors;
    total.input_tokens += r.input_tokens;
    total.output_tokens += r.output_tokens;
    total.cost_nanousd += r.cost_nanousd;
  }
  return Response::Json(200, {{"from", FormatRfc3339Millis(from)},
                              {"to", FormatRfc3339Millis(to)},
                              {"group_by", req.QueryParam("group_by").value_or("day")},
                              {"groups", groups},
                              {"totals",
                               {{"messages", total.messages},
                                {"errors", total.errors},
                                {"input_tokens", total.input_tokens},
                                {"output_tokens", total.output_tokens},
                                {"cost_usd", total.cost_usd()}}}});
}

}  // namespace ragd
