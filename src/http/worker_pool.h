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
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstddef>
#include <exception>
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
  // an exception from fn is rethrown in the caller. No coroutine runs on the pool: the work
  // is posted there as a plain function, and its completion posted back to the caller's
  // executor, which counts it as outstanding work meanwhile (so its io_context keeps running).
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
    auto initiate = [this, &fn](auto handler) {
      auto caller = boost::asio::prefer(boost::asio::get_associated_executor(handler),
                                        boost::asio::execution::outstanding_work.tracked);
      boost::asio::post(
          pool_, [this, &fn, caller = std::move(caller), handler = std::move(handler)]() mutable {
            lower_priority_once(nice_);
            std::exception_ptr failure;
            std::optional<R> result;
            try {
              result.emplace(fn());
            } catch (...) {
              failure = std::current_exception();
            }
            boost::asio::post(caller, [handler = std::move(handler), failure,
                                       result = std::move(result)]() mutable {
              std::move(handler)(failure, std::move(result));
            });
          });
    };
    co_return co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&,
                                                   void(std::exception_ptr, std::optional<R>)>(
        initiate, boost::asio::use_awaitable);
  }

  // Waits for the work accepted so far; run() must not be called afterwards. The destructor
  // does the same.
  void join() { pool_.join(); }

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
