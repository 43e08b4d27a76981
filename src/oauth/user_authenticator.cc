#include "oauth/user_authenticator.h"

#include "core/log.h"

namespace tessera::oauth {
namespace {

// The one answer for every failed login (docs/reference.md, Token endpoint: same description
// whether or not the user exists).
OAuthError bad_credentials() { return {ErrorCode::kInvalidGrant, "invalid username or password"}; }

}  // namespace

std::expected<store::User, OAuthError> UserAuthenticator::authenticate(
    std::string_view username, std::string_view password, std::string_view remote) const {
  // A locked account or address is answered at once, before any hashing.
  const std::string account = "user:" + std::string(username);
  if (throttle_ != nullptr) {
    if (auto open = throttle_->check(account, remote); !open) return std::unexpected(open.error());
  }
  const auto refuse = [&](std::string_view user, std::string_view reason) {
    core::audit("login_failed", {{"user", user}, {"reason", reason}, {"remote", remote}});
    if (throttle_ != nullptr) throttle_->failed(account, remote);
    return std::unexpected(bad_credentials());
  };

  auto found = users_.find_user(username);
  if (!found) return std::unexpected(unavailable());
  const std::optional<store::User>& user = *found;
  if (!user || user->disabled) {
    hasher_.dummy_verify(password);
    return refuse(username, user ? "user_disabled" : "unknown_user");
  }
  const auto match = hasher_.verify(password, user->password_hash);
  if (!match) {
    core::log(core::LogLevel::kError, "stored_hash_unusable",
              {{"user", user->name}, {"reason", password::to_string(match.error())}});
    return std::unexpected(bad_credentials());
  }
  if (!*match) return refuse(user->name, "wrong_password");
  if (throttle_ != nullptr) throttle_->succeeded(account);
  if (hasher_.needs_rehash(user->password_hash)) upgrade_hash(*user, password);
  return std::move(*found).value();
}

void UserAuthenticator::upgrade_hash(const store::User& user, std::string_view password) const {
  auto fresh = hasher_.hash(password);
  if (!fresh) return;
  // Compare-and-set: a `user passwd` that landed since we read the user wins.
  const auto replaced = users_.replace_password_hash(user.name, user.password_hash, *fresh);
  if (replaced && *replaced) {
    core::audit("password_rehashed", {{"user", user.name}});
  }
}

}  // namespace tessera::oauth
