// The replay cache's writes for requests served on the I/O threads (DPoP proofs at the
// resources, RFC 9449 section 11.1): a coroutine hands its key over and awaits the answer
// without holding a thread, and one thread writes whatever keys have arrived in one store
// transaction, so that under load one commit serves many requests. A store that answers from
// memory (ReplayStore::answers_without_waiting: SQLite's replay file) is asked at once instead.
//
//   ReplayBatcher batcher(store.replays());
//   std::optional<bool> fresh = co_await batcher.use_once(key, until);
//   if (!fresh) co_return unavailable_response();   // the store failed, or too many wait
//   if (!*fresh) co_return refused("the proof was used before");
#pragma once

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "store/store.h"

namespace tessera::http {

class ReplayBatcher {
 public:
  // At most `max_waiting` keys wait at once; past that use_once answers std::nullopt at once.
  explicit ReplayBatcher(store::ReplayStore& replays, std::size_t max_waiting = 4096);
  // Answers every key handed over, then stops the writing thread.
  ~ReplayBatcher();
  ReplayBatcher(const ReplayBatcher&) = delete;
  ReplayBatcher& operator=(const ReplayBatcher&) = delete;

  // Whether `key` is new (remembered now until `until`) or was used before; std::nullopt when
  // the store cannot answer or the queue is full. The caller resumes on its own executor.
  boost::asio::awaitable<std::optional<bool>> use_once(std::string key, core::TimePoint until);

 private:
  struct Waiting {
    store::KeyToUse key;
    boost::asio::any_io_executor caller;  // tracked as outstanding work until answered
    boost::asio::any_completion_handler<void(std::optional<bool>)> done;
  };

  void write_loop();

  store::ReplayStore& replays_;
  const std::size_t max_waiting_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<Waiting> queue_;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace tessera::http
