// A fixed set of database connections lent to one thread at a time, shared by the SQLite and
// PostgreSQL stores. acquire() blocks while all are lent out; the Lease gives the connection
// back when it goes out of scope.
//
//   ConnectionPool<PgConnection> pool(std::move(connections));
//   auto conn = pool.acquire();
//   conn->exec("SELECT 1");
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "store/store.h"

namespace tessera::store {

template <class Connection>
class ConnectionPool {
 public:
  explicit ConnectionPool(std::vector<std::unique_ptr<Connection>> connections)
      : connections_(std::move(connections)) {
    for (auto& c : connections_) idle_.push_back(c.get());
  }

  class Lease {
   public:
    Lease(ConnectionPool& pool, Connection& conn) : pool_(pool), conn_(conn) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { pool_.release(conn_); }
    Connection* operator->() const { return &conn_; }
    Connection& operator*() const { return conn_; }

   private:
    ConnectionPool& pool_;
    Connection& conn_;
  };

  Store::PoolStats stats() const {
    std::lock_guard lock(mutex_);
    return {.size = connections_.size(), .in_use = connections_.size() - idle_.size()};
  }

  Lease acquire() {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [this] { return !idle_.empty(); });
    Connection* conn = idle_.back();
    idle_.pop_back();
    return Lease(*this, *conn);
  }

 private:
  void release(Connection& conn) {
    {
      std::lock_guard lock(mutex_);
      idle_.push_back(&conn);
    }
    available_.notify_one();
  }

  std::vector<std::unique_ptr<Connection>> connections_;
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<Connection*> idle_;
};

}  // namespace tessera::store
