#include "oauth/grant.h"

#include "core/log.h"
#include "core/metrics.h"

namespace tessera::oauth {

std::expected<TokenResponse, OAuthError> issue_access_token(const AccessTokens& tokens,
                                                            std::string_view grant_type,
                                                            const TokenSubject& subject) {
  auto issued = tokens.issue(subject);
  if (!issued) {
    core::log(core::LogLevel::kError, "token_signing_failed",
              {{"reason", jose::to_string(issued.error())}});
    return std::unexpected(OAuthError{ErrorCode::kServerError, "internal error"});
  }
  core::metrics()
      .counter("tessera_tokens_issued_total", "Access tokens issued",
               {{"grant_type", std::string(grant_type)}})
      .inc();
  core::audit("token_issued", {{"grant_type", grant_type},
                               {"sub", subject.subject},
                               {"client_id", subject.client_id},
                               {"jti", issued->jti}});
  return TokenResponse{.access_token = std::move(issued->access_token),
                       .expires_in = issued->expires_in,
                       .scope = subject.scope,
                       .refresh_token = std::nullopt,
                       .jti = std::move(issued->jti),
                       .id_token = std::nullopt,
                       .jkt = subject.jkt};
}

std::expected<ScopeSet, OAuthError> granted_scope(const Parameters& params,
                                                  const ScopeSet& allowed) {
  const auto scope = params.get("scope");
  if (!scope) return allowed;
  auto requested = parse_scope(*scope);
  // A scope is one or more scope tokens; blanks alone are not one.
  if (!requested || requested->empty()) {
    return std::unexpected(OAuthError{ErrorCode::kInvalidScope, "scope is malformed"});
  }
  if (!is_subset(*requested, allowed)) {
    return std::unexpected(
        OAuthError{ErrorCode::kInvalidScope, "the requested scope is not allowed"});
  }
  return std::move(*requested);
}

}  // namespace tessera::oauth
