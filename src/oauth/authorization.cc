#include "oauth/authorization.h"

#include <algorithm>
#include <charconv>

#include "core/text.h"
#include "oauth/redirect_uri.h"

namespace tessera::oauth {
namespace {

// RFC 7636 section 4.2: BASE64URL(SHA-256(verifier)), 32 bytes, is 43 characters.
constexpr std::size_t kS256ChallengeChars = 43;
constexpr std::size_t kMaxLoginHintBytes = 256;
// A year: an older max_age means "sign in again" anyway; the bound keeps arithmetic safe.
constexpr std::int64_t kMaxMaxAge = 365LL * 24 * 3600;

bool is_base64url(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

AuthorizationFailure page(ErrorCode code, std::string description) {
  return {.error = {code, std::move(description)}, .redirect_uri = {}, .state = {}};
}

// A text parameter within `max` bytes, printable (no control characters), or the error.
std::expected<std::string, OAuthError> text_param(const Parameters& params, std::string_view name,
                                                  std::size_t max) {
  const auto value = params.get(name);
  if (!value) return std::string();
  if (value->size() > max || core::has_control_character(*value) ||
      core::replace_invalid_utf8(*value) != *value) {
    return std::unexpected(invalid_request(std::string(name) + " is too long or not text"));
  }
  return std::string(*value);
}

std::expected<void, OAuthError> read_prompt(const Parameters& params,
                                            AuthorizationRequest& request) {
  const auto prompt = params.get("prompt");
  if (!prompt) return {};
  auto values = parse_scope(*prompt);  // the same grammar: space-separated tokens
  if (!values) return std::unexpected(invalid_request("prompt is malformed"));
  for (const std::string& value : *values) {
    if (value == "none") {
      request.prompt_none = true;
    } else if (value == "login") {
      request.prompt_login = true;
    } else if (value == "consent") {
      request.prompt_consent = true;
    } else if (value != "select_account") {
      return std::unexpected(invalid_request("prompt '" + core::printable(value) +
                                             "' is not none, login, consent or select_account"));
    }
  }
  // OpenID Connect Core section 3.1.2.1: none with any other value is an error.
  if (request.prompt_none && values->size() > 1) {
    return std::unexpected(invalid_request("prompt=none cannot be combined with other values"));
  }
  return {};
}

std::expected<void, OAuthError> read_max_age(const Parameters& params,
                                             AuthorizationRequest& request) {
  const auto text = params.get("max_age");
  if (!text) return {};
  std::int64_t seconds = -1;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), seconds);
  if (ec != std::errc() || end != text->data() + text->size() || seconds < 0) {
    return std::unexpected(invalid_request("max_age is not a number of seconds"));
  }
  request.max_age = std::chrono::seconds(std::min(seconds, kMaxMaxAge));
  return {};
}

std::expected<void, OAuthError> read_pkce(const Parameters& params, AuthorizationRequest& request) {
  const auto challenge = params.get("code_challenge");
  if (!challenge) {
    return std::unexpected(invalid_request("code_challenge is required (PKCE with S256)"));
  }
  const auto method = params.get("code_challenge_method");
  if (!method || *method != "S256") {
    return std::unexpected(invalid_request("code_challenge_method must be S256"));
  }
  if (challenge->size() != kS256ChallengeChars || !is_base64url(*challenge)) {
    return std::unexpected(
        invalid_request("code_challenge is not a base64url SHA-256 (43 characters)"));
  }
  request.code_challenge = std::string(*challenge);
  // RFC 9449 section 10: dpop_jkt, a base64url SHA-256 thumbprint, binds the code to a key.
  if (const auto jkt = params.get("dpop_jkt")) {
    if (jkt->size() != kS256ChallengeChars || !is_base64url(*jkt)) {
      return std::unexpected(
          invalid_request("dpop_jkt is not a base64url SHA-256 thumbprint (43 characters)"));
    }
    request.dpop_jkt = std::string(*jkt);
  }
  return {};
}

std::expected<void, OAuthError> read_scope(const Parameters& params,
                                           AuthorizationRequest& request) {
  const auto text = params.get("scope");
  if (!text) return {};
  auto scope = parse_scope(*text);
  if (!scope) return std::unexpected(OAuthError{ErrorCode::kInvalidScope, "scope is malformed"});
  for (const std::string& s : *scope) {
    if (!is_identity_scope(s) && !contains(request.client.scopes.value_or(ScopeSet{}), s)) {
      return std::unexpected(
          OAuthError{ErrorCode::kInvalidScope, "the requested scope is not allowed"});
    }
  }
  request.scope = std::move(*scope);
  return {};
}

}  // namespace

