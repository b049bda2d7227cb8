#include "core/metrics.h"

#include <gtest/gtest.h>

#include <thread>

namespace ragd {
namespace {

TEST(MetricsTest, RendersPrometheusTextFormat) {
  MetricsRegistry registry;
  auto& requests = registry.Counter("t_requests_total", "Requests", {"route", "status"});
  auto& gauge = registry.GaugeMetric("t_in_flight", "In flight");
  auto& latency = registry.Histogram("t_seconds", "Latency", {"route"}, {0.01, 0.1});
  requests.Inc({"/a", "200"});
  requests.Inc({"/a", "200"});
  requests.Inc({"/b\"x", "404"});
  gauge.Set(3);
  latency.Observe({"/a"}, 0.005);
  latency.Observe({"/a"}, 0.05);
  latency.Observe({"/a"}, 5);
  const std::string text = registry.Render();
  EXPECT_NE(text.find("# TYPE t_requests_total counter"), std::string::npos);
  EXPECT_NE(text.find("t_requests_total{route=\"/a\",status=\"200\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("t_requests_total{route=\"/b\\\"x\",status=\"404\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("t_in_flight 3\n"), std::string::npos);
  EXPECT_NE(text.find("t_seconds_bucket{route=\"/a\",le=\"0.01\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("t_seconds_bucket{route=\"/a\",le=\"0.1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("t_seconds_bucket{route=\"/a\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("t_seconds_count{route=\"/a\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("t_seconds_sum{route=\"/a\"} 5.055\n"), std::string::npos);
}

TEST(MetricsTest, ConcurrentIncrementsAreNotLost) {
  MetricsRegistry registry;
  auto& c = registry.Counter("c_total", "c", {"k"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) c.Inc({std::to_string((t + i) % 3)});
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.Value({"0"}) + c.Value({"1"}) + c.Value({"2"}), 40000u);
}

}  // namespace
}  // namespace ragd
