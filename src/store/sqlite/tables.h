// The SQLite store's implementation of each storage interface (store.h), one class a table
// family, each in its own file, all over one shared Database. Internal to store/sqlite:
// open_sqlite_store() (sqlite_store.h) puts them together.
#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>
#include <vector>

#include "store/sqlite/database.h"
#include "store/sqlite/replay_file.h"
#include "store/store.h"

namespace tessera::store::sqlite {

class SqliteUsers final : public UserStore {
 public:
  explicit SqliteUsers(Database& db) : db_(db) {}
  StoreResult<std::optional<User>> find_user(std::string_view name) override;
  StoreResult<std::vector<User>> list_users() override;
  StoreResult<bool> has_users() override;
  StoreResult<std::vector<std::string>> list_user_scopes() override;
  StoreResult<void> add_user(const User& user) override;
  StoreResult<void> set_user_disabled(std::string_view name, bool disabled) override;
  StoreResult<void> set_user_scopes(std::string_view name,
                                    const std::vector<std::string>& scopes) override;
  StoreResult<void> set_password_hash(std::string_view name, std::string_view hash) override;
  StoreResult<bool> replace_password_hash(std::string_view name, std::string_view old_hash,
                                          std::string_view new_hash) override;
  StoreResult<void> delete_user(std::string_view name) override;

 private:
  Database& db_;
};

class SqliteClients final : public ClientStore {
 public:
  explicit SqliteClients(Database& db) : db_(db) {}
  StoreResult<std::optional<ClientRecord>> find_client(std::string_view id) override;
  StoreResult<std::vector<ClientRecord>> list_clients() override;
  StoreResult<void> add_client(const ClientRecord& client) override;
  StoreResult<void> delete_client(std::string_view id, core::TimePoint now,
                                  core::TimePoint access_tokens_expire) override;
  StoreResult<std::vector<std::string>> list_client_scopes() override;
  StoreResult<bool> update_registered_client(const ClientRecord& client) override;

 private:
  Database& db_;
};

class SqliteKeys final : public KeyStore {
 public:
  explicit SqliteKeys(Database& db) : db_(db) {}
  StoreResult<std::vector<SigningKeyRecord>> list_signing_keys() override;
  StoreResult<bool> add_signing_key(const SigningKeyRecord& key,
                                    const std::optional<std::string>& expected_newest) override;
  StoreResult<void> set_signing_key_retire_at(std::string_view kid, core::TimePoint at) override;

 private:
  Database& db_;
};

class SqliteRefreshTokens final : public RefreshTokenStore {
 public:
  explicit SqliteRefreshTokens(Database& db) : db_(db) {}
  StoreResult<void> add_refresh_family(const RefreshFamily& family,
                                       const RefreshTokenRecord& first) override;
  StoreResult<std::optional<RefreshTokenState>> find_refresh_token(
      std::string_view token_hash) override;
  StoreResult<bool> rotate_refresh_token(std::string_view used_hash, const RefreshTokenRecord& next,
                                         core::TimePoint now) override;
  StoreResult<bool> revoke_refresh_family(std::string_view family_id, core::TimePoint now,
                                          core::TimePoint access_tokens_expire) override;
  StoreResult<std::size_t> revoke_subject(std::string_view subject, core::TimePoint now,
                                          core::TimePoint issued_until,
                                          core::TimePoint access_tokens_expire) override;
  StoreResult<std::size_t> purge_expired(core::TimePoint now) override;

 private:
  StoreResult<std::size_t> revoke_families(std::string_view operation, std::string_view select_sql,
                                           std::string_view key, core::TimePoint now,
                                           core::TimePoint access_tokens_expire,
                                           std::optional<core::TimePoint> subject_tokens_until);

  Database& db_;
};

class SqliteRevocations final : public RevocationLog {
 public:
  explicit SqliteRevocations(Database& db) : db_(db) {}
  StoreResult<void> revoke_access_token(std::string_view jti, core::TimePoint expires_at) override;
  StoreResult<std::vector<Revocation>> revocations_since(std::int64_t after,
                                                         core::TimePoint now) override;
  StoreResult<std::size_t> purge_expired(core::TimePoint now) override;

 private:
  Database& db_;
};

class SqliteThrottles final : public ThrottleStore {
 public:
  explicit SqliteThrottles(Database& db) : db_(db) {}
  StoreResult<std::optional<core::TimePoint>> locked_until(std::string_view key,
                                                           std::string_view other,
                                                           core::TimePoint now) override;
  StoreResult<ThrottleState> record_failure(std::string_view key, core::TimePoint now,
                                            const ThrottlePolicy& policy) override;
  StoreResult<void> clear_failures(std::string_view key) override;
  StoreResult<std::size_t> purge_idle(core::TimePoint now) override;

