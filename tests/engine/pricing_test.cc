// The price table: default rows, inference-profile ids, unpriced models, config overrides.
#include "engine/pricing.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace ragd {
namespace {

using json = nlohmann::json;

constexpr char kHaiku35[] = "anthropic.claude-3-5-haiku-20241022-v1:0";

TEST(PricingTest, DefaultPricesPerMillionTokens) {
  const PriceTable table = DefaultPriceTable();
  // A million tokens each way reads like the per-1M list prices.
  EXPECT_NEAR(CostUsd(table, "amazon.nova-micro-v1:0", 1'000'000, 1'000'000), 0.035 + 0.14, 1e-12);
  EXPECT_NEAR(CostUsd(table, "amazon.nova-lite-v1:0", 1'000'000, 1'000'000), 0.06 + 0.24, 1e-12);
  EXPECT_NEAR(CostUsd(table, "amazon.nova-pro-v1:0", 1'000'000, 1'000'000), 0.80 + 3.20, 1e-12);
  EXPECT_NEAR(CostUsd(table, kHaiku35, 1'000'000, 1'000'000), 0.80 + 4.00, 1e-12);
  EXPECT_NEAR(CostUsd(table, "anthropic.claude-3-haiku-20240307-v1:0", 1'000'000, 1'000'000),
              0.25 + 1.25, 1e-12);
  EXPECT_NEAR(CostUsd(table, "meta.llama3-1-8b-instruct-v1:0", 1'000'000, 1'000'000), 0.44, 1e-12);
  // Embeddings bill input only.
  EXPECT_NEAR(CostUsd(table, "amazon.titan-embed-text-v2:0", 1'000'000, 5), 0.02, 1e-12);
  EXPECT_NEAR(CostUsd(table, "cohere.embed-english-v3", 1'000'000, 0), 0.10, 1e-12);
}

TEST(PricingTest, OneChatTurn) {
  // 1,200 prompt tokens and 300 answer tokens on Claude 3.5 Haiku: 1.2 * 0.0008 + 0.3 * 0.004.
  EXPECT_NEAR(CostUsd(DefaultPriceTable(), kHaiku35, 1200, 300), 0.00216, 1e-12);
  EXPECT_NEAR(CostUsd(DefaultPriceTable(), "amazon.nova-micro-v1:0", 1200, 300),
              1.2 * 0.000035 + 0.3 * 0.00014, 1e-15);
}

TEST(PricingTest, InferenceProfilesCostTheBaseModelPrice) {
  const PriceTable table = DefaultPriceTable();
  const double base = CostUsd(table, kHaiku35, 5000, 700);
  ASSERT_GT(base, 0);
  for (const char* prefix : {"us.", "eu.", "apac."}) {
    EXPECT_DOUBLE_EQ(CostUsd(table, std::string(prefix) + kHaiku35, 5000, 700), base) << prefix;
  }
  EXPECT_EQ(FindPrice(table, "us.amazon.nova-lite-v1:0"),
            FindPrice(table, "amazon.nova-lite-v1:0"));
  // Not a profile prefix we map, and not a prefix of anything else.
  EXPECT_FALSE(FindPrice(table, std::string("xx.") + kHaiku35).has_value());
  EXPECT_FALSE(FindPrice(table, "us.").has_value());
}

TEST(PricingTest, UnpricedModelsCostNothing) {
  const PriceTable table = DefaultPriceTable();
  EXPECT_EQ(CostUsd(table, "extractive", 5000, 800), 0);
  EXPECT_EQ(CostUsd(table, "llama3.1:8b", 5000, 800), 0);
  EXPECT_FALSE(FindPrice(table, "extractive").has_value());
  // Left out on purpose (conflicting published prices): priced only through config.
  EXPECT_FALSE(FindPrice(table, "anthropic.claude-3-5-sonnet-20241022-v2:0").has_value());
  EXPECT_EQ(CostUsd(table, kHaiku35, -10, -3), 0);
}

TEST(PricingTest, ConfigOverridesReplaceAndAdd) {
  auto overrides = ParsePriceTable(json::parse(R"({
    "anthropic.claude-3-5-sonnet-20241022-v2:0": {"input_per_1k": 0.003, "output_per_1k": 0.015},
    "amazon.nova-micro-v1:0": {"input_per_1k": 0.00004, "output_per_1k": 0.00016},
    "us.anthropic.claude-3-5-haiku-20241022-v1:0": {"input_per_1k": 0.001, "output_per_1k": 0.005},
    "my-embedder": {"input_per_1k": 0.5}
  })"));
  ASSERT_TRUE(overrides.ok()) << overrides.status().ToString();
  const PriceTable table = WithOverrides(DefaultPriceTable(), *overrides);
  EXPECT_NEAR(CostUsd(table, "anthropic.claude-3-5-sonnet-20241022-v2:0", 1000, 1000), 0.018,
              1e-12);
  EXPECT_NEAR(CostUsd(table, "amazon.nova-micro-v1:0", 1000, 1000), 0.0002, 1e-12);
  // An explicit profile row wins over the base model's price; other profiles keep the base.
  EXPECT_NEAR(CostUsd(table, std::string("us.") + kHaiku35, 1000, 1000), 0.006, 1e-12);
  EXPECT_NEAR(CostUsd(table, std::string("eu.") + kHaiku35, 1000, 1000), 0.0048, 1e-12);
  EXPECT_EQ(FindPrice(table, "my-embedder"), (ModelPrice{0.5, 0}));
  // Untouched defaults stay.
  EXPECT_EQ(FindPrice(table, "amazon.nova-pro-v1:0"),
            FindPrice(DefaultPriceTable(), "amazon.nova-pro-v1:0"));
}

void ExpectUnprocessable(const json& config, const std::string& field_in_message) {
  auto parsed = ParsePriceTable(config, "pricing");
  ASSERT_FALSE(parsed.ok()) << config.dump();
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(parsed.status().kind(), ErrorKind::kUnprocessable);
  EXPECT_EQ(parsed.status().message().rfind(field_in_message + ": ", 0), 0u)
      << parsed.status().message();
}

TEST(PricingTest, BadConfigNamesTheField) {
  ExpectUnprocessable(json::array(), "pricing");
  ExpectUnprocessable({{"m", 0.1}}, "pricing.m");
  ExpectUnprocessable({{"m", {{"output_per_1k", 0.1}}}}, "pricing.m.input_per_1k");
  ExpectUnprocessable({{"m", {{"input_per_1k", "0.1"}}}}, "pricing.m.input_per_1k");
  ExpectUnprocessable({{"m", {{"input_per_1k", 0.1}, {"output_per_1k", -1}}}},
                      "pricing.m.output_per_1k");
  ExpectUnprocessable({{"m", {{"input_per_1k", 3000}}}}, "pricing.m.input_per_1k");
  ExpectUnprocessable({{"m", {{"input_per_1k", 0.1}, {"input_per_1m", 100}}}},
                      "pricing.m.input_per_1m");
  ExpectUnprocessable({{"m", {{"input_per_1k", true}}}}, "pricing.m.input_per_1k");
  ExpectUnprocessable({{"", {{"input_per_1k", 0.1}}}}, "pricing.\"\"");
  // Without a prefix the field is relative to the table.
  auto parsed = ParsePriceTable({{"m", {{"input_per_1k", -2}}}});
  EXPECT_EQ(parsed.status().message().rfind("m.input_per_1k: ", 0), 0u)
      << parsed.status().message();
  EXPECT_TRUE(ParsePriceTable(json::object()).ok());
}

}  // namespace
}  // namespace ragd
