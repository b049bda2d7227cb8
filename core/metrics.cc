#include "core/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <mutex>

namespace ragd {
namespace {

std::string EscapeLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string Labels(const std::vector<std::string>& names, const LabelValues& values,
                   const std::string& extra = "") {
  std::string out;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    out += out.empty() ? "{" : ",";
    out += names[i] + "=\"" + EscapeLabel(values[i]) + "\"";
  }
  if (!extra.empty()) out += (out.empty() ? "{" : ",") + extra;
  if (!out.empty()) out += "}";
  return out;
}

std::string FormatDouble(double v) {
  if (std::isinf(v)) return "+Inf";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

LabelValues ToValues(const LabelValues& labels) { return labels; }
LabelValues ToValues(LabelView labels) { return LabelValues(labels.begin(), labels.end()); }

}  // namespace

// Element order as std::string's operator< (char_traits compare), so both overloads agree with
// std::less<LabelValues>.
bool LabelLess::operator()(const LabelValues& a, LabelView b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](std::string_view x, std::string_view y) { return x < y; });
}

bool LabelLess::operator()(LabelView a, const LabelValues& b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](std::string_view x, std::string_view y) { return x < y; });
}

template <typename Labels>
void CounterFamily::IncImpl(const Labels& labels, uint64_t n) {
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto it = series_.find(labels);
    if (it != series_.end()) {
      it->second->fetch_add(n, std::memory_order_relaxed);
      return;
    }
  }
  std::unique_lock<std::shared_mutex> lock(mu_);
  auto& slot = series_[ToValues(labels)];
  if (!slot) slot = std::make_unique<std::atomic<uint64_t>>(0);
  slot->fetch_add(n, std::memory_order_relaxed);
}

void CounterFamily::Inc(const LabelValues& labels, uint64_t n) { IncImpl(labels, n); }
void CounterFamily::Inc(LabelView labels, uint64_t n) { IncImpl(labels, n); }

uint64_t CounterFamily::Value(const LabelValues& labels) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = series_.find(labels);
  return it == series_.end() ? 0 : it->second->load();
}

void HistogramFamily::Observe(const LabelValues& labels, double value) {
  ObserveImpl(labels, value);
}
void HistogramFamily::Observe(LabelView labels, double value) { ObserveImpl(labels, value); }

template <typename Labels>
void HistogramFamily::ObserveImpl(const Labels& labels, double value) {
  auto record = [&](Series& s) {
    size_t i = 0;
    while (i < bounds_.size() && value > bounds_[i]) ++i;
    s.counts[i].fetch_add(1, std::memory_order_relaxed);
    s.sum_micros.fetch_add(static_cast<uint64_t>(std::llround(value * 1e6)),
                           std::memory_order_relaxed);
  };
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto it = series_.find(labels);
    if (it != series_.end()) {
      record(*it->second);
      return;
    }
  }
  std::unique_lock<std::shared_mutex> lock(mu_);
  auto& slot = series_[ToValues(labels)];
  if (!slot) slot = std::make_unique<Series>(bounds_.size());
  record(*slot);
}

uint64_t HistogramFamily::Count(const LabelValues& labels) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = series_.find(labels);
  if (it == series_.end()) return 0;
  uint64_t total = 0;
  for (const auto& c : it->second->counts) total += c.load();
  return total;
}

CounterFamily& MetricsRegistry::Counter(const std::string& name, const std::string& help,
                                        std::vector<std::string> label_names) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  auto f = std::make_unique<CounterFamily>();
  f->name_ = name;
  f->help_ = help;
  f->label_names_ = std::move(label_names);
  counters_.push_back(std::move(f));
  return *counters_.back();
}

Gauge& MetricsRegistry::GaugeMetric(const std::string& name, const std::string& help) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  auto g = std::make_unique<Gauge>();
  g->name_ = name;
  g->help_ = help;
  gauges_.push_back(std::move(g));
  return *gauges_.back();
}

HistogramFamily& MetricsRegistry::Histogram(const std::string& name, const std::string& help,
                                            std::vector<std::string> label_names,
                                            std::vector<double> bounds) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  auto h = std::make_unique<HistogramFamily>();
  h->name_ = name;
  h->help_ = help;
  h->label_names_ = std::move(label_names);
  h->bounds_ = std::move(bounds);
  histograms_.push_back(std::move(h));
  return *histograms_.back();
}

void MetricsRegistry::CounterFunc(const std::string& name, const std::string& help,
                                  std::function<uint64_t()> read) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  func_counters_.push_back({name, help, std::move(read)});
}

std::string MetricsRegistry::Render() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  std::string out;
  for (const auto& f : counters_) {
    out += "# HELP " + f->name_ + " " + f->help_ + "\n# TYPE " + f->name_ + " counter\n";
    std::shared_lock<std::shared_mutex> series_lock(f->mu_);
    for (const auto& [labels, value] : f->series_) {
      out +=
          f->name_ + Labels(f->label_names_, labels) + " " + std::to_string(value->load()) + "\n";
    }
  }
  for (const auto& f : func_counters_) {
    out += "# HELP " + f.name + " " + f.help + "\n# TYPE " + f.name + " counter\n";
    out += f.name + " " + std::to_string(f.read()) + "\n";
  }
  for (const auto& g : gauges_) {
    out += "# HELP " + g->name_ + " " + g->help_ + "\n# TYPE " + g->name_ + " gauge\n";
    out += g->name_ + " " + std::to_string(g->Value()) + "\n";
  }
  for (const auto& h : histograms_) {
    out += "# HELP " + h->name_ + " " + h->help_ + "\n# TYPE " + h->name_ + " histogram\n";
    std::shared_lock<std::shared_mutex> series_lock(h->mu_);
    for (const auto& [labels, s] : h->series_) {
      uint64_t cumulative = 0;
      for (size_t i = 0; i <= h->bounds_.size(); ++i) {
        cumulative += s->counts[i].load();
        const double le = i < h->bounds_.size() ? h->bounds_[i] : INFINITY;
        out += h->name_ + "_bucket" +
               Labels(h->label_names_, labels, "le=\"" + FormatDouble(le) + "\"") + " " +
               std::to_string(cumulative) + "\n";
      }
      out += h->name_ + "_sum" + Labels(h->label_names_, labels) + " " +
             FormatDouble(static_cast<double>(s->sum_micros.load()) / 1e6) + "\n";
      out += h->name_ + "_count" + Labels(h->label_names_, labels) + " " +
             std::to_string(cumulative) + "\n";
    }
  }
  return out;
}

}  // namespace ragd
