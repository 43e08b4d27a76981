// A bounded pool of threads for blocking work (password hashing, database queries), so that
// I/O threads never block: a coroutine hands a function over and awaits its result.
//
//   WorkerPool pool(2, 256);
//   std::optional<Response> res = co_await pool.run([&] { return slow_thing(); });
//   if (!res) co_return unavailable_response();   // the queue is full: shed load, don't pile up
//
// The bound is on work accepted and not yet finished; past it run() answers std::nullopt at
// once rather than letting a burst queue without limit.
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstddef>
#include <optional>
#include <type_traits>

namespace tessera::http {

class WorkerPool {
 public:
  // `nice` > 0 lowers the priority of the pool's threads (Linux: per thread), so that
  // CPU-bound work queued here (password hashing) yields the cores to the I/O threads.
  WorkerPool(std::size_t threads, std::size_t max_pending, int nice = 0)
      : pool_(threads), max_pending_(max_pending), nice_(nice) {}
  ~WorkerPool() { pool_.join(); }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs fn() on a pool thread and resumes the caller on its own executor with the result;
  // an exception from fn is rethrown in the caller.
  template <class F>
  boost::asio::awaitable<std::optional<std::invoke_result_t<F&>>> run(F fn) {
    using R = std::invoke_result_t<F&>;
    if (pending_.fetch_add(1, std::memory_order_acq_rel) >= max_pending_) {
      pending_.fetch_sub(1, std::memory_order_acq_rel);
      co_return std::nullopt;
    }
    struct Release {
      std::atomic<std::size_t>& pending;
      ~Release() { pending.fetch_sub(1, std::memory_order_acq_rel); }
    } release{pending_};
    // The executor is a named variable: GCC 12 mishandles temporaries with destructors in a
    // co_await expression.
    const auto executor = pool_.get_executor();
    R result = co_await boost::asio::co_spawn(
        executor,
        [&fn, nice = nice_]() -> boost::asio::awaitable<R> {
          lower_priority_once(nice);
          co_return fn();
        },
        boost::asio::use_awaitable);
    co_return std::optional<R>(std::move(result));
  }

  std::size_t pending() const { return pending_.load(std::memory_order_relaxed); }

 private:
  static void lower_priority_once(int nice) {
    thread_local bool done = false;
    if (nice <= 0 || done) return;
    done = true;
    ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), nice);
  }

  boost::asio::thread_pool pool_;
  const std::size_t max_pending_;
  const int nice_;
  std::atomic<std::size_t> pending_{0};
};

}  // namespace tessera::http
