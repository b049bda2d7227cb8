// Prometheus metrics: counters, gauges and histograms with labels, rendered in the text exposition
// format (version 0.0.4) by Render().
//
// Families are created once (at startup) and live as long as the registry; label sets are created
// on first use. Thread safety: all methods may be called concurrently. Updates of an existing
// series take a shared lock and an atomic add.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

namespace ragd {

// Label values in the family's label-name order.
using LabelValues = std::vector<std::string>;

class MetricsRegistry;

class CounterFamily {
 public:
  void Inc(const LabelValues& labels, uint64_t n = 1);
  uint64_t Value(const LabelValues& labels) const;

 private:
  friend class MetricsRegistry;
  std::string name_, help_;
  std::vector<std::string> label_names_;
  mutable std::shared_mutex mu_;
  std::map<LabelValues, std::unique_ptr<std::atomic<uint64_t>>> series_;  // guarded by mu_
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
  uint64_t Count(const LabelValues& labels) const;

 private:
  friend class MetricsRegistry;
  struct Series {
    explicit Series(size_t buckets) : counts(buckets + 1) {}
    std::vector<std::atomic<uint64_t>> counts;  // per bucket, last = +Inf
    std::atomic<uint64_t> sum_micros{0};        // sum in millionths of the unit
  };
  std::string name_, help_;
  std::vector<std::string> label_names_;
  std::vector<double> bounds_;  // ascending upper bounds
  mutable std::shared_mutex mu_;
  std::map<LabelValues, std::unique_ptr<Series>> series_;  // guarded by mu_
};

class MetricsRegistry {
 public:
  CounterFamily& Counter(const std::string& name, const std::string& help,
                         std::vector<std::string> label_names);
  Gauge& GaugeMetric(const std::string& name, const std::string& help);
  HistogramFamily& Histogram(const std::string& name, const std::string& help,
                             std::vector<std::string> label_names, std::vector<double> bounds);

  // The whole registry in Prometheus text format.
  std::string Render() const;

 private:
  mutable std::shared_mutex mu_;
  std::vector<std::unique_ptr<CounterFamily>> counters_;
  std::vector<std::unique_ptr<Gauge>> gauges_;
  std::vector<std::unique_ptr<HistogramFamily>> histograms_;
};

}  // namespace ragd
