#include "oauth/grants/password.h"

#include "core/log.h"
#include "oauth/user_admin.h"

namespace tessera::oauth {
namespace {

using core::LogLevel;

// The one answer for every failed login (CONTRACT.md: same description whether or not the
// user exists).
OAuthError bad_credentials() { return {ErrorCode::kInvalidGrant, "invalid username or password"}; }

OAuthError unavailable() {
  return {ErrorCode::kTemporarilyUnavailable, "the service is temporarily unavailable"};
}

void log_failure(const TokenRequest& request, std::string_view user, std::string_view reason) {
  core::log(LogLevel::kInfo, "login_failed",
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
  std::optional<ScopeSet> requested;
  if (const auto scope = request.params.get("scope")) {
    requested = parse_scope(*scope);
    // RFC 6749 section 3.3: a scope is one or more scope tokens; blanks alone are not one.
    if (!requested || requested->empty()) {
      return std::unexpected(OAuthError{ErrorCode::kInvalidScope, "scope is malformed"});
    }
  }

  auto found = users_.find_user(*username);
  if (!found) return std::unexpected(unavailable());
  const std::optional<store::User>& user = *found;
  if (!user || user->disabled) {
    hasher_.dummy_verify(*password);
    log_failure(request, *username, user ? "user_disabled" : "unknown_user");
    return std::unexpected(bad_credentials());
  }
  const auto match = hasher_.verify(*password, user->password_hash);
  if (!match) {
    core::log(LogLevel::kError, "stored_hash_unusable",
              {{"user", user->name}, {"reason", password::to_string(match.error())}});
    return std::unexpected(bad_credentials());
  }
  if (!*match) {
    log_failure(request, user->name, "wrong_password");
    return std::unexpected(bad_credentials());
  }
  if (hasher_.needs_rehash(user->password_hash)) upgrade_hash(*user, *password);

  // Least privilege: only what both the user and the client may have, and of that only what
  // was asked for (RFC 6749 section 3.3).
  const ScopeSet allowed = client.allowed_scopes(user->scopes);
  if (requested && !is_subset(*requested, allowed)) {
    return std::unexpected(
        OAuthError{ErrorCode::kInvalidScope, "the requested scope is not allowed"});
  }
  const ScopeSet scope = requested ? *requested : allowed;
  auto issued = tokens_.issue(
      {.subject = user->name, .client_id = client.id, .audience = client.audience, .scope = scope});
  if (!issued) {
    core::log(LogLevel::kError, "token_signing_failed",
              {{"reason", jose::to_string(issued.error())}});
    return std::unexpected(OAuthError{ErrorCode::kServerError, "internal error"});
  }
  core::log(LogLevel::kInfo, "token_issued",
            {{"grant_type", "password"},
             {"user", user->name},
             {"client_id", client.id},
             {"jti", issued->jti}});
  return TokenResponse{.access_token = std::move(issued->access_token),
                       .expires_in = issued->expires_in,
                       .scope = scope,
                       .refresh_token = std::nullopt};
}

void PasswordGrant::upgrade_hash(const store::User& user, std::string_view password) const {
  auto fresh = hasher_.hash(password);
  if (!fresh) return;
  // Compare-and-set: a `user passwd` that landed since we read the user wins.
  const auto replaced = users_.replace_password_hash(user.name, user.password_hash, *fresh);
  if (replaced && *replaced) {
    core::log(LogLevel::kInfo, "password_rehashed", {{"user", user.name}});
  }
}

}  // namespace tessera::oauth
