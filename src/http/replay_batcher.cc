#include "http/replay_batcher.h"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace tessera::http {

namespace asio = boost::asio;

ReplayBatcher::ReplayBatcher(store::ReplayStore& replays, std::size_t max_waiting)
    : replays_(replays), max_waiting_(max_waiting), writer_([this] { write_loop(); }) {}

ReplayBatcher::~ReplayBatcher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  arrived_.notify_one();
  writer_.join();
}

asio::awaitable<std::optional<bool>> ReplayBatcher::use_once(std::string key,
                                                             core::TimePoint until) {
  if (replays_.answers_without_waiting()) {
    auto fresh = replays_.use_once(key, until);
    co_return fresh ? std::optional<bool>(*fresh) : std::nullopt;
  }
  auto initiate = [this, &key, until](auto handler) {
    auto caller = asio::prefer(asio::get_associated_executor(handler),
                               asio::execution::outstanding_work.tracked);
    std::unique_lock lock(mutex_);
    if (stopping_ || queue_.size() >= max_waiting_) {
      lock.unlock();
      asio::post(caller, [handler = std::move(handler)]() mutable {
        std::move(handler)(std::optional<bool>());
      });
      return;
    }
    queue_.push_back(Waiting{.key = {.key = std::move(key), .expires_at = until},
                             .caller = std::move(caller),
                             .done = std::move(handler)});
    lock.unlock();
    arrived_.notify_one();
  };
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&,
                                          void(std::optional<bool>)>(initiate, asio::use_awaitable);
}

void ReplayBatcher::write_loop() {
  std::vector<Waiting> batch;
  std::vector<store::KeyToUse> keys;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      arrived_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everyone answered
      batch.swap(queue_);
    }
    keys.clear();
    for (const Waiting& w : batch) keys.push_back(w.key);
    // Every key that arrived while the last transaction ran goes in this one.
    const auto fresh = replays_.use_once_many(keys);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      std::optional<bool> answer;
      if (fresh) answer = (*fresh)[i];
      asio::post(batch[i].caller,
                 [done = std::move(batch[i].done), answer]() mutable { std::move(done)(answer); });
    }
    batch.clear();
  }
}

}  // namespace tessera::http
