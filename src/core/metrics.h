// Metrics in the Prometheus text format (exposition format 0.0.4): counters, histograms and
// gauges read at scrape time, in one process-wide registry. (Debian 12 packages no
// Prometheus client library for C++; this is the small part of one that Tessera needs.)
//
//   static core::Counter& issued = core::metrics().counter(
//       "tessera_tokens_issued_total", "Access tokens issued", {{"grant_type", "password"}});
//   issued.inc();
//   std::string text = core::metrics().render();   // GET /metrics
//
// Updates are lock-free (relaxed atomics); creating a series takes a lock, so hot paths keep
// the reference a lookup returned. References stay valid for the life of the process.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::core {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);

  // Cumulative counts per bound (the last one is +Inf), sum and count, for rendering.
  struct Snapshot {
    std::vector<std::uint64_t> cumulative;
    double sum = 0;
    std::uint64_t count = 0;
  };
  Snapshot snapshot() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // one more than bounds: +Inf
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_micro_{0};  // the sum in millionths, to stay an integer
};

// Latency buckets in seconds, from 100 µs to 10 s.
std::vector<double> latency_buckets();

class MetricsRegistry {
 public:
  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram& histogram(std::string_view name, std::string_view help, const Labels& labels,
                       const std::vector<double>& bounds);
  // A gauge computed when scraped: `read` returns the current series (labels and value).
  void gauge(std::string_view name, std::string_view help,
             std::function<std::vector<std::pair<Labels, double>>()> read);

  std::string render() const;

 private:
  struct Family {
    std::string help;
    std::string type;
    std::map<std::string, std::unique_ptr<Counter>> counters;      // by rendered labels
    std::map<std::string, std::unique_ptr<Histogram>> histograms;  // by rendered labels
    std::function<std::vector<std::pair<Labels, double>>()> gauge;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Family, std::less<>> families_;
};

MetricsRegistry& metrics();

}  // namespace tessera::core
