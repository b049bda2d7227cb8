// Prometheus metrics: counters, gauges and histograms with labels, rendered in the text exposition
// format (version 0.0.4) by Render().
//
// Families are created once (at startup) and live as long as the registry; label sets are created
// on first use. Thread safety: all methods may be called concurrently. Updates of an existing
// series take a shared lock and an atomic add.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace ragd {

// Label values in the family's label-name order.
using LabelValues = std::vector<std::string>;
// The same, borrowed: what hot paths pass (`Inc({route, method, status})` builds no vector and
// no strings once the series exists).
using LabelView = std::initializer_list<std::string_view>;

// Orders label sets as std::less<LabelValues> does, and lets maps be searched with a LabelView.
struct LabelLess {
  using is_transparent = void;
  bool operator()(const LabelValues& a, const LabelValues& b) const { return a < b; }
  bool operator()(const LabelValues& a, LabelView b) const;
  bool operator()(LabelView a, const LabelValues& b) const;
};

class MetricsRegistry;

class CounterFamily {
 public:
  void Inc(const LabelValues& labels, uint64_t n = 1);
  void Inc(LabelView labels, uint64_t n = 1);
  uint64_t Value(const LabelValues& labels) const;

 private:
  friend class MetricsRegistry;
  template <typename Labels>
  void IncImpl(const Labels& labels, uint64_t n);
  std::string name_, help_;
  std::vector<std::string> label_names_;
  mutable std::shared_mutex mu_;
  // guarded by mu_
  std::map<LabelValues, std::unique_ptr<std::atomic<uint64_t>>, LabelLess> series_;
};

class Gauge {
 public:
  void Add(int64_t delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  void Set(int64_t value) { value_.store(value, std::memory_order_relaxed); }
  int64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  friend class MetricsRegistry;
  std::string name_, help_;
  std::atomic<int64_t> value_{0};
};

class HistogramFamily {
 public:
  void Observe(const LabelValues& labels, double value);
  void Observe(LabelView labels, double value);
  uint64_t Count(const LabelValues& labels) const;

 private:
  friend class MetricsRegistry;
  template <typename Labels>
  void ObserveImpl(const Labels& labels, double value);
  struct Series {
    explicit Series(size_t buckets) : counts(buckets + 1) {}
    std::vector<std::atomic<uint64_t>> counts;  // per bucket, last = +Inf
    std::atomic<uint64_t> sum_micros{0};        // sum in millionths of the unit
  };
  std::string name_, help_;
  std::vector<std::string> label_names_;
  std::vector<double> bounds_;  // ascending upper bounds
  mutable std::shared_mutex mu_;
  std::map<LabelValues, std::unique_ptr<Series>, LabelLess> series_;  // guarded by mu_
};

class MetricsRegistry {
 public:
  CounterFamily& Counter(const std::string& name, const std::string& help,
                         std::vector<std::string> label_names);
  Gauge& GaugeMetric(const std::string& name, const std::string& help);
  HistogramFamily& Histogram(const std::string& name, const std::string& help,
                             std::vector<std::string> label_names, std::vector<double> bounds);
  // A counter (no labels) whose value is read from `read` when the registry is rendered, for
  // counts kept elsewhere (e.g. LogLinesDropped()). `read` must be thread-safe and outlive the
  // registry's use.
  void CounterFunc(const std::string& name, const std::string& help,
                   std::function<uint64_t()> read);

  // The whole registry in Prometheus text format.
  std::string Render() const;

 private:
  mutable std::shared_mutex mu_;
  std::vector<std::unique_ptr<CounterFamily>> counters_;
  std::vector<std::unique_ptr<Gauge>> gauges_;
  std::vector<std::unique_ptr<HistogramFamily>> histograms_;
  struct FuncCounter {
    std::string name, help;
    std::function<uint64_t()> read;
  };
  std::vector<FuncCounter> func_counters_;
};

}  // namespace ragd
