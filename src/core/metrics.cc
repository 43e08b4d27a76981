#include "core/metrics.h"

#include <cmath>
#include <cstdio>

namespace tessera::core {
namespace {

// Label values escape backslash, double quote and newline (the exposition format's rules).
std::string render_labels(const Labels& labels, std::string_view extra_name = {},
                          std::string_view extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return {};
  std::string out = "{";
  const auto add = [&](std::string_view name, std::string_view value) {
    if (out.size() > 1) out.push_back(',');
    out.append(name);
    out += "=\"";
    for (const char c : value) {
      if (c == '\\')
        out += "\\\\";
      else if (c == '"')
        out += "\\\"";
      else if (c == '\n')
        out += "\\n";
      else
        out.push_back(c);
    }
    out.push_back('"');
  };
  for (const auto& [name, value] : labels) add(name, value);
  if (!extra_name.empty()) add(extra_name, extra_value);
  out.push_back('}');
  return out;
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::observe(double value) {
  std::size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micro_.fetch_add(static_cast<std::uint64_t>(std::llround(std::max(0.0, value) * 1e6)),
                       std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.count = running;
  s.sum = static_cast<double>(sum_micro_.load(std::memory_order_relaxed)) / 1e6;
  return s;
}

std::vector<double> latency_buckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help,
                                  const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& family = families_[std::string(name)];
  family.help = help;
  family.type = "counter";
  auto& slot = family.counters[render_labels(labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Histogram& MetricsRegistry::histogram(std::string_view name, std::string_view help,
                                      const Labels& labels, const std::vector<double>& bounds) {
  std::lock_guard lock(mutex_);
  auto& family = families_[std::string(name)];
  family.help = help;
  family.type = "histogram";
  auto& slot = family.histograms[render_labels(labels)];
  if (!slot) slot = std::make_unique<Histogram>(bounds);
  return *slot;
}

void MetricsRegistry::gauge(std::string_view name, std::string_view help,
                            std::function<std::vector<std::pair<Labels, double>>()> read) {
  std::lock_guard lock(mutex_);
  auto& family = families_[std::string(name)];
  family.help = help;
  family.type = "gauge";
  family.gauge = std::move(read);
}

std::string MetricsRegistry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, family] : families_) {
    out += "# HELP " + name + " " + family.help + "\n# TYPE " + name + " " + family.type + "\n";
    for (const auto& [labels, counter] : family.counters) {
      out += name + labels + " " + std::to_string(counter->value()) + "\n";
    }
    for (const auto& [labels, histogram] : family.histograms) {
      const auto snap = histogram->snapshot();
      // The label set without braces, to add "le" to it.
      const std::string inner = labels.empty() ? "" : labels.substr(1, labels.size() - 2) + ",";
      for (std::size_t i = 0; i < snap.cumulative.size(); ++i) {
        const double bound = i < histogram->bounds().size() ? histogram->bounds()[i] : INFINITY;
        out += name + "_bucket{" + inner + "le=\"" + number(bound) + "\"} " +
               std::to_string(snap.cumulative[i]) + "\n";
      }
      out += name + "_sum" + labels + " " + number(snap.sum) + "\n";
      out += name + "_count" + labels + " " + std::to_string(snap.count) + "\n";
    }
    if (family.gauge) {
      for (const auto& [labels, value] : family.gauge()) {
        out += name + render_labels(labels) + " " + number(value) + "\n";
      }
    }
  }
  return out;
}

MetricsRegistry& metrics() {
  static MetricsRegistry registry;
  return registry;
}

}  // namespace tessera::core
