// A bot's configuration: what an admin sets through /v1/bots, stored as JSON in bots.config.
//
// The JSON shape (engine/bot_config.cc, documented in docs/api.md) is both the API body and the
// stored form. Parsing fills defaults for absent fields; validation returns UnprocessableError
// naming the first bad field with its JSON path ("knowledge.max_results").
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/llm_provider.h"
#include "ingest/chunking/chunker.h"

namespace ragd {

// Which embedder makes a bot's vectors. Changing it re-embeds the bot's chunks.
struct EmbedderSpec {
  std::string provider =
      "local";           // local (USE-lite, hashing when absent) | hashing | bedrock | openai
  std::string model_id;  // bedrock/openai model; empty for local/hashing
  int dimensions = 0;    // titan: 256/512/1024; 0 = the model's default
  bool operator==(const EmbedderSpec&) const = default;
};

struct ModelSpec {
  std::string provider = "extractive";  // extractive | bedrock | openai
  std::string model_id;                 // required for bedrock/openai
};

struct KnowledgeConfig {
  std::string search_type = "hybrid";  // semantic | lexical | hybrid
  int max_results = 5;
  double min_score = 0.0;
  ChunkingConfig chunking;
  EmbedderSpec embedder;
};

struct QuickStarter {
  std::string title;
  std::string example;
};

struct GuardrailsConfig {
  int max_input_chars = 2000;
  std::vector<std::string> denied_terms;  // case-insensitive; a match gets refusal_message
  std::string refusal_message = "Sorry, I can't help with that topic.";
  bool redact_pii = false;  // emails, phone and card numbers masked in stored messages
};

struct MemoryConfig {
  int max_history_turns = 6;  // user+assistant pairs kept in the prompt
};

struct BotConfig {
  std::string title;
  std::string description;
  std::string instruction;  // the bot's system prompt, added to ragd's grounding rules
  ModelSpec model;
  GenerationConfig generation;
  KnowledgeConfig knowledge;
  bool display_citations = true;
  std::vector<QuickStarter> quick_starters;
  GuardrailsConfig guardrails;
  MemoryConfig memory;
  std::string visibility = "private";  // private (owner and admins) | shared (every user may chat)
};

// Fills `config` from `json` (an object); fields absent keep their current values, so the same
// call serves create (on defaults) and PATCH (on the stored config). Type errors and unknown
// fields are UnprocessableError naming the field.
Status MergeBotConfig(const nlohmann::json& json, BotConfig& config);
// Range and consistency checks (UnprocessableError naming the field).
Status ValidateBotConfig(const BotConfig& config);
nlohmann::json BotConfigToJson(const BotConfig& config);

// [a-z0-9][a-z0-9_-]{0,62}
Status CheckBotKey(std::string_view key);

}  // namespace ragd
