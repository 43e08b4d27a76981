// What is particular to the SQLite backend: opening, file permissions, schema migrations and
// how database failures surface. The storage contract itself is in store_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_result_printer.h"

namespace tessera::store {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::sys_seconds;
using ::testing::HasSubstr;
using ::testing::Not;

// A raw connection, independent of the code under test, to inspect and tamper with a file.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK) {
      ADD_FAILURE() << "cannot open " << path << ": " << sqlite3_errmsg(db_);
    }
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  void exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << (error != nullptr ? error : "?");
    }
    sqlite3_free(error);
  }

  // The first column of the first row, as text ("" when there is no row).
  std::string query(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
      return {};
    }
    std::string out;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      const auto* text = sqlite3_column_text(stmt, 0);
      if (text != nullptr) out = reinterpret_cast<const char*>(text);
    }
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "tessera-sqlite-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = (dir_ / "tessera.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Store> open(SqliteOptions options = {}) {
    if (options.path.empty()) options.path = path_;
    auto store = open_sqlite_store(options, clock_);
    if (!store) {
      ADD_FAILURE() << store.error();
      return nullptr;
    }
    return std::move(*store);
  }

  static User alice() {
    return User{.name = "alice", .password_hash = "$argon2id$v=19$secret-hash", .scopes = {"read"}};
  }

  core::ManualClock clock_{sys_seconds{seconds{1700000000}}};
  std::filesystem::path dir_;
  std::string path_;
};

mode_t file_mode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

TEST_F(SqliteStoreTest, AFreshFileGetsTheCurrentSchemaVersion) {
  auto store = open();
  ASSERT_NE(store, nullptr);

  RawDb raw(path_);
  EXPECT_GE(sqlite_schema_version(), 1);
  EXPECT_EQ(raw.query("PRAGMA user_version"), std::to_string(sqlite_schema_version()));
  EXPECT_EQ(raw.query("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.query("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'users'"),
            "1");
}

TEST_F(SqliteStoreTest, AnEmptyExistingFileIsMigrated) {
  { std::ofstream touch(path_); }
  auto store = open();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->users().add_user(alice()).has_value());
  EXPECT_EQ(RawDb(path_).query("PRAGMA user_version"), std::to_string(sqlite_schema_version()));
}

