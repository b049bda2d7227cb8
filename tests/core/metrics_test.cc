#include "core/metrics.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string_view>
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

TEST(MetricsTest, BorrowedAndOwnedLabelsReachTheSameSeries) {
  MetricsRegistry registry;
  auto& c = registry.Counter("v_total", "v", {"route", "status"});
  auto& h = registry.Histogram("v_seconds", "v", {"route"}, {1});
  const std::string route = "/v1/bots/{bot}/documents";
  std::string_view borrowed(route);
  c.Inc({borrowed, "200"});
  c.Inc(LabelValues{route, "200"});
  c.Inc({borrowed, "20"});  // a prefix is another series
  c.Inc({borrowed, "2000"});
  h.Observe({borrowed}, 0.5);
  h.Observe(LabelValues{route}, 2);
  EXPECT_EQ(c.Value({route, "200"}), 2u);
  EXPECT_EQ(c.Value({route, "20"}), 1u);
  EXPECT_EQ(c.Value({route, "2000"}), 1u);
  EXPECT_EQ(h.Count({route}), 2u);
  const std::string text = registry.Render();
  EXPECT_NE(text.find("v_total{route=\"/v1/bots/{bot}/documents\",status=\"200\"} 2\n"),
            std::string::npos)
      << text;
}

TEST(MetricsTest, CounterFuncIsReadAtRenderTime) {
  MetricsRegistry registry;
  std::atomic<uint64_t> dropped{0};
  registry.CounterFunc("f_dropped_total", "Dropped", [&] { return dropped.load(); });
  EXPECT_NE(registry.Render().find("f_dropped_total 0\n"), std::string::npos);
  dropped = 7;
  const std::string text = registry.Render();
  EXPECT_NE(text.find("# TYPE f_dropped_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("f_dropped_total 7\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace ragd
