#include "engine/pricing.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace ragd {
namespace {

constexpr double kMaxPricePer1k = 1000;  // USD; anything above is a typo (per-million pasted?)

// Bedrock cross-region inference profile prefixes that the default rows cover.
constexpr std::array<std::string_view, 3> kProfilePrefixes = {"us.", "eu.", "apac."};

std::string Field(std::string_view prefix, std::string_view model_id, std::string_view key) {
  std::string field;
  if (!prefix.empty()) field = std::string(prefix) + ".";
  field += model_id.empty() ? std::string("\"\"") : std::string(model_id);
  if (!key.empty()) field += "." + std::string(key);
  return field;
}

StatusOr<double> ParsePrice(const nlohmann::json& value, const std::string& field) {
  if (!value.is_number())
    return UnprocessableError(field, "must be a number (USD per 1,000 tokens)");
  const double price = value.get<double>();
  if (!std::isfinite(price) || price < 0) return UnprocessableError(field, "must be >= 0");
  if (price > kMaxPricePer1k) {
    return UnprocessableError(field, "must be at most 1000 (the unit is USD per 1,000 tokens)");
  }
  return price;
}

}  // namespace

std::optional<ModelPrice> FindPrice(const PriceTable& table, std::string_view model_id) {
  auto it = table.prices.find(model_id);
  if (it != table.prices.end()) return it->second;
  for (std::string_view prefix : kProfilePrefixes) {
    if (model_id.starts_with(prefix)) {
      it = table.prices.find(model_id.substr(prefix.size()));
      if (it != table.prices.end()) return it->second;
    }
  }
  return std::nullopt;
}

double CostUsd(const PriceTable& table, std::string_view model_id, int64_t input_tokens,
               int64_t output_tokens) {
  const std::optional<ModelPrice> price = FindPrice(table, model_id);
  if (!price) return 0;
  const double in = static_cast<double>(std::max<int64_t>(input_tokens, 0));
  const double out = static_cast<double>(std::max<int64_t>(output_tokens, 0));
  return in / 1000 * price->input_per_1k + out / 1000 * price->output_per_1k;
}

// On-demand list prices, US East, USD per 1,000 tokens (AWS publishes them per 1,000,000; divided
// here). Where they come from:
//  - Amazon Nova Micro / Lite / Pro, Meta Llama 3.1 8B Instruct, Titan Text Embeddings V2, Cohere
//    Embed English / Multilingual v3: AWS's own curated Bedrock price cache, github.com/aws/
//    agent-toolkit-for-aws, plugins/aws-startup-advisor/skills/gcp-to-aws/references/vendored/ai/
//    bedrock-pricing-cache.md ("Last updated 2026-10-05", checked against
//    https://aws.amazon.com/bedrock/pricing/ and the AWS Pricing API; the Nova rows also appear
//    in the STATIC_FALLBACK table of .../llm-to-bedrock/scripts/bedrock_pricing.py). Nova:
//    0.035/0.14, 0.06/0.24, 0.80/3.20 per 1M; Llama 3.1 8B: 0.22/0.22 per 1M (US East Ohio row);
//    Titan V2: 0.02 per 1M; Cohere v3: 0.10 per 1M (embeddings bill input tokens only).
//  - Claude 3.5 Haiku (0.80/4.00 per 1M) and Claude 3 Haiku (0.25/1.25 per 1M): no longer in that
//    2026 cache (legacy models); the Bedrock pricing page's US East rows as quoted by the llmfy
//    package's bedrock_pricing_list.py and by deploybase.ai's "Amazon Bedrock Pricing" (2026-03);
//    both equal Anthropic's own list prices.
//  - Cross-region inference profiles (us./eu./apac.): "no additional charge ... the price is
//    calculated basis the region you made the request in" (aws.amazon.com/bedrock/pricing).
// Deliberately missing: anthropic.claude-3-5-sonnet-20241022-v2:0. Sources disagree (3.00/15.00
// per 1M at launch; 6.00/30.00 per 1M reported for its extended-access period), so it is left to
// config rather than guessed.
PriceTable DefaultPriceTable() {
  PriceTable table;
  table.prices = {
      {"amazon.nova-micro-v1:0", {0.000035, 0.00014}},
      {"amazon.nova-lite-v1:0", {0.00006, 0.00024}},
      {"amazon.nova-pro-v1:0", {0.0008, 0.0032}},
      {"anthropic.claude-3-5-haiku-20241022-v1:0", {0.0008, 0.004}},
      {"anthropic.claude-3-haiku-20240307-v1:0", {0.00025, 0.00125}},
      {"meta.llama3-1-8b-instruct-v1:0", {0.00022, 0.00022}},
      {"amazon.titan-embed-text-v2:0", {0.00002, 0}},
      {"cohere.embed-english-v3", {0.0001, 0}},
      {"cohere.embed-multilingual-v3", {0.0001, 0}},
  };
  return table;
}

StatusOr<PriceTable> ParsePriceTable(const nlohmann::json& config, std::string_view field_prefix) {
  const std::string top = field_prefix.empty() ? std::string("pricing") : std::string(field_prefix);
  if (!config.is_object()) {
    return UnprocessableError(top,
                              "must be an object of model id -> {input_per_1k, output_per_1k}");
  }
  PriceTable table;
  for (const auto& [model_id, entry] : config.items()) {
    if (model_id.empty()) return UnprocessableError(Field(field_prefix, "", ""), "empty model id");
    if (!entry.is_object()) {
      return UnprocessableError(Field(field_prefix, model_id, ""),
                                "must be an object {\"input_per_1k\": x, \"output_per_1k\": y}");
    }
    ModelPrice price;
    bool has_input = false;
    for (const auto& [key, value] : entry.items()) {
      const std::string field = Field(field_prefix, model_id, key);
      if (key == "input_per_1k") {
        RAGD_ASSIGN_OR_RETURN(price.input_per_1k, ParsePrice(value, field));
        has_input = true;
      } else if (key == "output_per_1k") {
        RAGD_ASSIGN_OR_RETURN(price.output_per_1k, ParsePrice(value, field));
      } else {
        return UnprocessableError(field, "unknown key (expected input_per_1k, output_per_1k)");
      }
    }
    if (!has_input) {
      return UnprocessableError(Field(field_prefix, model_id, "input_per_1k"), "is required");
    }
    table.prices[model_id] = price;
  }
  return table;
}

PriceTable WithOverrides(PriceTable base, const PriceTable& overrides) {
  for (const auto& [model_id, price] : overrides.prices) base.prices[model_id] = price;
  return base;
}

}  // namespace ragd