TEST_F(SqliteStoreTest, AVersion1DatabaseIsMigratedAndKeepsItsUsers) {
  {
    // The schema exactly as migration 1 made it, as a database from the first release has it.
    RawDb raw(path_);
    raw.exec(R"sql(
      CREATE TABLE users (
        name TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        scopes TEXT NOT NULL DEFAULT '',
        disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      INSERT INTO users VALUES ('alice', '$argon2id$v=19$old-hash', 'read write', 1,
                                1600000000, 1600000100);
      PRAGMA user_version = 1;
    )sql");
  }

  auto store = open();
  ASSERT_NE(store, nullptr);

  RawDb raw(path_);
  EXPECT_GE(sqlite_schema_version(), 2);
  EXPECT_EQ(raw.query("PRAGMA user_version"), std::to_string(sqlite_schema_version()));
  EXPECT_EQ(
      raw.query(
          "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'signing_keys'"),
      "1");
  auto found = store->users().find_user("alice");
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ((*found)->password_hash, "$argon2id$v=19$old-hash");
  EXPECT_THAT((*found)->scopes, ::testing::ElementsAre("read", "write"));
  EXPECT_TRUE((*found)->disabled);
  EXPECT_EQ((*found)->created_at, sys_seconds{seconds{1600000000}});
  EXPECT_EQ((*found)->updated_at, sys_seconds{seconds{1600000100}});

  // The new table works.
  auto keys = store->keys().list_signing_keys();
  ASSERT_TRUE(keys.has_value());
  EXPECT_TRUE(keys->empty());
  const SigningKeyRecord key{.kid = "kid-a",
                             .alg = "EdDSA",
                             .public_jwk = "{}",
                             .sealed_private = "sealed",
                             .created_at = sys_seconds{seconds{1700000000}},
                             .activates_at = sys_seconds{seconds{1700000000}},
                             .retire_at = std::nullopt};
  EXPECT_EQ(store->keys().add_signing_key(key, std::nullopt), true);
  EXPECT_EQ(raw.query("SELECT kid FROM signing_keys"), "kid-a");
}

// Version 5 rebuilt the revocation log to admit user and client revocations: its entries and
// its sequence numbers must survive, or a follower that has seen sequence n would skip the
// next revocations.
TEST_F(SqliteStoreTest, AVersion4RevocationLogKeepsItsEntriesAndItsSequence) {
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
  }
  {
    // Back to the version 4 table, with three entries logged and the newest one purged, and
    // without what versions 6 and 7 added.
    RawDb raw(path_);
    raw.exec(R"sql(
      DROP TABLE device_codes;
      DROP TABLE initial_access_tokens;
      ALTER TABLE clients DROP COLUMN registration_token_hash;
      ALTER TABLE clients DROP COLUMN resources;
      ALTER TABLE authorization_codes DROP COLUMN resource;
      ALTER TABLE refresh_families DROP COLUMN resource;
      DROP TABLE used_once;
      DROP TABLE pushed_requests;
      ALTER TABLE clients DROP COLUMN require_par;
      ALTER TABLE clients DROP COLUMN auth_method;
      ALTER TABLE clients DROP COLUMN jwks_uri;
      ALTER TABLE clients DROP COLUMN exchange_audiences;
      ALTER TABLE authorization_codes DROP COLUMN dpop_jkt;
      ALTER TABLE clients DROP COLUMN jwks;
      ALTER TABLE clients DROP COLUMN require_dpop;
      ALTER TABLE refresh_families DROP COLUMN jkt;
      ALTER TABLE signing_keys DROP COLUMN purpose;
      DROP TABLE browser_sessions;
      DROP TABLE authorization_codes;
      DROP TABLE consents;
      ALTER TABLE users DROP COLUMN display_name;
      ALTER TABLE users DROP COLUMN email;
      ALTER TABLE clients DROP COLUMN redirect_uris;
      ALTER TABLE clients DROP COLUMN post_logout_redirect_uris;
      ALTER TABLE clients DROP COLUMN display_name;
      ALTER TABLE clients DROP COLUMN skip_consent;
      ALTER TABLE clients DROP COLUMN id_token_alg;
      DROP TABLE revocations;
      CREATE TABLE revocations (
        sequence INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL CHECK (kind IN ('jti', 'sid')),
        value TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT;
      INSERT INTO revocations (kind, value, expires_at) VALUES ('jti', 'j1', 1700000900);
      INSERT INTO revocations (kind, value, expires_at) VALUES ('sid', 'f1', 1700000900);
      INSERT INTO revocations (kind, value, expires_at) VALUES ('jti', 'gone', 1700000900);
      DELETE FROM revocations WHERE value = 'gone';
      PRAGMA user_version = 4;
    )sql");
  }
  auto store = open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(RawDb(path_).query("PRAGMA user_version"), std::to_string(sqlite_schema_version()));
  auto log = store->revocations().revocations_since(0, clock_.now());
  ASSERT_TRUE(log.has_value());
  ASSERT_EQ(log->size(), 2u);
  EXPECT_EQ((*log)[0].sequence, 1);
  EXPECT_EQ((*log)[0].kind, Revocation::Kind::kAccessToken);
  EXPECT_EQ((*log)[0].value, "j1");
  EXPECT_EQ((*log)[1].sequence, 2);
  EXPECT_EQ((*log)[1].kind, Revocation::Kind::kFamily);
  // The next entry comes after every sequence ever handed out, the purged one included.
  ASSERT_TRUE(store->refresh_tokens()
                  .revoke_subject("alice", clock_.now(), clock_.now(),
                                  clock_.now() + std::chrono::minutes(20))
                  .has_value());
  auto next = store->revocations().revocations_since(2, clock_.now());
  ASSERT_TRUE(next.has_value());
  ASSERT_EQ(next->size(), 1u);
  EXPECT_EQ((*next)[0].sequence, 4);
  EXPECT_EQ((*next)[0].kind, Revocation::Kind::kSubject);
}

TEST_F(SqliteStoreTest, TheMigrationIsLoggedWithItsVersions) {
  {
    RawDb raw(path_);
    raw.exec(
        "CREATE TABLE users (name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, scopes TEXT NOT "
        "NULL DEFAULT '', disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)), "
        "created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT; "
        "PRAGMA user_version = 1");
  }
  ::testing::internal::CaptureStderr();
  auto store = open();
  const std::string log = ::testing::internal::GetCapturedStderr();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(log, HasSubstr(R"("event":"database_migrated")"));
  EXPECT_THAT(log, HasSubstr(R"("from":1,"to":)" + std::to_string(sqlite_schema_version())));
}

TEST_F(SqliteStoreTest, ReopeningKeepsTheSchemaVersionAndTheData) {
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->users().add_user(alice()).has_value());
  }
  auto store = open();
  ASSERT_NE(store, nullptr);

  auto found = store->users().find_user("alice");
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ((*found)->password_hash, alice().password_hash);
  EXPECT_EQ(RawDb(path_).query("PRAGMA user_version"), std::to_string(sqlite_schema_version()));
}

