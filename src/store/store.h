// The storage interfaces: everything Tessera keeps lives behind them, one interface per kind
// of record (users, clients, signing keys, refresh tokens, the revocation log, throttle
// counters), gathered by Store. Callers (oauth/, admin/, keys/) take the one interface they
// need and see plain records and StoreError values, never SQL; sqlite/ and postgres/ implement
// every interface, and the composition root (app/) alone picks one.
//
//   auto store = tessera::store::open_sqlite_store({.path = "data/tessera.db"}, clock);
//   if (!store) die(store.error());
//   auto user = (*store)->users().find_user("alice");   // expected<optional<User>, StoreError>
//
// Every method is blocking and thread-safe; callers run them off the I/O threads. Failures
// of the database itself (locked, read-only, disk full, I/O error) are logged once by the
// implementation, with its own detail, and come back as StoreError::kUnavailable, which the
// HTTP layer turns into 503. A failed write leaves nothing half-written.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/client.h"
#include "store/device.h"
#include "store/refresh_token.h"
#include "store/sign_in.h"
#include "store/signing_key.h"
#include "store/throttle.h"
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
  // In one transaction: adds `key` if the newest key of its purpose is still `expected_newest`
  // (std::nullopt: there is no key of that purpose yet). Returns false, changing nothing, when
  // another writer added a key first: several processes may decide to rotate at once, and only one
  // of them wins.
  virtual StoreResult<bool> add_signing_key(const SigningKeyRecord& key,
                                            const std::optional<std::string>& expected_newest) = 0;
  // kNotFound if absent.
  virtual StoreResult<void> set_signing_key_retire_at(std::string_view kid, core::TimePoint at) = 0;
};

class ClientStore {
 public:
  virtual ~ClientStore() = default;

  virtual StoreResult<std::optional<ClientRecord>> find_client(std::string_view id) = 0;
  // Ordered by id.
  virtual StoreResult<std::vector<ClientRecord>> list_clients() = 0;
  // kAlreadyExists if the id is taken. created_at is set by the store.
  virtual StoreResult<void> add_client(const ClientRecord& client) = 0;
  // kNotFound if absent. In one transaction: its refresh families go with it, and are logged
  // as revoked until `access_tokens_expire`, and so is every access token issued to it at or
  // before `now` (a kClient revocation), so that none of its tokens works any more.
  virtual StoreResult<void> delete_client(std::string_view id, core::TimePoint now,
                                          core::TimePoint access_tokens_expire) = 0;
  // Every scope some client may have, sorted, without duplicates.
  virtual StoreResult<std::vector<std::string>> list_client_scopes() = 0;
  // What a registered client may change of itself (RFC 7592 section 2.2): the grants, scopes,
  // redirect URIs and display name of `client`, for the client with its id and registration
  // token hash. False when no such client is left (deleted meanwhile).
  virtual StoreResult<bool> update_registered_client(const ClientRecord& client) = 0;
};

class RefreshTokenStore {
 public:
  virtual ~RefreshTokenStore() = default;

  // A new family with its first token, in one transaction.
  virtual StoreResult<void> add_refresh_family(const RefreshFamily& family,
                                               const RefreshTokenRecord& first) = 0;
  virtual StoreResult<std::optional<RefreshTokenState>> find_refresh_token(
      std::string_view token_hash) = 0;
  // In one transaction: marks `used_hash` used at `now` and adds `next` to its family, if the
  // used token was still unused and its family not revoked. Returns false, changing nothing,
  // otherwise: of two requests racing with one token, exactly one wins.
  virtual StoreResult<bool> rotate_refresh_token(std::string_view used_hash,
                                                 const RefreshTokenRecord& next,
                                                 core::TimePoint now) = 0;
  // Revokes the family (if not already) and logs a kFamily revocation until
  // `access_tokens_expire`. Returns whether it was live.
  virtual StoreResult<bool> revoke_refresh_family(std::string_view family_id, core::TimePoint now,
                                                  core::TimePoint access_tokens_expire) = 0;
  // Ends what a user holds, in one transaction: revokes every live family of `subject` as
  // revoke_refresh_family does, and logs a kSubject revocation of every access token issued
  // to them at or before `issued_until`, until `access_tokens_expire`. Returns how many
  // families were live.
  virtual StoreResult<std::size_t> revoke_subject(std::string_view subject, core::TimePoint now,
                                                  core::TimePoint issued_until,
                                                  core::TimePoint access_tokens_expire) = 0;

  // Deletes refresh tokens past their expiry at `now`, and families left without a token.
  // Returns how many rows went.
  virtual StoreResult<std::size_t> purge_expired(core::TimePoint now) = 0;
};

// The log of revocations that every server process follows (refresh_token.h, Revocation).
// Entries of the other kinds are written by RefreshTokenStore and ClientStore, in the same
// transaction as the change they record.
class RevocationLog {
 public:
  virtual ~RevocationLog() = default;

