// The chat benchmark's parts (see chat_bench.cc for what is measured and how to run it).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "bench/chat/bench_util.h"

namespace ragd::bench {

// Synthetic English-like text: 40 real function words at the top of a Zipf distribution
// (s = 1.05) over 20,000 words, the rest pronounceable pseudo-words of 4 or 6 letters (one token
// each for ragd's estimator). Deterministic for a seed.
class CorpusGenerator {
 public:
  explicit CorpusGenerator(uint64_t seed);
  // `paragraphs` paragraphs of about `words` words each (sentences of 8 to 16 words).
  std::string Document(int index, int paragraphs, int words);
  // A question of 6 to 12 words drawn from the same distribution.
  std::string Question();

 private:
  const std::string& Word();
  std::vector<std::string> vocab_;
  std::vector<double> cdf_;
  std::mt19937_64 rng_;
};

struct CorpusStats {
  int64_t documents = 0;
  int64_t chunks = 0;
  int64_t vectors = 0;
  bool reused = false;
  double ingest_seconds = 0;  // 0 when reused
  std::string embedder_id;
};

// Makes sure bot `bot` exists (shared, hashing embedder, fixed-size chunks of ~100 words, the
// extractive model) with at least `target_chunks` chunks, uploading generated documents through
// the API (POST document, PUT to the presigned URL) and waiting until they are indexed. A bot
// that already has enough chunks is reused as it is.
StatusOr<CorpusStats> EnsureCorpus(HttpConnection& conn, const std::string& admin_key,
                                   const std::string& bot, int64_t target_chunks);

// Runs one search (which starts the bot's in-memory BM25 build when it is large enough), then
// waits until no background index build runs ("optimizing": false); returns the seconds waited.
StatusOr<double> WaitOptimized(HttpConnection& conn, const std::string& admin_key,
                               const std::string& bot);

// Switches the bot's model (PATCH; the knowledge base is kept).
Status SetModel(HttpConnection& conn, const std::string& admin_key, const std::string& bot,
                const std::string& provider, const std::string& model_id);

// Creates `n` conversations with `bot` for `key`; returns their ids.
StatusOr<std::vector<std::string>> CreateConversations(HttpConnection& conn, const std::string& key,
                                                       const std::string& bot, int n);

// Latency of one request kind over a sequential run.
struct KindStats {
  std::string name;
  std::vector<double> total_ms;
  std::vector<double> first_event_ms;  // chat: first delta; others: first byte
  int64_t server_cpu_ns = 0;           // ragd's CPU time while this kind ran
  int64_t mock_cpu_ns = 0;             // the model mock's (chat on the openai provider)
  int errors = 0;
  std::string first_error;
};

struct LatencyOptions {
  int turns = 500;
  int block = 25;  // requests of one kind in a row (CPU time is read around each block)
  int warmup = 20;
  pid_t ragd_pid = 0;
  pid_t mock_pid = 0;  // 0: no mock
};

// Sequential requests over one keep-alive connection, interleaved in blocks: GET /v1/me (auth +
// HTTP baseline), GET /v1/bots/{bot}/search in the bot's mode, lexical and semantic (retrieval),
// POST .../messages with SSE read to the end (a whole chat turn, each in a fresh conversation).
// Returns one KindStats per kind in that order: the baseline first, the chat turn last.
StatusOr<std::vector<KindStats>> RunLatency(const Url& server, const std::string& key,
                                            const std::string& bot,
                                            const std::vector<std::string>& questions,
                                            const LatencyOptions& options);

struct ConcurrencyOptions {
  int streams = 1000;
  int tokens = 200;
  int token_delay_ms = 25;
  int timeout_s = 120;
  pid_t ragd_pid = 0;
  pid_t mock_pid = 0;
};

struct ConcurrencyResult {
  int completed = 0;  // "done" event and a complete response
  int connect_errors = 0;
  int http_errors = 0;    // non-200
  int sse_errors = 0;     // an "error" event
  int incomplete = 0;     // closed or timed out before "done"
  int short_streams = 0;  // done, but fewer deltas than tokens
  int notices = 0;        // completed with a "notice" event (e.g. degraded to extractive)
  std::string first_error;
  std::string short_example;           // the first short stream: deltas, notice, done data
  std::vector<double> headers_ms;      // request sent -> response head
  std::vector<double> first_delta_ms;  // request sent -> first delta event
  std::vector<double> total_ms;        // request sent -> end of the response
  double wall_s = 0;                   // first connect -> last stream finished
  int64_t rss_before_kb = 0;
  int64_t rss_peak_sampled_kb = 0;  // max VmRSS sampled every 50 ms during the run
  int64_t hwm_after_kb = 0;         // VmHWM (peak since start) after the run
  int threads_peak = 0;
  double ragd_cpu_s = 0;
  double mock_cpu_s = 0;
};

// Opens `streams` SSE chats at once (one conversation each, Connection: close), reads each to its
// end and samples ragd's RSS. The mock must already be scripted.
StatusOr<ConcurrencyResult> RunConcurrency(const Url& server, const std::string& key,
                                           const std::vector<std::string>& conversations,
                                           const std::vector<std::string>& questions,
                                           const ConcurrencyOptions& options);

}  // namespace ragd::bench
