// Shared by the oauth and http unit tests: readable failure output for std::expected results
// (GoogleTest 1.12 knows nothing of std::expected), a temporary SQLite database, and a
// complete set of real OAuth components on a manual clock.
//
//   OAuthWorld world;                                  // empty store, HS256 key, t = kStart
//   world.add_user("alice", "correct horse", {"a", "b"});
//   auto response = world.service.handle(form({{"grant_type", "password"}, ...}));
//   ASSERT_TRUE(response.has_value()) << describe(response);
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <expected>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "admin/client_admin.h"
#include "admin/user_admin.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/random.h"
#include "jose/hmac_key.h"
#include "jose/key_source.h"
#include "oauth/access_token.h"
#include "oauth/client_authenticator.h"
#include "oauth/errors.h"
#include "oauth/grants/client_credentials.h"
#include "oauth/grants/password.h"
#include "oauth/grants/refresh_token.h"
#include "oauth/introspection.h"
#include "oauth/refresh_tokens.h"
#include "oauth/revocation.h"
#include "oauth/revocation_list.h"
#include "oauth/token_service.h"
#include "oauth/userinfo.h"
#include "password/password_hasher.h"
#include "password/secret_cache.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace tessera::oauth {

// GoogleTest finds these by argument-dependent lookup, so they live beside OAuthError.
inline std::ostream& operator<<(std::ostream& os, ErrorCode code) { return os << error_name(code); }

inline void PrintTo(ErrorCode code, std::ostream* os) { *os << error_name(code); }

inline void PrintTo(const OAuthError& e, std::ostream* os) {
  *os << error_name(e.code) << " (\"" << e.description << "\")";
}

template <class T>
std::string describe(const std::expected<T, OAuthError>& result) {
  if (result) return "success";
  std::ostringstream os;
  PrintTo(result.error(), &os);
  return os.str();
}

// EXPECT_TRUE(fails_with(result, ErrorCode::kInvalidGrant, "invalid username or password")):
// the exact error, and what came instead when it is not.
template <class T>
::testing::AssertionResult fails_with(const std::expected<T, OAuthError>& result, ErrorCode code,
                                      std::string_view description) {
  if (!result) {
    if (result.error().code == code && result.error().description == description) {
      return ::testing::AssertionSuccess();
    }
  }
  OAuthError wanted{code, std::string(description)};
  std::ostringstream os;
  os << "expected ";
  PrintTo(wanted, &os);
  os << ", got " << describe(result);
  return ::testing::AssertionFailure() << os.str();
}

}  // namespace tessera::oauth

namespace tessera::jose {

inline void PrintTo(Error e, std::ostream* os) { *os << to_string(e); }

template <class T>
std::string describe(const std::expected<T, Error>& result) {
  return result ? std::string("success") : "error: " + std::string(to_string(result.error()));
}

}  // namespace tessera::jose

namespace tessera::test {

using namespace std::chrono_literals;

// Small argon2id parameters, so that a suite full of logins stays fast.
inline constexpr password::Argon2Params kFastArgon2{
    .memory_kib = 256, .iterations = 1, .parallelism = 1};

// 2023-11-14T22:13:20Z: any fixed instant does; tokens' iat and exp follow from it.
inline const core::TimePoint kStart = std::chrono::sys_seconds{std::chrono::seconds{1700000000}};

inline constexpr std::string_view kIssuer = "https://auth.example.test";
inline constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef-test-secret";
inline constexpr std::chrono::seconds kTtl{15 * 60};
inline constexpr std::chrono::seconds kLeeway{10};

// A fresh directory under the system's temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "tessera-oauth-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::unique_ptr<store::Store> open_store(const TempDir& dir, const core::Clock& clock) {
  auto store = store::open_sqlite_store({.path = (dir.path() / "tessera.db").string()}, clock);
  if (!store) throw std::runtime_error(store.error());
  return std::move(*store);
}

inline std::shared_ptr<jose::HmacKey> make_hmac_key(std::string_view secret) {
  auto key = jose::HmacKey::create(secret);
  if (!key) throw std::runtime_error(key.error());
  return std::move(*key);
}

inline oauth::AccessTokenSettings token_settings(std::string_view issuer = kIssuer) {
  return {.issuer = std::string(issuer),
          .ttl = kTtl,
          .algorithms = {jose::Algorithm::kHS256},
          .leeway = kLeeway};
}

