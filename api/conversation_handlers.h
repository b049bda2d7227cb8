// Handlers for conversations, chat messages, feedback and usage (conversation_handlers.cc).
#pragma once

#include "api/http.h"
#include "api/service.h"

namespace ragd {

StatusOr<Response> HandleCreateConversation(ApiContext& ctx, Request& req);
StatusOr<Response> HandleListConversations(ApiContext& ctx, Request& req);
StatusOr<Response> HandleGetConversation(ApiContext& ctx, Request& req);
StatusOr<Response> HandlePatchConversation(ApiContext& ctx, Request& req);
StatusOr<Response> HandleDeleteConversation(ApiContext& ctx, Request& req);
StatusOr<Response> HandleSearchConversations(ApiContext& ctx, Request& req);
// POST /v1/conversations/{id}/messages: one JSON answer, or SSE (sources, notice, delta, done |
// error) with Accept: text/event-stream.
StatusOr<Response> HandlePostMessage(ApiContext& ctx, Request& req);
StatusOr<Response> HandlePutFeedback(ApiContext& ctx, Request& req);
// GET /v1/admin/usage?from=&to=&group_by=bot|user|day
StatusOr<Response> HandleUsage(ApiContext& ctx, Request& req);

}  // namespace ragd
