// Handlers for bots and their documents, plus the access helpers they share.
#pragma once

#include "api/http.h"
#include "api/service.h"
#include "engine/bot_store.h"

namespace ragd {

Caller CallerOf(const Request& req);
// The bot in path parameter {bot} if the caller may read it; 404 otherwise (never 403: a private
// bot's existence is not disclosed).
StatusOr<Bot> ReadableBot(ApiContext& ctx, const Request& req);
// Readable and changeable by the caller (admin or owner); 403 for readers who may not change it.
StatusOr<Bot> WritableBot(ApiContext& ctx, const Request& req);

// bot_handlers.cc
StatusOr<Response> HandleCreateBot(ApiContext& ctx, Request& req);
StatusOr<Response> HandleListBots(ApiContext& ctx, Request& req);
StatusOr<Response> HandleGetBot(ApiContext& ctx, Request& req);
StatusOr<Response> HandlePatchBot(ApiContext& ctx, Request& req);
StatusOr<Response> HandleDeleteBot(ApiContext& ctx, Request& req);
StatusOr<Response> HandleSearch(ApiContext& ctx, Request& req);

// document_handlers.cc
StatusOr<Response> HandleCreateDocument(ApiContext& ctx, Request& req);
StatusOr<Response> HandleListDocuments(ApiContext& ctx, Request& req);
StatusOr<Response> HandleGetDocument(ApiContext& ctx, Request& req);
StatusOr<Response> HandleDeleteDocument(ApiContext& ctx, Request& req);
StatusOr<Response> HandleIngestDocument(ApiContext& ctx, Request& req);
// POST /v1/events/s3: an S3 event notification (as S3 sends it to Lambda, SQS or SNS).
StatusOr<Response> HandleS3Event(ApiContext& ctx, Request& req);

}  // namespace ragd
