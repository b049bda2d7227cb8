#include "engine/bot_config.h"

#include <set>

namespace ragd {
namespace {

using nlohmann::json;

// Reads typed fields out of one JSON object, naming the full path in every error.
class Fields {
 public:
  Fields(const json& obj, std::string path) : obj_(obj), path_(std::move(path)) {}

  Status Check(std::initializer_list<const char*> known) const {
    if (!obj_.is_object()) return UnprocessableError(Name(""), "must be an object");
    std::set<std::string> names(known.begin(), known.end());
    for (const auto& [key, value] : obj_.items()) {
      if (!names.count(key)) return UnprocessableError(Name(key), "unknown field");
    }
    return OkStatus();
  }
  Status Str(const char* key, std::string& out) const {
    if (!Has(key)) return OkStatus();
    if (!obj_[key].is_string()) return UnprocessableError(Name(key), "must be a string");
    out = obj_[key].get<std::string>();
    return OkStatus();
  }
  Status Int(const char* key, int& out) const {
    if (!Has(key)) return OkStatus();
    const json& v = obj_[key];
    if (!v.is_number_integer()) return UnprocessableError(Name(key), "must be an integer");
    const int64_t x = v.get<int64_t>();
    if (x < INT32_MIN || x > INT32_MAX) return UnprocessableError(Name(key), "out of range");
    out = static_cast<int>(x);
    return OkStatus();
  }
  Status Num(const char* key, double& out) const {
    if (!Has(key)) return OkStatus();
    if (!obj_[key].is_number()) return UnprocessableError(Name(key), "must be a number");
    out = obj_[key].get<double>();
    return OkStatus();
  }
  Status Bool(const char* key, bool& out) const {
    if (!Has(key)) return OkStatus();
    if (!obj_[key].is_boolean()) return UnprocessableError(Name(key), "must be true or false");
    out = obj_[key].get<bool>();
    return OkStatus();
  }
  Status Strings(const char* key, std::vector<std::string>& out) const {
    if (!Has(key)) return OkStatus();
    const json& v = obj_[key];
    if (!v.is_array()) return UnprocessableError(Name(key), "must be an array of strings");
    std::vector<std::string> result;
    for (const json& item : v) {
      if (!item.is_string()) return UnprocessableError(Name(key), "must be an array of strings");
      result.push_back(item.get<std::string>());
    }
    out = std::move(result);
    return OkStatus();
  }
  bool Has(const char* key) const { return obj_.contains(key) && !obj_[key].is_null(); }
  Fields Sub(const char* key) const { return Fields(obj_[key], Name(key)); }
  const json& At(const char* key) const { return obj_[key]; }
  std::string Name(std::string_view key) const {
    if (key.empty()) return path_.empty() ? "body" : path_;
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

 private:
  const json& obj_;
  std::string path_;
};

Status MergeChunking(const Fields& f, ChunkingConfig& c) {
  RAGD_RETURN_IF_ERROR(f.Check({"strategy", "max_tokens", "overlap_percentage", "max_parent_tokens",
                                "max_child_tokens", "overlap_tokens"}));
  std::string strategy;
  RAGD_RETURN_IF_ERROR(f.Str("strategy", strategy));
  if (!strategy.empty()) {
    if (strategy == "fixed_size") {
      c.strategy = ChunkingConfig::Strategy::kFixedSize;
    } else if (strategy == "hierarchical") {
      c.strategy = ChunkingConfig::Strategy::kHierarchical;
    } else if (strategy == "none") {
      c.strategy = ChunkingConfig::Strategy::kNone;
    } else {
      return UnprocessableError(f.Name("strategy"),
                                "must be one of fixed_size, hierarchical, none");
    }
  }
  RAGD_RETURN_IF_ERROR(f.Int("max_tokens", c.max_tokens));
  RAGD_RETURN_IF_ERROR(f.Int("overlap_percentage", c.overlap_percentage));
  RAGD_RETURN_IF_ERROR(f.Int("max_parent_tokens", c.max_parent_tokens));
  RAGD_RETURN_IF_ERROR(f.Int("max_child_tokens", c.max_child_tokens));
  return f.Int("overlap_tokens", c.overlap_tokens);
}

Status MergeKnowledge(const Fields& f, KnowledgeConfig& k) {
  RAGD_RETURN_IF_ERROR(
      f.Check({"search_type", "max_results", "min_score", "chunking", "embedder"}));
  RAGD_RETURN_IF_ERROR(f.Str("search_type", k.search_type));
  RAGD_RETURN_IF_ERROR(f.Int("max_results", k.max_results));
  RAGD_RETURN_IF_ERROR(f.Num("min_score", k.min_score));
  if (f.Has("chunking")) RAGD_RETURN_IF_ERROR(MergeChunking(f.Sub("chunking"), k.chunking));
  if (f.Has("embedder")) {
    Fields e = f.Sub("embedder");
    RAGD_RETURN_IF_ERROR(e.Check({"provider", "model_id", "dimensions"}));
    RAGD_RETURN_IF_ERROR(e.Str("provider", k.embedder.provider));
    RAGD_RETURN_IF_ERROR(e.Str("model_id", k.embedder.model_id));
    RAGD_RETURN_IF_ERROR(e.Int("dimensions", k.embedder.dimensions));
  }
  return OkStatus();
}

Status MergeGeneration(const Fields& f, GenerationConfig& g) {
  RAGD_RETURN_IF_ERROR(f.Check({"max_tokens", "temperature", "top_p", "stop_sequences"}));
  RAGD_RETURN_IF_ERROR(f.Int("max_tokens", g.max_tokens));
  RAGD_RETURN_IF_ERROR(f.Num("temperature", g.temperature));
  RAGD_RETURN_IF_ERROR(f.Num("top_p", g.top_p));
  return f.Strings("stop_sequences", g.stop_sequences);
}

Status MergeStarters(const Fields& f, const json& list, std::vector<QuickStarter>& out) {
  if (!list.is_array())
    return UnprocessableError(f.Name("conversation_quick_starters"), "must be an array");
  std::vector<QuickStarter> result;
  for (size_t i = 0; i < list.size(); ++i) {
    Fields item(list[i], f.Name("conversation_quick_starters") + "[" + std::to_string(i) + "]");
    RAGD_RETURN_IF_ERROR(item.Check({"title", "example"}));
    QuickStarter q;
    RAGD_RETURN_IF_ERROR(item.Str("title", q.title));
    RAGD_RETURN_IF_ERROR(item.Str("example", q.example));
    result.push_back(std::move(q));
  }
  out = std::move(result);
  return OkStatus();
}

}  // namespace

Status MergeBotConfig(const json& body, BotConfig& c) {
  Fields f(body, "");
  RAGD_RETURN_IF_ERROR(f.Check({"title", "description", "instruction", "model", "generation",
                                "knowledge", "display_citations", "conversation_quick_starters",
                                "guardrails", "memory", "visibility"}));
  RAGD_RETURN_IF_ERROR(f.Str("title", c.title));
  RAGD_RETURN_IF_ERROR(f.Str("description", c.description));
  RAGD_RETURN_IF_ERROR(f.Str("instruction", c.instruction));
  RAGD_RETURN_IF_ERROR(f.Str("visibility", c.visibility));
  RAGD_RETURN_IF_ERROR(f.Bool("display_citations", c.display_citations));
  if (f.Has("model")) {
    Fields m = f.Sub("model");
    RAGD_RETURN_IF_ERROR(m.Check({"provider", "model_id"}));
    RAGD_RETURN_IF_ERROR(m.Str("provider", c.model.provider));
    RAGD_RETURN_IF_ERROR(m.Str("model_id", c.model.model_id));
  }
  if (f.Has("generation")) RAGD_RETURN_IF_ERROR(MergeGeneration(f.Sub("generation"), c.generation));
  if (f.Has("knowledge")) RAGD_RETURN_IF_ERROR(MergeKnowledge(f.Sub("knowledge"), c.knowledge));
  if (f.Has("conversation_quick_starters")) {
    RAGD_RETURN_IF_ERROR(MergeStarters(f, f.At("conversation_quick_starters"), c.quick_starters));
  }
  if (f.Has("guardrails")) {
    Fields g = f.Sub("guardrails");
    RAGD_RETURN_IF_ERROR(
        g.Check({"max_input_chars", "denied_terms", "refusal_message", "redact_pii"}));
    RAGD_RETURN_IF_ERROR(g.Int("max_input_chars", c.guardrails.max_input_chars));
    RAGD_RETURN_IF_ERROR(g.Strings("denied_terms", c.guardrails.denied_terms));
    RAGD_RETURN_IF_ERROR(g.Str("refusal_message", c.guardrails.refusal_message));
    RAGD_RETURN_IF_ERROR(g.Bool("redact_pii", c.guardrails.redact_pii));
  }
  if (f.Has("memory")) {
    Fields m = f.Sub("memory");
    RAGD_RETURN_IF_ERROR(m.Check({"max_history_turns"}));
    RAGD_RETURN_IF_ERROR(m.Int("max_history_turns", c.memory.max_history_turns));
  }
  return OkStatus();
}

Status ValidateBotConfig(const BotConfig& c) {
  if (c.title.size() > 200) return UnprocessableError("title", "at most 200 characters");
  if (c.description.size() > 2000)
    return UnprocessableError("description", "at most 2000 characters");
  if (c.instruction.size() > 20000)
    return UnprocessableError("instruction", "at most 20000 characters");
  if (c.visibility != "private" && c.visibility != "shared") {
    return UnprocessableError("visibility", "must be private or shared");
  }
  const std::string& p = c.model.provider;
  if (p != "extractive" && p != "bedrock" && p != "openai") {
    return UnprocessableError("model.provider", "must be one of extractive, bedrock, openai");
  }
  if (p != "extractive" && c.model.model_id.empty()) {
    return UnprocessableError("model.model_id", "required for provider " + p);
  }
  const GenerationConfig& g = c.generation;
  if (g.max_tokens < 1 || g.max_tokens > 8192) {
    return UnprocessableError("generation.max_tokens", "must be between 1 and 8192");
  }
  if (g.temperature < 0 || g.temperature > 1) {
    return UnprocessableError("generation.temperature", "must be between 0 and 1");
  }
  if (g.top_p < 0 || g.top_p > 1)
    return UnprocessableError("generation.top_p", "must be between 0 and 1");
  if (g.stop_sequences.size() > 4) {
    return UnprocessableError("generation.stop_sequences", "at most 4 sequences");
  }
  const KnowledgeConfig& k = c.knowledge;
  if (k.search_type != "semantic" && k.search_type != "lexical" && k.search_type != "hybrid") {
    return UnprocessableError("knowledge.search_type", "must be one of semantic, lexical, hybrid");
  }
  if (k.max_results < 1 || k.max_results > 50) {
    return UnprocessableError("knowledge.max_results", "must be between 1 and 50");
  }
  if (k.min_score < 0 || k.min_score > 1) {
    return UnprocessableError("knowledge.min_score", "must be between 0 and 1");
  }
  if (Status s = ValidateChunkingConfig(k.chunking); !s.ok()) {
    // "max_tokens: ..." becomes "knowledge.chunking.max_tokens: ...": the field's full path.
    return Status(s.code(), "knowledge.chunking." + s.message(), s.kind());
  }
  const std::string& e = k.embedder.provider;
  if (e != "local" && e != "hashing" && e != "bedrock" && e != "openai") {
    return UnprocessableError("knowledge.embedder.provider",
                              "must be one of local, hashing, bedrock, openai");
  }
  if ((e == "bedrock" || e == "openai") && k.embedder.model_id.empty()) {
    return UnprocessableError("knowledge.embedder.model_id", "required for provider " + e);
  }
  if (k.embedder.dimensions < 0 || k.embedder.dimensions > 4096) {
    return UnprocessableError("knowledge.embedder.dimensions", "must be between 0 and 4096");
  }
  if (c.quick_starters.size() > 10) {
    return UnprocessableError("conversation_quick_starters", "at most 10");
  }
  if (c.guardrails.max_input_chars < 1 || c.guardrails.max_input_chars > 100000) {
    return UnprocessableError("guardrails.max_input_chars", "must be between 1 and 100000");
  }
  if (c.memory.max_history_turns < 0 || c.memory.max_history_turns > 50) {
    return UnprocessableError("memory.max_history_turns", "must be between 0 and 50");
  }
  return OkStatus();
}

json BotConfigToJson(const BotConfig& c) {
  const char* strategy =
      c.knowledge.chunking.strategy == ChunkingConfig::Strategy::kHierarchical ? "hierarchical"
      : c.knowledge.chunking.strategy == ChunkingConfig::Strategy::kNone       ? "none"
                                                                               : "fixed_size";
  json starters = json::array();
  for (const QuickStarter& q : c.quick_starters) {
    starters.push_back({{"title", q.title}, {"example", q.example}});
  }
  const ChunkingConfig& ch = c.knowledge.chunking;
  return {
      {"title", c.title},
      {"description", c.description},
      {"instruction", c.instruction},
      {"visibility", c.visibility},
      {"display_citations", c.display_citations},
      {"model", {{"provider", c.model.provider}, {"model_id", c.model.model_id}}},
      {"generation",
       {{"max_tokens", c.generation.max_tokens},
        {"temperature", c.generation.temperature},
        {"top_p", c.generation.top_p},
        {"stop_sequences", c.generation.stop_sequences}}},
      {"knowledge",
       {{"search_type", c.knowledge.search_type},
        {"max_results", c.knowledge.max_results},
        {"min_score", c.knowledge.min_score},
        {"chunking",
         {{"strategy", strategy},
          {"max_tokens", ch.max_tokens},
          {"overlap_percentage", ch.overlap_percentage},
          {"max_parent_tokens", ch.max_parent_tokens},
          {"max_child_tokens", ch.max_child_tokens},
          {"overlap_tokens", ch.overlap_tokens}}},
        {"embedder",
         {{"provider", c.knowledge.embedder.provider},
          {"model_id", c.knowledge.embedder.model_id},
          {"dimensions", c.knowledge.embedder.dimensions}}}}},
      {"conversation_quick_starters", starters},
      {"guardrails",
       {{"max_input_chars", c.guardrails.max_input_chars},
        {"denied_terms", c.guardrails.denied_terms},
        {"refusal_message", c.guardrails.refusal_message},
        {"redact_pii", c.guardrails.redact_pii}}},
      {"memory", {{"max_history_turns", c.memory.max_history_turns}}},
  };
}

Status CheckBotKey(std::string_view key) {
  auto ok_char = [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
  };
  bool valid =
      !key.empty() && key.size() <= 63 && ok_char(key[0]) && key[0] != '_' && key[0] != '-';
  for (char ch : key) valid = valid && ok_char(ch);
  if (!valid) {
    return UnprocessableError(
        "key", "1-63 characters of a-z, 0-9, '_' and '-', starting with a letter or digit");
  }
  return OkStatus();
}

}  // namespace ragd