 private:
  Database& db_;
};

class SqliteSessions final : public SessionStore {
 public:
  explicit SqliteSessions(Database& db) : db_(db) {}
  StoreResult<void> add_session(const BrowserSession& session) override;
  StoreResult<std::optional<BrowserSession>> use_session(std::string_view id_hash,
                                                         core::TimePoint now,
                                                         std::chrono::seconds idle) override;
  StoreResult<std::optional<BrowserSession>> end_session(std::string_view id_hash) override;
  StoreResult<std::size_t> end_subject_sessions(std::string_view subject) override;
  StoreResult<std::size_t> purge_expired(core::TimePoint now, std::chrono::seconds idle) override;

 private:
  Database& db_;
};

class SqliteCodes final : public AuthorizationCodeStore {
 public:
  explicit SqliteCodes(Database& db) : db_(db) {}
  StoreResult<void> add_code(const AuthorizationCode& code) override;
  StoreResult<std::optional<AuthorizationCode>> redeem_code(std::string_view code_hash,
                                                            core::TimePoint now) override;
  StoreResult<void> set_code_issued(std::string_view code_hash, std::string_view jti,
                                    std::string_view family_id) override;
  StoreResult<std::size_t> purge_expired(core::TimePoint now) override;

 private:
  Database& db_;
};

// Keys used once live in the ReplayFile beside the database (replay_file.h), which every
// process that opens the database shares: remembering one is a few atomic operations on
// memory, not a write transaction. The used_once table of earlier versions is only emptied.
class SqliteReplays final : public ReplayStore {
 public:
  // `file` is null when the store is read-only: every use is then kUnavailable.
  SqliteReplays(Database& db, std::unique_ptr<ReplayFile> file) : db_(db), file_(std::move(file)) {}
  StoreResult<bool> use_once(std::string_view key, core::TimePoint expires_at) override;
  StoreResult<std::size_t> purge_expired(core::TimePoint now) override;
  bool answers_without_waiting() const override { return file_ != nullptr; }

 private:
  Database& db_;
  std::unique_ptr<ReplayFile> file_;
};

class SqlitePushedRequests final : public PushedRequestStore {
 public:
  explicit SqlitePushedRequests(Database& db) : db_(db) {}
  StoreResult<void> add_pushed_request(const PushedRequest& request) override;
  StoreResult<std::optional<PushedRequest>> find_pushed_request(std::string_view uri_hash) override;
  StoreResult<bool> use_pushed_request(std::string_view uri_hash, core::TimePoint now) override;
  StoreResult<std::size_t> purge_expired(core::TimePoint now) override;

 private:
  Database& db_;
};

class SqliteDeviceCodes final : public DeviceCodeStore {
 public:
  explicit SqliteDeviceCodes(Database& db) : db_(db) {}
  StoreResult<void> add_device_code(const DeviceAuthorization& authorization) override;
  StoreResult<std::optional<DeviceAuthorization>> find_user_code(
      std::string_view user_code) override;
  StoreResult<bool> decide_device_code(std::string_view user_code, const DeviceDecision& decision,
                                       core::TimePoint now) override;
  StoreResult<std::optional<Poll>> poll_device_code(std::string_view code_hash,
                                                    std::string_view client_id,
                                                    core::TimePoint now) override;
  StoreResult<std::size_t> purge_expired(core::TimePoint before) override;

 private:
  Database& db_;
};

class SqliteRegistrationTokens final : public RegistrationTokenStore {
 public:
  explicit SqliteRegistrationTokens(Database& db) : db_(db) {}
  StoreResult<void> add_initial_token(const InitialAccessToken& token) override;
  StoreResult<bool> use_initial_token(std::string_view token_hash, core::TimePoint now) override;
  StoreResult<std::size_t> purge_expired(core::TimePoint now) override;

 private:
  Database& db_;
};

class SqliteConsents final : public ConsentStore {
 public:
  explicit SqliteConsents(Database& db) : db_(db) {}
  StoreResult<std::vector<std::string>> find_consent(std::string_view subject,
                                                     std::string_view client_id) override;
  StoreResult<void> add_consent(std::string_view subject, std::string_view client_id,
                                const std::vector<std::string>& scopes) override;
  StoreResult<void> forget_subject(std::string_view subject) override;
  StoreResult<void> forget_client(std::string_view client_id) override;

 private:
  Database& db_;
};

}  // namespace tessera::store::sqlite