// A token-endpoint request from form pairs, without HTTP Basic credentials.
inline oauth::TokenRequest form(std::initializer_list<std::pair<std::string, std::string>> pairs) {
  return oauth::TokenRequest{
      .params = oauth::Parameters(std::vector<std::pair<std::string, std::string>>(pairs)),
      .credentials = {},
      .remote_address = "192.0.2.1"};
}

// A line of a tests/data hash file: "source<TAB>password<TAB>hash".
struct StoredHash {
  std::string source;
  std::string password;
  std::string hash;
};

inline std::vector<StoredHash> read_hashes(const std::string& file) {
  std::ifstream in(std::string(TESSERA_TEST_DATA) + "/" + file);
  if (!in) throw std::runtime_error("cannot read " + file);
  std::vector<StoredHash> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.front() == '#') continue;
    const auto tab1 = line.find('\t');
    const auto tab2 = line.find('\t', tab1 + 1);
    if (tab1 == std::string::npos || tab2 == std::string::npos) {
      throw std::runtime_error("malformed line in " + file);
    }
    out.push_back(
        {line.substr(0, tab1), line.substr(tab1 + 1, tab2 - tab1 - 1), line.substr(tab2 + 1)});
  }
  return out;
}

// The first line of `file` whose hash starts with `prefix`.
inline StoredHash find_hash(const std::string& file, std::string_view prefix) {
  for (auto& h : read_hashes(file)) {
    if (h.hash.starts_with(prefix)) return h;
  }
  throw std::runtime_error("no hash starting with " + std::string(prefix) + " in " + file);
}

// Every real component of the token endpoint over a temporary SQLite database, with every
// grant registered. Members are public: tests reach into each of them.
struct OAuthWorld {
  OAuthWorld()
      : store(open_store(dir, clock)),
        key(make_hmac_key(kSecret)),
        keys(key),
        revoked(store->revocations(), clock),
        tokens(keys, token_settings(), clock, random, &revoked),
        refresh(store->refresh_tokens(), oauth::RefreshSettings{}, clock, random, revoked),
        secret_cache(clock, random),
        clients(store->clients(), hasher, secret_cache),
        service(clients),
        admin(*store, hasher, random, clock, &refresh),
        client_admin(*store, hasher, random, clock, std::chrono::seconds(15 * 60 + 10)),
        userinfo(store->users()),
        introspection(tokens, refresh, store->users(), store->clients(), std::string(kIssuer)),
        revocation(tokens, refresh, store->revocations(), revoked, clock) {
    // Login failures log at info; keep the test output to what matters.
    core::set_log_level(core::LogLevel::kWarn);
    service.add(std::make_unique<oauth::PasswordGrant>(store->users(), hasher, tokens, &refresh));
    service.add(std::make_unique<oauth::ClientCredentialsGrant>(tokens));
    service.add(std::make_unique<oauth::RefreshTokenGrant>(store->users(), refresh, tokens));
  }

  void add_user(std::string_view name, std::string_view password,
                const oauth::ScopeSet& scopes = {}) {
    if (auto ok = admin.add(name, password, scopes); !ok) throw std::runtime_error(ok.error());
  }

  // A confidential client with `secret`, or a public one when `secret` is empty.
  void add_client(std::string_view id, std::string_view secret, std::vector<std::string> grants,
                  const oauth::ScopeSet& scopes = {}, std::string audience = "") {
    admin::NewClient client{
        .id = std::string(id),
        .is_public = secret.empty(),
        .secret = secret.empty() ? std::nullopt : std::optional<std::string>(secret),
        .grants = std::move(grants),
        .scopes = scopes,
        .audience = std::move(audience)};
    if (auto ok = client_admin.add(client); !ok) throw std::runtime_error(ok.error());
  }

  std::string stored_hash(std::string_view name) {
    auto user = store->users().find_user(name);
    if (!user || !*user) throw std::runtime_error("no user " + std::string(name));
    return (*user)->password_hash;
  }

  TempDir dir;
  core::ManualClock clock{kStart};
  core::SystemRandom random;
  std::unique_ptr<store::Store> store;
  password::PasswordHasher hasher{random, kFastArgon2};
  std::shared_ptr<jose::HmacKey> key;
  jose::StaticKeySource keys;
  oauth::RevocationList revoked;
  oauth::AccessTokens tokens;
  oauth::RefreshTokens refresh;
  password::VerifiedSecretCache secret_cache;
  oauth::ClientAuthenticator clients;
  oauth::TokenService service;
  admin::UserAdmin admin;
  admin::ClientAdmin client_admin;
  oauth::UserInfo userinfo;
  oauth::Introspection introspection;
  oauth::Revocation revocation;
};

}  // namespace tessera::test