TEST_F(SqliteStoreTest, TheDatabaseAndItsWalFilesAreReadableByTheOwnerOnly) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->users().add_user(alice()).has_value());

  EXPECT_EQ(file_mode(path_), 0600u);
  // While the store is open, its write-ahead log and shared-memory index exist too.
  EXPECT_EQ(file_mode(path_ + "-wal"), 0600u);
  EXPECT_EQ(file_mode(path_ + "-shm"), 0600u);
}

TEST_F(SqliteStoreTest, TheFileIsCreated0600WhateverTheUmask) {
  const mode_t old_umask = ::umask(0);
  auto store = open();
  ::umask(old_umask);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(file_mode(path_), 0600u);
}

TEST_F(SqliteStoreTest, ADatabaseWithANewerSchemaVersionIsRefused) {
  const int newer = sqlite_schema_version() + 1;
  {
    RawDb raw(path_);
    raw.exec("CREATE TABLE future (x INTEGER); PRAGMA user_version = " + std::to_string(newer));
  }

  auto store = open_sqlite_store({.path = path_}, clock_);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error(), "cannot open database " + path_ + ": database schema version " +
                               std::to_string(newer) + " is newer than this tessera supports (" +
                               std::to_string(sqlite_schema_version()) + ")");
  RawDb raw(path_);
  EXPECT_EQ(raw.query("PRAGMA user_version"), std::to_string(newer));
  EXPECT_EQ(raw.query("SELECT count(*) FROM sqlite_schema WHERE name = 'users'"), "0");
}

TEST_F(SqliteStoreTest, ThreadsOpeningANewFileAtOnceAllSucceedAndMigrateOnce) {
  constexpr int kThreads = 8;
  for (int round = 0; round < 10; ++round) {
    const std::string path = (dir_ / ("race-" + std::to_string(round) + ".db")).string();
    std::latch start(kThreads);
    std::vector<std::string> errors(kThreads);
    {
      std::vector<std::jthread> threads;
      for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
          start.arrive_and_wait();
          auto store = open_sqlite_store({.path = path, .connections = 2}, clock_);
          if (!store) errors[t] = store.error();
        });
      }
    }
    EXPECT_THAT(errors, ::testing::Each("")) << "round " << round;
    RawDb raw(path);
    EXPECT_EQ(raw.query("PRAGMA user_version"), std::to_string(sqlite_schema_version()));
  }
}

TEST_F(SqliteStoreTest, ProcessesOpeningANewFileAtOnceAllSucceed) {
  constexpr int kProcesses = 4;
  // The children wait for this file to appear, so that they open at nearly the same time.
  const std::string go = (dir_ / "go").string();
  std::vector<pid_t> children;
  for (int i = 0; i < kProcesses; ++i) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      for (int waited = 0; ::access(go.c_str(), F_OK) != 0; ++waited) {
        if (waited == 100'000) ::_exit(2);  // the parent gave up
        ::usleep(100);
      }
      core::ManualClock clock{sys_seconds{seconds{1700000000}}};
      auto store = open_sqlite_store({.path = path_}, clock);
      bool ok = store.has_value();
      if (ok) {
        User user = alice();
        user.name = "child-" + std::to_string(i);
        ok = (*store)->users().add_user(user).has_value();
      }
      ::_exit(ok ? 0 : 1);
    }
    children.push_back(pid);
  }
  { std::ofstream touch(go); }

  for (const pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  RawDb raw(path_);
  EXPECT_EQ(raw.query("PRAGMA user_version"), std::to_string(sqlite_schema_version()));
  EXPECT_EQ(raw.query("SELECT count(*) FROM users"), std::to_string(kProcesses));
}