  // Logs an access-token revocation (by jti) until the token's expiry. Revoking twice is fine.
  virtual StoreResult<void> revoke_access_token(std::string_view jti,
                                                core::TimePoint expires_at) = 0;
  // Revocations logged after `after` (a sequence number; 0 for all) that have not expired at
  // `now`, in order. A store whose writers may commit out of sequence order (PostgreSQL) also
  // returns a margin of entries at or below `after`, so none is missed; callers de-duplicate.
  virtual StoreResult<std::vector<Revocation>> revocations_since(std::int64_t after,
                                                                 core::TimePoint now) = 0;
  // Deletes the entries expired at `now`; returns how many.
  virtual StoreResult<std::size_t> purge_expired(core::TimePoint now) = 0;
};

// Failed credential checks per key ("user:alice", "client:billing", "addr:192.0.2.7"), for
// throttling guessers. The counting rules are count_failure's (throttle.h); the store makes
// each update atomic so that several server processes share the counters.
class ThrottleStore {
 public:
  virtual ~ThrottleStore() = default;

  // When `key` or `other` (an account and the address it is tried from) is locked at `now`,
  // until when the later lock runs; std::nullopt when neither is. One read for both.
  virtual StoreResult<std::optional<core::TimePoint>> locked_until(std::string_view key,
                                                                   std::string_view other,
                                                                   core::TimePoint now) = 0;
  // Counts a failure at `now` by count_failure's rules, in one transaction with the read of
  // the key's counters. Returns what the failure did.
  virtual StoreResult<ThrottleState> record_failure(std::string_view key, core::TimePoint now,
                                                    const ThrottlePolicy& policy) = 0;
  // A success forgets the key's failures and lockouts.
  virtual StoreResult<void> clear_failures(std::string_view key) = 0;
  // Deletes counters idle for a day and not locked at `now`; returns how many.
  virtual StoreResult<std::size_t> purge_idle(core::TimePoint now) = 0;
};

// Browser sessions (sign_in.h), looked up by the hash of the cookie's value.
class SessionStore {
 public:
  virtual ~SessionStore() = default;

  virtual StoreResult<void> add_session(const BrowserSession& session) = 0;
  // The session with this hash if it has expired neither absolutely nor by being idle for
  // longer than `idle` at `now`; a live one is marked seen at `now`.
  virtual StoreResult<std::optional<BrowserSession>> use_session(std::string_view id_hash,
                                                                 core::TimePoint now,
                                                                 std::chrono::seconds idle) = 0;
  // Ends one session (sign-out). Returns the ended session, if there was one.
  virtual StoreResult<std::optional<BrowserSession>> end_session(std::string_view id_hash) = 0;
  // Ends every session of a user; returns how many.
  virtual StoreResult<std::size_t> end_subject_sessions(std::string_view subject) = 0;
  // Deletes sessions expired at `now`, absolutely or idle for longer than `idle`.
  virtual StoreResult<std::size_t> purge_expired(core::TimePoint now,
                                                 std::chrono::seconds idle) = 0;
};

// Authorization codes (sign_in.h), by the hash of the code.
class AuthorizationCodeStore {
 public:
  virtual ~AuthorizationCodeStore() = default;

  virtual StoreResult<void> add_code(const AuthorizationCode& code) = 0;
  // In one transaction: the code as it was, and marked used at `now` if it was unused. Of two
  // requests racing with one code, exactly one finds it unused. std::nullopt: no such code.
  virtual StoreResult<std::optional<AuthorizationCode>> redeem_code(std::string_view code_hash,
                                                                    core::TimePoint now) = 0;
  // Records what the code's first use issued, for a second use to revoke. The redemption is
  // durable (survives a power failure) once this returns or once the refresh family
  // `family_id` was added: a backend may leave redeem_code's commit to be made durable by them.
  virtual StoreResult<void> set_code_issued(std::string_view code_hash, std::string_view jti,
                                            std::string_view family_id) = 0;
  // Deletes codes that expired before `now`; returns how many.
  virtual StoreResult<std::size_t> purge_expired(core::TimePoint now) = 0;
};

// Consent a user gave a client, remembered per scope.
class ConsentStore {
 public:
  virtual ~ConsentStore() = default;

  // The scopes the user has allowed the client, sorted; empty when none.
  virtual StoreResult<std::vector<std::string>> find_consent(std::string_view subject,
                                                             std::string_view client_id) = 0;
  // Adds `scopes` to what the user has allowed the client.
  virtual StoreResult<void> add_consent(std::string_view subject, std::string_view client_id,
                                        const std::vector<std::string>& scopes) = 0;
  // Forgets everything a user allowed (user deleted) or a client was allowed (client deleted).
  virtual StoreResult<void> forget_subject(std::string_view subject) = 0;
  virtual StoreResult<void> forget_client(std::string_view client_id) = 0;
};

// Identifiers that may be used once (RFC 9449 section 11.1: a DPoP proof's jti; RFC 7523
// section 3: a client assertion's jti), kept until they could no longer be accepted anyway.
// Shared by every server process over the same database.
// A key to remember once (ReplayStore::use_once_many).
struct KeyToUse {
  std::string key;
  core::TimePoint expires_at;
};

