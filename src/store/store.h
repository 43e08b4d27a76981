// The storage interface: everything Tessera keeps lives behind it. Callers (oauth/, cli/)
// see plain records and StoreError values, never SQL; sqlite/ implements it today and a
// PostgreSQL implementation can follow without touching callers.
//
//   auto store = tessera::store::open_sqlite_store({.path = "data/tessera.db"}, clock);
//   if (!store) die(store.error());
//   auto user = (*store)->find_user("alice");   // expected<optional<User>, StoreError>
//
// Every method is blocking and thread-safe; callers run them off the I/O threads. Failures
// of the database itself (locked, read-only, disk full, I/O error) are logged once by the
// implementation, with its own detail, and come back as StoreError::kUnavailable, which the
// HTTP layer turns into 503. A failed write leaves nothing half-written.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/signing_key.h"
#include "store/user.h"

namespace tessera::store {

enum class StoreError {
  kNotFound,       // the named record does not exist
  kAlreadyExists,  // a record with that key exists already
  kUnavailable,    // the database cannot answer now (locked, read-only, full, I/O error)
};

std::string_view to_string(StoreError e);

template <class T>
using StoreResult = std::expected<T, StoreError>;

class UserStore {
 public:
  virtual ~UserStore() = default;

  virtual StoreResult<std::optional<User>> find_user(std::string_view name) = 0;
  // All users, ordered by name.
  virtual StoreResult<std::vector<User>> list_users() = 0;
  virtual StoreResult<bool> has_users() = 0;
  // Every scope some user may have, sorted, without duplicates (for discovery metadata).
  virtual StoreResult<std::vector<std::string>> list_user_scopes() = 0;
  // kAlreadyExists if the name is taken. created_at/updated_at are set by the store.
  virtual StoreResult<void> add_user(const User& user) = 0;
  // kNotFound if absent.
  virtual StoreResult<void> set_user_disabled(std::string_view name, bool disabled) = 0;
  virtual StoreResult<void> set_user_scopes(std::string_view name,
                                            const std::vector<std::string>& scopes) = 0;
  virtual StoreResult<void> set_password_hash(std::string_view name, std::string_view hash) = 0;
  // Replaces the hash only while it is still `old_hash`, so that a login's rehash cannot undo
  // a password change made meanwhile. Returns whether it replaced it.
  virtual StoreResult<bool> replace_password_hash(std::string_view name, std::string_view old_hash,
                                                  std::string_view new_hash) = 0;
  virtual StoreResult<void> delete_user(std::string_view name) = 0;
};

class KeyStore {
 public:
  virtual ~KeyStore() = default;

  // Every signing key, retired ones included, oldest first.
  virtual StoreResult<std::vector<SigningKeyRecord>> list_signing_keys() = 0;
  // In one transaction: adds `key` if the newest key is still `expected_newest` (std::nullopt:
  // there is no key yet). Returns false, changing nothing, when another writer added a key
  // first: several processes may decide to rotate at once, and only one of them wins.
  virtual StoreResult<bool> add_signing_key(const SigningKeyRecord& key,
                                            const std::optional<std::string>& expected_newest) = 0;
  // kNotFound if absent.
  virtual StoreResult<void> set_signing_key_retire_at(std::string_view kid, core::TimePoint at) = 0;
};

class Store : public UserStore, public KeyStore {
 public:
  // Whether the database answers a trivial query now (for /healthz).
  virtual StoreResult<void> ping() = 0;
};

}  // namespace tessera::store
