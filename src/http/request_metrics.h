// Metrics of the HTTP layer: requests by route and status, and latency by route
// (tessera_http_requests_total, tessera_http_request_duration_seconds). Route labels come
// from the Router, so the label set stays small whatever paths clients send.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/metrics.h"

namespace tessera::http {

class RequestMetrics {
 public:
  void observe(std::string_view route, unsigned status, std::chrono::steady_clock::duration took);

 private:
  struct Series {
    core::Histogram* latency = nullptr;
    std::array<std::atomic<core::Counter*>, 600> by_status{};
  };
  Series& series(std::string_view route);

  std::mutex mutex_;
  std::unordered_map<std::string, std::unique_ptr<Series>> routes_;
};

}  // namespace tessera::http
