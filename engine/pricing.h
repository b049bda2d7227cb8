// What a model call costs: a table of USD prices per 1,000 input and output tokens, keyed by model
// id, with the on-demand Amazon Bedrock list prices as defaults and overrides from config.
//
//   PriceTable prices = WithOverrides(DefaultPriceTable(), *ParsePriceTable(config["pricing"]));
//   double usd = CostUsd(prices, "us.anthropic.claude-3-5-haiku-20241022-v1:0", 1200, 300);
//
// Lookup: the exact model id first; failing that, a Bedrock cross-region inference profile id
// ("us.", "eu.", "apac." + base id) is priced as its base model. The defaults are listed for the
// base ids only; AWS bills these models' profiles at the source region's base price. (Newer Claude
// generations charge a premium for Geo profiles: give those an explicit row.) Models not in the
// table -- the extractive answerer, local OpenAI-compatible servers -- cost 0; FindPrice tells an
// unknown model from a free one.
//
// Thread safety: a PriceTable is a value; concurrent reads are safe.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ragd {

struct ModelPrice {
  double input_per_1k = 0;   // USD per 1,000 input tokens
  double output_per_1k = 0;  // USD per 1,000 output tokens (0 for embedding models)
  friend bool operator==(const ModelPrice&, const ModelPrice&) = default;
};

struct PriceTable {
  std::map<std::string, ModelPrice, std::less<>> prices;  // by model id
};

// The price for `model_id` (exact, then inference-profile base id), or nullopt if unpriced.
std::optional<ModelPrice> FindPrice(const PriceTable& table, std::string_view model_id);

// USD for one call; 0 for unpriced models. Negative token counts count as 0.
double CostUsd(const PriceTable& table, std::string_view model_id, int64_t input_tokens,
               int64_t output_tokens);

// On-demand list prices, US East; see pricing.cc for the sources.
PriceTable DefaultPriceTable();

// Parses {"<model-id>": {"input_per_1k": x, "output_per_1k": y}, ...}. input_per_1k is required;
// output_per_1k defaults to 0 (embedding models); both must be finite numbers in [0, 1000]; no
// other keys. Errors are UnprocessableError naming the field, "<field_prefix>.<model-id>.<key>"
// (without the leading "<field_prefix>." when the prefix is empty).
StatusOr<PriceTable> ParsePriceTable(const nlohmann::json& config,
                                     std::string_view field_prefix = "");

// `base` with every row of `overrides` added or replaced.
PriceTable WithOverrides(PriceTable base, const PriceTable& overrides);

}  // namespace ragd