TEST_F(SqliteStoreTest,
       AWriteWhileAnotherConnectionHoldsTheWriteLockFailsWithUnavailableAndKeepsData) {
  auto store = open({.path = path_, .busy_timeout = milliseconds(50)});
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->users().add_user(alice()).has_value());

  RawDb other(path_);
  other.exec("BEGIN EXCLUSIVE");
  User bob = alice();
  bob.name = "bob";
  bob.password_hash = "$argon2id$v=19$bobs-hash";
  ::testing::internal::CaptureStderr();
  const auto added = store->users().add_user(bob);
  const auto changed = store->users().set_password_hash("alice", "$argon2id$v=19$other-hash");
  const std::string log = ::testing::internal::GetCapturedStderr();

  EXPECT_EQ(added, std::unexpected(StoreError::kUnavailable));
  EXPECT_EQ(changed, std::unexpected(StoreError::kUnavailable));
  // One line per failure, with SQLite's detail and no secrets.
  EXPECT_THAT(log, HasSubstr(R"("event":"database_error","operation":"add_user")"));
  EXPECT_THAT(log, HasSubstr(R"("event":"database_error","operation":"set_password_hash")"));
  EXPECT_THAT(log, HasSubstr(R"("sqlite":"database is locked")"));
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 2);
  EXPECT_THAT(log, Not(HasSubstr("argon2id")));

  // WAL readers are not blocked by the writer.
  auto found = store->users().find_user("alice");
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ((*found)->password_hash, alice().password_hash);
  EXPECT_TRUE(store->ping().has_value());

  other.exec("ROLLBACK");
  EXPECT_TRUE(store->users().add_user(bob).has_value());
  auto users = store->users().list_users();
  ASSERT_TRUE(users.has_value());
  EXPECT_EQ(users->size(), 2u);
}

TEST_F(SqliteStoreTest, AReadOnlyFileIsRefusedAtOpen) {
  if (::geteuid() == 0) GTEST_SKIP() << "root writes to read-only files";
  { ASSERT_NE(open(), nullptr); }
  ASSERT_EQ(::chmod(path_.c_str(), 0400), 0);

  auto store = open_sqlite_store({.path = path_}, clock_);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error(), "cannot open database " + path_ + ": the file is not writable");
}

TEST_F(SqliteStoreTest, APathInAMissingDirectoryFailsWithOneLine) {
  const std::string path = (dir_ / "missing" / "tessera.db").string();
  auto store = open_sqlite_store({.path = path}, clock_);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error(), "cannot open database " + path + ": No such file or directory");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "missing"));
}

TEST_F(SqliteStoreTest, AFileThatIsNotADatabaseFailsWithOneLine) {
  { std::ofstream(path_) << "this is not an SQLite database, but it is long enough to look at\n"; }
  auto store = open_sqlite_store({.path = path_}, clock_);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error(), "cannot open database " + path_ + ": file is not a database");
}

TEST_F(SqliteStoreTest, APoolOfNoConnectionsIsRefused) {
  auto store = open_sqlite_store({.path = path_, .connections = 0}, clock_);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error(), "cannot open database " + path_ + ": at least one connection is needed");
}

TEST_F(SqliteStoreTest, OneConnectionServesManyThreadsInTurn) {
  auto store = open({.path = path_, .connections = 1});
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->users().add_user(alice()).has_value());
  std::vector<int> failures(4, 0);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 200; ++i) {
          auto found = store->users().find_user("alice");
          if (!found || !*found) ++failures[t];
        }
      });
    }
  }
  EXPECT_THAT(failures, ::testing::Each(0));
}

}  // namespace
}  // namespace tessera::store
