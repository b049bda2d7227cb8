// Sequential per-request latency: the /v1/me baseline, retrieval alone, and whole chat turns.
#include <cstdio>

#include "bench/chat/chat_bench.h"

namespace ragd::bench {
namespace {

struct Outcome {
  bool ok = false;
  double total_ms = 0;
  double first_ms = 0;
  std::string error;
};

Outcome Me(HttpConnection& conn, const Headers& auth) {
  Outcome o;
  StatusOr<TimedResponse> r = conn.Send("GET", "/v1/me", auth);
  if (!r.ok()) return {false, 0, 0, r.status().message()};
  o.ok = r->status == 200;
  if (!o.ok) o.error = "/v1/me HTTP " + std::to_string(r->status);
  o.total_ms = r->total_ms;
  o.first_ms = r->first_byte_ms;
  return o;
}

// `mode` empty: the bot's search type (hybrid by default).
Outcome Search(HttpConnection& conn, const Headers& auth, const std::string& bot,
               const std::string& question, const std::string& mode) {
  Outcome o;
  StatusOr<TimedResponse> r = conn.Send("GET",
                                        "/v1/bots/" + bot + "/search?q=" + UrlEncode(question) +
                                            (mode.empty() ? "" : "&mode=" + mode),
                                        auth);
  if (!r.ok()) return {false, 0, 0, r.status().message()};
  // An empty result is an answer too (BM25 alone finds nothing for a question of rare words).
  o.ok = r->status == 200 && r->body.find("\"results\":[") != std::string::npos;
  if (!o.ok) o.error = "search HTTP " + std::to_string(r->status) + " " + r->body.substr(0, 200);
  o.total_ms = r->total_ms;
  o.first_ms = r->first_byte_ms;
  return o;
}

Outcome Chat(HttpConnection& conn, const Headers& auth, const std::string& conversation,
             const std::string& question) {
  Headers headers = auth;
  headers.emplace_back("Content-Type", "application/json");
  headers.emplace_back("Accept", "text/event-stream");
  const std::string body = nlohmann::json{{"content", question}}.dump();
  const auto start = SteadyClock::now();
  double first_delta_ms = -1;
  int deltas = 0;
  std::string end_event, error_data;
  SseScanner sse([&](std::string_view event, std::string_view data) {
    if (event == "delta") {
      if (deltas++ == 0) first_delta_ms = MillisBetween(start, SteadyClock::now());
    } else if (event == "done" || event == "error") {
      end_event = std::string(event);
      if (event == "error") error_data = std::string(data);
    }
  });
  StatusOr<TimedResponse> r =
      conn.Send("POST", "/v1/conversations/" + conversation + "/messages", headers, body,
                [&](std::string_view chunk) { sse.Feed(chunk); });
  if (!r.ok()) return {false, 0, 0, r.status().message()};
  Outcome o;
  o.total_ms = r->total_ms;
  o.first_ms = first_delta_ms;
  o.ok = r->status == 200 && end_event == "done" && deltas > 0;
  if (!o.ok) {
    o.error = "chat HTTP " + std::to_string(r->status) + " end=" + end_event +
              " deltas=" + std::to_string(deltas) + " " + error_data.substr(0, 200) +
              r->body.substr(0, 200);
  }
  return o;
}

void Record(KindStats& k, const Outcome& o) {
  if (!o.ok) {
    if (k.errors++ == 0) k.first_error = o.error;
    return;
  }
  k.total_ms.push_back(o.total_ms);
  k.first_event_ms.push_back(o.first_ms);
}

}  // namespace

StatusOr<std::vector<KindStats>> RunLatency(const Url& server, const std::string& key,
                                            const std::string& bot,
                                            const std::vector<std::string>& questions,
                                            const LatencyOptions& options) {
  HttpConnection conn(server.host, server.port);
  const Headers auth = {{"Authorization", "Bearer " + key}};
  const int total = options.turns + options.warmup;
  RAGD_ASSIGN_OR_RETURN(std::vector<std::string> conversations,
                        CreateConversations(conn, key, bot, total));
  // The order matches KindStats' contract in chat_bench.h: baseline first, chat last.
  std::vector<KindStats> kinds(5);
  kinds[0].name = "GET /v1/me (auth + HTTP baseline)";
  kinds[1].name = "GET /v1/bots/{bot}/search (retrieval, the bot's hybrid mode)";
  kinds[2].name = "GET .../search?mode=lexical (BM25 alone)";
  kinds[3].name = "GET .../search?mode=semantic (vectors alone)";
  kinds[4].name = "POST /v1/conversations/{id}/messages, SSE (chat turn)";
  const char* kModes[] = {"", "", "lexical", "semantic", ""};
  const size_t kChat = kinds.size() - 1;
  // Warm-up (not recorded): connections, caches, the index pages.
  for (int i = 0; i < options.warmup; ++i) {
    Me(conn, auth);
    Search(conn, auth, bot, questions[static_cast<size_t>(i) % questions.size()], "");
    Chat(conn, auth, conversations[static_cast<size_t>(i)],
         questions[static_cast<size_t>(i) % questions.size()]);
  }
  int done = 0;
  while (done < options.turns) {
    const int n = std::min(options.block, options.turns - done);
    for (size_t kind = 0; kind < kinds.size(); ++kind) {
      const int64_t cpu0 = ProcessCpuNanos(options.ragd_pid);
      const int64_t mock0 = options.mock_pid > 0 ? ProcessCpuNanos(options.mock_pid) : 0;
      for (int i = 0; i < n; ++i) {
        const size_t q = static_cast<size_t>(done + i) % questions.size();
        Outcome o;
        if (kind == 0) o = Me(conn, auth);
        if (kind > 0 && kind < kChat) o = Search(conn, auth, bot, questions[q], kModes[kind]);
        if (kind == kChat) {
          o = Chat(conn, auth, conversations[static_cast<size_t>(options.warmup + done + i)],
                   questions[q]);
        }
        Record(kinds[kind], o);
      }
      kinds[kind].server_cpu_ns += ProcessCpuNanos(options.ragd_pid) - cpu0;
      if (options.mock_pid > 0 && kind == kChat) {
        kinds[kind].mock_cpu_ns += ProcessCpuNanos(options.mock_pid) - mock0;
      }
    }
    done += n;
    if (done % 100 == 0) std::fprintf(stderr, "[chat-bench] %d/%d turns\n", done, options.turns);
  }
  return kinds;
}

}  // namespace ragd::bench