bool is_identity_scope(std::string_view scope) {
  return std::find(std::begin(kIdentityScopes), std::end(kIdentityScopes), scope) !=
         std::end(kIdentityScopes);
}

std::expected<AuthorizationRequest, AuthorizationFailure> Authorization::validate_pushed(
    const Parameters& params) const {
  for (const std::string_view name : {"client_id", "request_uri"}) {
    if (params.is_repeated(name))
      return std::unexpected(page(ErrorCode::kInvalidRequest, std::string(name) + " is repeated"));
  }
  const auto client_id = params.get("client_id");
  if (!client_id) return std::unexpected(page(ErrorCode::kInvalidRequest, "client_id is required"));
  if (pushed_ == nullptr) {
    return std::unexpected(page(ErrorCode::kInvalidRequest, "request_uri is not supported"));
  }
  auto resolved = pushed_->resolve(*client_id, *params.get("request_uri"));
  if (!resolved) return std::unexpected(page(resolved.error().code, resolved.error().description));
  auto request = validate(*resolved, /*pushed=*/true);
  if (request) request->request_uri = std::string(*params.get("request_uri"));
  return request;
}

std::expected<void, OAuthError> Authorization::use_request_uri(
    const AuthorizationRequest& request) const {
  if (request.request_uri.empty() || pushed_ == nullptr) return {};
  return pushed_->use(request.request_uri);
}

std::expected<AuthorizationRequest, AuthorizationFailure> Authorization::validate(
    const Parameters& params, bool pushed) const {
  // RFC 9126 section 4: with a request_uri, only the pushed parameters count.
  if (!pushed && params.get("request_uri")) return validate_pushed(params);
  for (const std::string_view name : {"client_id", "redirect_uri"}) {
    if (params.is_repeated(name))
      return std::unexpected(page(ErrorCode::kInvalidRequest, std::string(name) + " is repeated"));
  }
  const auto client_id = params.get("client_id");
  if (!client_id) return std::unexpected(page(ErrorCode::kInvalidRequest, "client_id is required"));
  auto found = clients_.find_client(*client_id);
  if (!found) {
    return std::unexpected(
        page(ErrorCode::kTemporarilyUnavailable, "the service is temporarily unavailable"));
  }
  if (!*found) return std::unexpected(page(ErrorCode::kInvalidClient, "the client is unknown"));
  const store::ClientRecord& record = **found;
  const std::vector<std::string>& registered = record.redirect_uris;
  std::string redirect_uri;
  if (const auto given = params.get("redirect_uri")) {
    if (std::find(registered.begin(), registered.end(), *given) == registered.end()) {
      return std::unexpected(page(ErrorCode::kInvalidRequest,
                                  "the redirect_uri is not one registered for the client"));
    }
    redirect_uri = std::string(*given);
  } else if (registered.size() == 1) {
    redirect_uri = registered.front();
  } else {
    return std::unexpected(page(ErrorCode::kInvalidRequest,
                                registered.empty()
                                    ? "the client has no redirect URI: it cannot sign users in"
                                    : "redirect_uri is required: the client has several"));
  }
  AuthorizationRequest request{
      .client = client_from_record(record),
      .client_name = record.display_name.empty() ? record.id : record.display_name,
      .skip_consent = record.skip_consent,
      .redirect_uri = std::move(redirect_uri)};
  auto state = text_param(params, "state", kMaxStateBytes);
  if (!state) return std::unexpected(AuthorizationFailure{state.error(), request.redirect_uri, ""});
  request.state = std::move(*state);
  if (record.require_par && !pushed) {
    return std::unexpected(AuthorizationFailure{
        invalid_request("this client must push its authorization requests to /par"),
        request.redirect_uri, request.state});
  }
  if (auto rest = read_rest(params, request); !rest) {
    return std::unexpected(AuthorizationFailure{rest.error(), request.redirect_uri, request.state});
  }
  return request;
}

