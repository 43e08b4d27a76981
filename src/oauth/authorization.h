// The authorization endpoint's request (RFC 6749 section 4.1.1, RFC 7636, OpenID Connect Core
// section 3.1.2.1) and its answers.
//
//   Authorization authorization(clients, issuer);
//   auto request = authorization.validate(params);        // blocking: finds the client
//   if (!request && !request.error().redirect_uri) show_error_page(request.error().error);
//   if (!request) redirect(authorization.error_location(request.error()));
//   ...sign the user in, ask for consent...
//   redirect(authorization.code_location(*request, code));
//
// Validation runs in the order of the RFC: first the client and the redirect URI, whose
// failures must never redirect (section 4.1.2.1: no open redirector), then everything else,
// whose failures are redirected to the client with `state` and `iss` (RFC 9207).
#pragma once

#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "oauth/client.h"
#include "oauth/errors.h"
#include "oauth/parameters.h"
#include "oauth/pushed_requests.h"
#include "oauth/scope.h"
#include "store/store.h"

namespace tessera::oauth {

// Scopes about who the user is (OpenID Connect Core section 5.4): every client with the
// authorization_code grant may ask for them, and every user has them. Other scopes follow the
// same rule as at the token endpoint: the client's and the user's.
inline constexpr std::string_view kIdentityScopes[] = {"openid", "profile", "email"};
bool is_identity_scope(std::string_view scope);

inline constexpr std::size_t kMaxStateBytes = 1024;
inline constexpr std::size_t kMaxNonceBytes = 512;

// A request that passed validation: what the rest of the flow needs.
struct AuthorizationRequest {
  Client client;
  std::string client_name;  // for the consent page: the registered name, or the id
  bool skip_consent = false;
  std::string redirect_uri;
  ScopeSet scope = {};  // requested, within what the client may ask for
  std::string state = {};
  std::string nonce = {};
  std::string code_challenge = {};  // S256
  // RFC 9449 section 10: the thumbprint of the DPoP key the code must be redeemed with.
  std::string dpop_jkt = {};
  bool prompt_none = false;
  bool prompt_login = false;
  bool prompt_consent = false;
  std::optional<std::chrono::seconds> max_age = std::nullopt;
  std::string login_hint = {};
  // The request_uri it was pushed under (RFC 9126), used up when it is answered; empty when
  // the request came whole through the browser.
  std::string request_uri = {};
  // RFC 8707: the resource the tokens are to be for, one of the client's; empty: none named.
  std::string resource = {};

  bool is_openid() const { return contains(scope, "openid"); }
};

struct AuthorizationFailure {
  OAuthError error;
  // Where to send it; empty when the client or the redirect URI is at fault, and the answer
  // is a page of the server's own.
  std::string redirect_uri;
  std::string state = {};
};

class Authorization {
 public:
  // `openid`: whether id_tokens can be issued (not in the HS256 mode, whose secret no relying
  // party may hold); without, a request for the openid scope is refused.
  // `pushed`, when given, resolves request_uri parameters (RFC 9126).
  Authorization(store::ClientStore& clients, std::string issuer, bool openid = true,
                const PushedRequests* pushed = nullptr)
      : clients_(clients), issuer_(std::move(issuer)), openid_(openid), pushed_(pushed) {}

  // Blocking (one client lookup). A request with a request_uri is the one pushed under it, for
  // the client_id sent with it (RFC 9126 section 4); `pushed` says the parameters are the
  // pushed request itself, at /par, which a client registered --require-par needs.
  std::expected<AuthorizationRequest, AuthorizationFailure> validate(const Parameters& params,
                                                                     bool pushed = false) const;

  // Uses up the request_uri of a pushed request as it is answered; invalid_request when
  // another answer used it first. Blocking.
  std::expected<void, OAuthError> use_request_uri(const AuthorizationRequest& request) const;

  // The redirect for a failure that has a redirect URI, with error, error_description, state
  // and iss.
  std::string error_location(const AuthorizationFailure& failure) const;
  std::string error_location(const AuthorizationRequest& request, const OAuthError& error) const;
  // The redirect that carries a code, with state and iss.
  std::string code_location(const AuthorizationRequest& request, std::string_view code) const;

  // The scope a user is granted: what was asked for, less the non-identity scopes the user
  // does not have (RFC 6749 section 3.3 lets the server grant less than asked).
  static ScopeSet granted_for_user(const AuthorizationRequest& request,
                                   const ScopeSet& user_scopes);

  const std::string& issuer() const { return issuer_; }

 private:
  std::expected<void, OAuthError> read_rest(const Parameters& params,
                                            AuthorizationRequest& request) const;

  std::expected<AuthorizationRequest, AuthorizationFailure> validate_pushed(
      const Parameters& params) const;

  store::ClientStore& clients_;
  std::string issuer_;
  bool openid_;
  const PushedRequests* pushed_;
};

}  // namespace tessera::oauth
