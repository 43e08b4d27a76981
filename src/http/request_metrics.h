// Metrics of the HTTP layer: requests by route and status, and latency by route
// (tessera_http_requests_total, tessera_http_request_duration_seconds). Route labels come
// from the Router (route_label), so the label set stays small whatever paths clients send.
//
// observe() runs for every request: it takes no lock once a route has been seen. Labels are
// looked up by the address of the Router's label string, which stays put for the life of
// the Router.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/metrics.h"

namespace tessera::http {

class RequestMetrics {
 public:
  void observe(std::string_view route, unsigned status, std::chrono::steady_clock::duration took);

 private:
  struct Series {
    std::string route;
    core::Histogram* latency = nullptr;
    std::array<std::atomic<core::Counter*>, 600> by_status{};
  };
  using Index = std::unordered_map<const char*, Series*>;

  Series& series(std::string_view route);

  std::mutex mutex_;  // creating series
  std::vector<std::unique_ptr<Series>> all_;
  std::atomic<std::shared_ptr<const Index>> index_{std::make_shared<const Index>()};
};

}  // namespace tessera::http