std::expected<void, OAuthError> Authorization::read_rest(const Parameters& params,
                                                         AuthorizationRequest& request) const {
  if (auto repeated = params.duplicate())
    return std::unexpected(invalid_request(*repeated + " is repeated"));
  const auto response_type = params.get("response_type");
  if (!response_type) return std::unexpected(invalid_request("response_type is required"));
  if (*response_type != "code") {
    return std::unexpected(OAuthError{ErrorCode::kUnsupportedResponseType,
                                      "only the code response type is supported"});
  }
  if (!request.client.allows_grant("authorization_code")) {
    return std::unexpected(OAuthError{ErrorCode::kUnauthorizedClient,
                                      "the client may not use the authorization code flow"});
  }
  if (auto ok = read_scope(params, request); !ok) return ok;
  if (!openid_ && request.is_openid()) {
    return std::unexpected(
        OAuthError{ErrorCode::kInvalidScope,
                   "OpenID Connect needs an asymmetric signing key; this server signs with HS256"});
  }
  if (auto ok = read_pkce(params, request); !ok) return ok;
  if (auto ok = read_prompt(params, request); !ok) return ok;
  if (auto ok = read_max_age(params, request); !ok) return ok;
  auto nonce = text_param(params, "nonce", kMaxNonceBytes);
  if (!nonce) return std::unexpected(nonce.error());
  request.nonce = std::move(*nonce);
  auto hint = text_param(params, "login_hint", kMaxLoginHintBytes);
  if (!hint) return std::unexpected(hint.error());
  request.login_hint = std::move(*hint);
  auto resource = requested_resource(params, request.client);
  if (!resource) return std::unexpected(resource.error());
  request.resource = std::move(*resource);
  return {};
}

std::string Authorization::error_location(const AuthorizationFailure& failure) const {
  std::vector<std::pair<std::string, std::string>> params = {
      {"error", std::string(error_name(failure.error.code))},
      {"error_description", failure.error.description}};
  if (!failure.state.empty()) params.emplace_back("state", failure.state);
  params.emplace_back("iss", issuer_);
  return with_parameters(failure.redirect_uri, params);
}

std::string Authorization::error_location(const AuthorizationRequest& request,
                                          const OAuthError& error) const {
  return error_location(AuthorizationFailure{
      .error = error, .redirect_uri = request.redirect_uri, .state = request.state});
}

std::string Authorization::code_location(const AuthorizationRequest& request,
                                         std::string_view code) const {
  std::vector<std::pair<std::string, std::string>> params = {{"code", std::string(code)}};
  if (!request.state.empty()) params.emplace_back("state", request.state);
  params.emplace_back("iss", issuer_);
  return with_parameters(request.redirect_uri, params);
}

ScopeSet Authorization::granted_for_user(const AuthorizationRequest& request,
                                         const ScopeSet& user_scopes) {
  ScopeSet granted;
  for (const std::string& s : request.scope) {
    if (is_identity_scope(s) || contains(user_scopes, s)) granted.push_back(s);
  }
  return granted;
}

}  // namespace tessera::oauth
