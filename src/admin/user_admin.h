// Managing users: the rules a user name, a password and a scope list must follow, applied
// in one place for the admin CLI and the bootstrap admin at start.
//
//   UserAdmin admin(store, hasher, random, clock, &refresh_tokens);
//   if (auto ok = admin.add("alice", password, {"finance:read"}); !ok) fail(ok.error());
//   admin.import("bob", "$2b$12$...", {});   // a hash from the seed's passlib service
//
// Errors are one line for a human ("user alice already exists"). Blocking: hashing is slow.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/random.h"
#include "oauth/limits.h"
#include "oauth/refresh_tokens.h"
#include "oauth/scope.h"
#include "password/password_hasher.h"
#include "store/store.h"

namespace tessera::admin {

using oauth::kMaxUserNameBytes;
inline constexpr std::size_t kMinPasswordBytes = 8;

// 1 to 128 bytes of valid UTF-8 without spaces or control characters.
std::optional<std::string> check_user_name(std::string_view name);

// A name shown to people (a user's "name" claim, a client's name on the consent page): at most
// `max_bytes` of UTF-8 without control characters.
std::optional<std::string> check_display_name(std::string_view name, std::size_t max_bytes);

// What OpenID Connect tells clients about a user (OpenID Connect Core section 5.1).
struct UserProfile {
  std::string display_name;  // "name": at most 256 bytes, see check_display_name
  std::string email;         // "email": at most 254 bytes, one @, no spaces or controls
};
std::optional<std::string> check_profile(const UserProfile& profile);
// At least 8 bytes (NIST SP 800-63B section 5.1.1.2), at most password::kMaxPasswordBytes,
// no NUL byte. No composition rules.
std::optional<std::string> check_new_password(std::string_view password);

class UserAdmin {
 public:
  // A user who is disabled, deleted or given a new password is signed out of every browser
  // and, when `refresh` is given, loses their refresh families and access tokens. A deleted
  // user's consents are forgotten.
  UserAdmin(store::Store& store, const password::PasswordHasher& hasher, core::Random& random,
            const core::Clock& clock, const oauth::RefreshTokens* refresh = nullptr)
      : users_(store.users()),
        clients_(store.clients()),
        sessions_(store.sessions()),
        consents_(store.consents()),
        hasher_(hasher),
        random_(random),
        clock_(clock),
        refresh_(refresh) {}

  std::expected<void, std::string> add(std::string_view name, std::string_view password,
                                       const oauth::ScopeSet& scopes,
                                       const UserProfile& profile = {});
  // Adds a user with an existing bcrypt or argon2id hash, verified as it is and upgraded on
  // the next successful login.
  std::expected<void, std::string> import(std::string_view name, std::string_view hash,
                                          const oauth::ScopeSet& scopes,
                                          const UserProfile& profile = {});
  // Replaces the password and ends every session of the user: their refresh tokens, and the
  // access tokens issued to them until now.
  std::expected<void, std::string> set_password(std::string_view name, std::string_view password);
  // Disabling or removing a user ends every session of theirs: refresh tokens and access tokens.
  std::expected<void, std::string> set_disabled(std::string_view name, bool disabled);
  std::expected<void, std::string> remove(std::string_view name);
  std::expected<std::vector<store::User>, std::string> list();

  // Creates the bootstrap user at start (docs/reference.md, Commands).
  // With a name given, that user is created if absent. With none, "admin" is created only
  // on a database that has no users yet, so deleting it later is not undone by a restart.
  // Returns the generated password when none was given and a user was created.
  struct Bootstrap {
    bool created = false;
    std::string name;
    std::optional<std::string> generated_password;
  };
  std::expected<Bootstrap, std::string> bootstrap(std::optional<std::string> name,
                                                  std::optional<std::string> password);

 private:
  // Revokes the user's refresh families and the access tokens issued to them up to
  // `issued_until`.
  std::expected<void, std::string> end_sessions(std::string_view name, core::TimePoint issued_until,
                                                std::string_view reason);
  std::expected<void, std::string> insert(std::string_view name, std::string hash,
                                          const oauth::ScopeSet& scopes,
                                          const UserProfile& profile);

  store::UserStore& users_;
  store::ClientStore& clients_;
  store::SessionStore& sessions_;
  store::ConsentStore& consents_;
  const password::PasswordHasher& hasher_;
  core::Random& random_;
  const core::Clock& clock_;
  const oauth::RefreshTokens* refresh_;
};

}  // namespace tessera::admin
