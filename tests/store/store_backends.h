// The backends every storage test runs against: a SQLite file in a temporary directory and a
// fresh database on the test PostgreSQL server. A new backend adds one line to kBackends.
//
//   class MyTest : public ::testing::TestWithParam<Backend> { ... GetParam().make() ... };
//   INSTANTIATE_TEST_SUITE_P(Backends, MyTest, ::testing::ValuesIn(kBackends), backend_name);
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>

#include "core/clock.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "support/postgres_server.h"

namespace tessera::store {

// Storage for one test. open() may be called again once the previous store is destroyed, and
// then sees the same data.
class TestDatabase {
 public:
  virtual ~TestDatabase() = default;
  virtual std::unique_ptr<Store> open(const core::Clock& clock) = 0;
};

struct Backend {
  std::string name;
  std::function<std::unique_ptr<TestDatabase>()> make;
};

// A database file in a fresh temporary directory, removed with it.
class SqliteTestDatabase final : public TestDatabase {
 public:
  SqliteTestDatabase() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "tessera-store-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
  }
  ~SqliteTestDatabase() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Store> open(const core::Clock& clock) override {
    auto store = open_sqlite_store({.path = (dir_ / "tessera.db").string()}, clock);
    if (!store) throw std::runtime_error(store.error());
    return std::move(*store);
  }

 private:
  std::filesystem::path dir_;
};

// A fresh database on the test PostgreSQL server (tests/support/postgres_server.h).
class PostgresTestDatabase final : public TestDatabase {
 public:
  PostgresTestDatabase() : url_(test::PostgresServer::shared().create_database()) {}

  std::unique_ptr<Store> open(const core::Clock& clock) override {
    auto store = open_postgres_store({.url = url_, .connections = 4}, clock);
    if (!store) throw std::runtime_error(store.error());
    return std::move(*store);
  }

 private:
  std::string url_;
};

inline const Backend kBackends[] = {
    {"sqlite", [] { return std::make_unique<SqliteTestDatabase>(); }},
    {"postgresql", [] { return std::make_unique<PostgresTestDatabase>(); }},
};

// Names the backend in failure messages instead of dumping the struct's bytes.
inline void PrintTo(const Backend& backend, std::ostream* os) { *os << backend.name; }

inline std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param.name;
}

}  // namespace tessera::store