class ReplayStore {
 public:
  virtual ~ReplayStore() = default;
  // Remembers `key` (a hash the caller makes of what identifies the use) until `expires_at`.
  // Returns false, changing nothing, when it was remembered already: a replay.
  virtual StoreResult<bool> use_once(std::string_view key, core::TimePoint expires_at) = 0;
  // use_once for each key, in order, as one write where the backend can: whether each was new
  // (a key twice in `keys` is new the first time only), or the error for all.
  virtual StoreResult<std::vector<bool>> use_once_many(std::span<const KeyToUse> keys) {
    std::vector<bool> fresh;
    fresh.reserve(keys.size());
    for (const KeyToUse& k : keys) {
      auto used = use_once(k.key, k.expires_at);
      if (!used) return std::unexpected(used.error());
      fresh.push_back(*used);
    }
    return fresh;
  }
  // Forgets the keys expired at `now`; returns how many.
  virtual StoreResult<std::size_t> purge_expired(core::TimePoint now) = 0;
  // Whether use_once answers from memory, without I/O or waiting on a lock held across I/O,
  // so that an I/O thread may call it itself.
  virtual bool answers_without_waiting() const { return false; }
};

// Authorization requests pushed to /par (RFC 9126).
class PushedRequestStore {
 public:
  virtual ~PushedRequestStore() = default;
  virtual StoreResult<void> add_pushed_request(const PushedRequest& request) = 0;
  virtual StoreResult<std::optional<PushedRequest>> find_pushed_request(
      std::string_view uri_hash) = 0;
  // Marks the request used at `now` if it was not; returns whether this call did. Of two
  // requests racing with one request_uri, exactly one wins.
  virtual StoreResult<bool> use_pushed_request(std::string_view uri_hash, core::TimePoint now) = 0;
  // Deletes the requests expired before `now`; returns how many.
  virtual StoreResult<std::size_t> purge_expired(core::TimePoint now) = 0;
};

// Device authorizations (device.h, RFC 8628), by the device_code's hash or the user code.
class DeviceCodeStore {
 public:
  virtual ~DeviceCodeStore() = default;
  // kAlreadyExists when the user code is taken (by a live or an expired authorization).
  virtual StoreResult<void> add_device_code(const DeviceAuthorization& authorization) = 0;
  virtual StoreResult<std::optional<DeviceAuthorization>> find_user_code(
      std::string_view user_code) = 0;
  // Records the user's answer if the authorization is still pending and unexpired at `now`;
  // returns whether this call did.
  virtual StoreResult<bool> decide_device_code(std::string_view user_code,
                                               const DeviceDecision& decision,
                                               core::TimePoint now) = 0;
  // In one transaction: the authorization as it was before this poll, and next_poll()'s
  // record written back, when it belongs to `client_id`; std::nullopt, changing nothing, when
  // there is no such authorization or it is another client's. Of two polls racing for an
  // approved authorization, exactly one finds it approved.
  virtual StoreResult<std::optional<Poll>> poll_device_code(std::string_view code_hash,
                                                            std::string_view client_id,
                                                            core::TimePoint now) = 0;
  // Deletes authorizations expired before `before`; returns how many.
  virtual StoreResult<std::size_t> purge_expired(core::TimePoint before) = 0;
};

// Initial access tokens for dynamic registration (client.h).
class RegistrationTokenStore {
 public:
  virtual ~RegistrationTokenStore() = default;
  virtual StoreResult<void> add_initial_token(const InitialAccessToken& token) = 0;
  // In one transaction: counts a use of the token if it exists, is unexpired at `now` and has
  // uses left; returns whether it did.
  virtual StoreResult<bool> use_initial_token(std::string_view token_hash, core::TimePoint now) = 0;
  // Deletes the tokens expired before `now`; returns how many.
  virtual StoreResult<std::size_t> purge_expired(core::TimePoint now) = 0;
};

// Every interface of one database.
class Store {
 public:
  virtual ~Store() = default;

  virtual UserStore& users() = 0;
  virtual ClientStore& clients() = 0;
  virtual KeyStore& keys() = 0;
  virtual RefreshTokenStore& refresh_tokens() = 0;
  virtual RevocationLog& revocations() = 0;
  virtual ThrottleStore& throttles() = 0;
  virtual SessionStore& sessions() = 0;
  virtual AuthorizationCodeStore& codes() = 0;
  virtual ConsentStore& consents() = 0;
  virtual ReplayStore& replays() = 0;
  virtual PushedRequestStore& pushed_requests() = 0;
  virtual DeviceCodeStore& device_codes() = 0;
  virtual RegistrationTokenStore& registration_tokens() = 0;

  // Whether the database answers a trivial query now (for /healthz).
  virtual StoreResult<void> ping() = 0;

  // The connection pool now, for metrics.
  struct PoolStats {
    std::size_t size = 0;
    std::size_t in_use = 0;
  };
  virtual PoolStats pool_stats() const = 0;
};

}  // namespace tessera::store
