#include "oauth/grants/password.h"

#include "core/log.h"
#include "oauth/limits.h"

namespace tessera::oauth {
namespace {

using core::LogLevel;

// The one answer for every failed login (docs/reference.md, Token endpoint: same description
// whether or not the user exists).
OAuthError bad_credentials() { return {ErrorCode::kInvalidGrant, "invalid username or password"}; }

OAuthError unavailable() {
  return {ErrorCode::kTemporarilyUnavailable, "the service is temporarily unavailable"};
}

void log_failure(const TokenRequest& request, std::string_view user, std::string_view reason) {
  core::audit("login_failed",
              {{"user", user}, {"reason", reason}, {"remote", request.remote_address}});
}

}  // namespace

std::expected<TokenResponse, OAuthError> PasswordGrant::exchange(const TokenRequest& request,
                                                                 const Client& client) const {
  const auto username = request.params.get("username");
  const auto password = request.params.get("password");
  if (!username) return std::unexpected(invalid_request("username is required"));
  if (!password) return std::unexpected(invalid_request("password is required"));
  if (username->size() > kMaxUserNameBytes) {
    return std::unexpected(invalid_request("username is too long"));
  }
  if (password->size() > password::kMaxPasswordBytes) {
    return std::unexpected(invalid_request("password is too long"));
  }
  // A malformed scope is refused before any hashing work.
  if (auto scope = request.params.get("scope")) {
    if (auto parsed = parse_scope(*scope); !parsed || parsed->empty()) {
      return std::unexpected(OAuthError{ErrorCode::kInvalidScope, "scope is malformed"});
    }
  }

  // A locked account or address is answered at once, before any hashing.
  const std::string account = "user:" + std::string(*username);
  if (throttle_ != nullptr) {
    if (auto open = throttle_->check(account, request.remote_address); !open) {
      return std::unexpected(open.error());
    }
  }
  const auto refuse = [&](std::string_view user, std::string_view reason) {
    log_failure(request, user, reason);
    if (throttle_ != nullptr) throttle_->failed(account, request.remote_address);
    return std::unexpected(bad_credentials());
  };

  auto found = users_.find_user(*username);
  if (!found) return std::unexpected(unavailable());
  const std::optional<store::User>& user = *found;
  if (!user || user->disabled) {
    hasher_.dummy_verify(*password);
    return refuse(*username, user ? "user_disabled" : "unknown_user");
  }
  const auto match = hasher_.verify(*password, user->password_hash);
  if (!match) {
    core::log(LogLevel::kError, "stored_hash_unusable",
              {{"user", user->name}, {"reason", password::to_string(match.error())}});
    return std::unexpected(bad_credentials());
  }
  if (!*match) return refuse(user->name, "wrong_password");
  if (throttle_ != nullptr) throttle_->succeeded(account);
  if (hasher_.needs_rehash(user->password_hash)) upgrade_hash(*user, *password);

  // Least privilege: only what both the user and the client may have, and of that only what
  // was asked for (RFC 6749 section 3.3).
  auto scope = granted_scope(request.params, client.allowed_scopes(user->scopes));
  if (!scope) return std::unexpected(scope.error());
  TokenSubject subject{.subject = user->name,
                       .client_id = client.id,
                       .audience = client.audience,
                       .scope = std::move(*scope)};
  std::optional<RefreshTokens::Issued> refresh;
  if (refresh_ != nullptr && client.allows_grant("refresh_token")) {
    auto started = refresh_->start(client, user->name, subject.scope);
    if (!started) return std::unexpected(started.error());
    subject.session_id = started->family_id;
    refresh = std::move(*started);
  }
  auto response = issue_access_token(tokens_, "password", subject);
  if (response && refresh) response->refresh_token = std::move(refresh->token);
  return response;
}

void PasswordGrant::upgrade_hash(const store::User& user, std::string_view password) const {
  auto fresh = hasher_.hash(password);
  if (!fresh) return;
  // Compare-and-set: a `user passwd` that landed since we read the user wins.
  const auto replaced = users_.replace_password_hash(user.name, user.password_hash, *fresh);
  if (replaced && *replaced) {
    core::audit("password_rehashed", {{"user", user.name}});
  }
}

}  // namespace tessera::oauth
