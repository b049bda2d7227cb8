// The chat benchmark's knowledge base: generated text uploaded through the real API.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <thread>

#include "bench/chat/chat_bench.h"

namespace ragd::bench {
namespace {

constexpr int kVocabulary = 20000;
constexpr const char* kFunctionWords[] = {
    "the",  "of",    "and",  "to",    "a",    "in",   "is",   "that", "for",  "it",
    "as",   "with",  "was",  "on",    "be",   "by",   "this", "are",  "or",   "from",
    "at",   "which", "an",   "not",   "have", "has",  "can",  "will", "more", "also",
    "when", "how",   "what", "where", "its",  "into", "than", "each", "most", "other"};
constexpr const char* kQuestionStarts[] = {"what is", "how does",    "why do", "where can",
                                           "which",   "when should", "explain"};

std::string PseudoWord(int index) {
  static const char kConsonants[] = "bcdfghjklmnprstvwxz";  // 19
  static const char kVowels[] = "aeiou";                    // 5
  std::string w;
  const int syllables = index < 95 * 95 ? 2 : 3;
  for (int i = 0; i < syllables; ++i) {
    const int s = index % 95;
    index /= 95;
    w.push_back(kConsonants[s / 5]);
    w.push_back(kVowels[s % 5]);
  }
  return w;
}

}  // namespace

CorpusGenerator::CorpusGenerator(uint64_t seed) : rng_(seed) {
  for (const char* w : kFunctionWords) vocab_.emplace_back(w);
  for (int i = 0; static_cast<int>(vocab_.size()) < kVocabulary; ++i) {
    vocab_.push_back(PseudoWord(i * 7919 % (95 * 95 * 95)));  // spread over the syllable space
  }
  double sum = 0;
  for (int r = 1; r <= kVocabulary; ++r) {
    sum += 1.0 / std::pow(r, 1.05);
    cdf_.push_back(sum);
  }
  for (double& c : cdf_) c /= sum;
}

const std::string& CorpusGenerator::Word() {
  const double u = std::uniform_real_distribution<double>(0, 1)(rng_);
  const size_t i = std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin();
  return vocab_[std::min(i, vocab_.size() - 1)];
}

std::string CorpusGenerator::Document(int index, int paragraphs, int words) {
  std::string out = "Report " + std::to_string(index) + ": " + Word() + " " + Word() + "\n\n";
  std::uniform_int_distribution<int> sentence_len(8, 16);
  for (int p = 0; p < paragraphs; ++p) {
    int written = 0;
    while (written < words) {
      const int n = std::min(sentence_len(rng_), words - written);
      for (int i = 0; i < n; ++i) {
        std::string w = Word();
        if (i == 0) w[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(w[0])));
        out += w;
        out += i + 1 == n ? ". " : " ";
      }
      written += n;
    }
    out.back() = '\n';
    out += "\n";
  }
  return out;
}

std::string CorpusGenerator::Question() {
  std::uniform_int_distribution<size_t> start(0, std::size(kQuestionStarts) - 1);
  std::uniform_int_distribution<int> len(4, 10);
  std::string q = kQuestionStarts[start(rng_)];
  const int n = len(rng_);
  for (int i = 0; i < n; ++i) q += " " + Word();
  return q + "?";
}

namespace {

// Waits until every document is indexed (or failed); returns the bot's stats.
StatusOr<nlohmann::json> WaitIndexed(HttpConnection& conn, const std::string& admin_key,
                                     const std::string& bot) {
  for (int i = 0;; ++i) {
    RAGD_ASSIGN_OR_RETURN(nlohmann::json b, CallApi(conn, "GET", "/v1/bots/" + bot, admin_key));
    const nlohmann::json& s = b["stats"];
    if (s["indexed_documents"] == s["documents"]) return b;
    if (i % 10 == 0) {
      std::fprintf(stderr, "[chat-bench] indexing: %lld/%lld documents, %lld chunks\n",
                   s["indexed_documents"].get<long long>(), s["documents"].get<long long>(),
                   s["chunks"].get<long long>());
    }
    if (i > 3 * 3600) return DeadlineExceededError("indexing took over 3 hours");
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

}  // namespace

StatusOr<double> WaitOptimized(HttpConnection& conn, const std::string& admin_key,
                               const std::string& bot) {
  const auto start = SteadyClock::now();
  RAGD_RETURN_IF_ERROR(
      CallApi(conn, "GET", "/v1/bots/" + bot + "/search?q=warm+up", admin_key).status());
  for (int i = 0;; ++i) {
    RAGD_ASSIGN_OR_RETURN(nlohmann::json b, CallApi(conn, "GET", "/v1/bots/" + bot, admin_key));
    if (!b["stats"].value("optimizing", false)) break;
    if (i % 10 == 0) std::fprintf(stderr, "[chat-bench] waiting for index builds\n");
    if (i > 3600) return DeadlineExceededError("index builds took over an hour");
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  return MillisBetween(start, SteadyClock::now()) / 1000;
}

StatusOr<CorpusStats> EnsureCorpus(HttpConnection& conn, const std::string& admin_key,
                                   const std::string& bot, int64_t target_chunks) {
  CorpusStats stats;
  StatusOr<nlohmann::json> existing = CallApi(conn, "GET", "/v1/bots/" + bot, admin_key);
  if (existing.ok()) {
    const nlohmann::json& s = (*existing)["stats"];
    if (s["chunks"].get<int64_t>() >= target_chunks && s["indexed_documents"] == s["documents"]) {
      stats.documents = s["documents"];
      stats.chunks = s["chunks"];
      stats.vectors = s["vectors"];
      stats.embedder_id = (*existing)["embedder_id"];
      stats.reused = true;
      return stats;
    }
    RAGD_RETURN_IF_ERROR(CallApi(conn, "DELETE", "/v1/bots/" + bot, admin_key).status());
  }
  // ~100-word paragraphs; a chunk budget just above one paragraph gives one chunk each.
  const nlohmann::json create = {
      {"key", bot},
      {"visibility", "shared"},
      {"model", {{"provider", "extractive"}}},
      {"knowledge",
       {{"embedder", {{"provider", "hashing"}}},
        {"chunking",
         {{"strategy", "fixed_size"}, {"max_tokens", 130}, {"overlap_percentage", 0}}}}}};
  RAGD_RETURN_IF_ERROR(CallApi(conn, "POST", "/v1/bots", admin_key, &create).status());

  const auto start = SteadyClock::now();
  constexpr int kParagraphs = 100, kWords = 100;
  CorpusGenerator gen(42);
  RAGD_RETURN_IF_ERROR(UploadDocument(conn, admin_key, bot, "report-00000.txt", "text/plain",
                                      gen.Document(0, kParagraphs, kWords))
                           .status());
  RAGD_ASSIGN_OR_RETURN(nlohmann::json first, WaitIndexed(conn, admin_key, bot));
  const int64_t per_doc = std::max<int64_t>(1, first["stats"]["chunks"].get<int64_t>());
  const int64_t docs = (target_chunks + per_doc - 1) / per_doc;
  std::fprintf(stderr, "[chat-bench] %lld chunks per document: uploading %lld documents\n",
               static_cast<long long>(per_doc), static_cast<long long>(docs));
  for (int64_t i = 1; i < docs; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "report-%05lld.txt", static_cast<long long>(i));
    RAGD_RETURN_IF_ERROR(UploadDocument(conn, admin_key, bot, name, "text/plain",
                                        gen.Document(static_cast<int>(i), kParagraphs, kWords))
                             .status());
  }
  RAGD_ASSIGN_OR_RETURN(nlohmann::json done, WaitIndexed(conn, admin_key, bot));
  stats.documents = done["stats"]["documents"];
  stats.chunks = done["stats"]["chunks"];
  stats.vectors = done["stats"]["vectors"];
  stats.embedder_id = done["embedder_id"];
  stats.ingest_seconds = MillisBetween(start, SteadyClock::now()) / 1000;
  return stats;
}

Status SetModel(HttpConnection& conn, const std::string& admin_key, const std::string& bot,
                const std::string& provider, const std::string& model_id) {
  nlohmann::json model = {{"provider", provider}};
  if (!model_id.empty()) model["model_id"] = model_id;
  const nlohmann::json patch = {{"model", model}};
  return CallApi(conn, "PATCH", "/v1/bots/" + bot, admin_key, &patch).status();
}

StatusOr<std::vector<std::string>> CreateConversations(HttpConnection& conn, const std::string& key,
                                                       const std::string& bot, int n) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) {
    RAGD_ASSIGN_OR_RETURN(nlohmann::json c,
                          CallApi(conn, "POST", "/v1/bots/" + bot + "/conversations", key));
    ids.push_back(c["conversation_id"].get<std::string>());
  }
  return ids;
}

}  // namespace ragd::bench
