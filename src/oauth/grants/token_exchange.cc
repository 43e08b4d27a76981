#include "oauth/grants/token_exchange.h"

#include <algorithm>

namespace tessera::oauth {
namespace {

namespace json = boost::json;

std::string string_claim(const json::object& claims, std::string_view name) {
  const json::value* value = claims.if_contains(name);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
}

// A token and its type (section 2.1): only Tessera's access tokens are understood.
std::expected<std::optional<json::object>, OAuthError> read_token(const AccessTokens& tokens,
                                                                  const Parameters& params,
                                                                  std::string_view name) {
  const auto token = params.get(name);
  const auto type = params.get(std::string(name) + "_type");
  if (!token) {
    if (type)
      return std::unexpected(
          invalid_request(std::string(name) + "_type without " + std::string(name)));
    return std::optional<json::object>();
  }
  if (!type) return std::unexpected(invalid_request(std::string(name) + "_type is required"));
  if (*type != kAccessTokenType) {
    return std::unexpected(
        invalid_request(std::string(name) + "_type must be " + std::string(kAccessTokenType)));
  }
  auto claims = tokens.verify(*token);
  if (!claims) {
    return std::unexpected(OAuthError{ErrorCode::kInvalidGrant,
                                      "the " + std::string(name) + " is not a live access token"});
  }
  return std::optional<json::object>(std::move(*claims));
}

// The one target the new token is for: `audience` or `resource` (section 2.1), one of those
// the client may reach.
std::expected<std::string, OAuthError> read_target(const Parameters& params, const Client& client) {
  const auto audience = params.get("audience");
  const auto resource = params.get("resource");
  if (audience && resource && *audience != *resource) {
    return std::unexpected(invalid_request("send audience or resource, not two targets"));
  }
  const auto target = audience ? audience : resource;
  if (!target || target->empty()) {
    return std::unexpected(invalid_request("audience is required"));
  }
  const auto& allowed = client.exchange_audiences;
  if (std::find(allowed.begin(), allowed.end(), *target) == allowed.end()) {
    return std::unexpected(OAuthError{ErrorCode::kInvalidTarget,
                                      "this client may not exchange tokens for that audience"});
  }
  return std::string(*target);
}

// Section 4.1: the acting party now, with the chain before it nested.
json::object act_claim(const json::object& subject, std::string_view client_id) {
  json::object act{{"sub", client_id}};
  if (const json::value* before = subject.if_contains("act"); before && before->is_object()) {
    act["act"] = before->as_object();
  }
  return act;
}

}  // namespace

std::expected<TokenResponse, OAuthError> TokenExchangeGrant::exchange(const TokenRequest& request,
                                                                      const Client& client) const {
  if (const auto wanted = request.params.get("requested_token_type");
      wanted && *wanted != kAccessTokenType) {
    return std::unexpected(
        invalid_request("requested_token_type must be " + std::string(kAccessTokenType)));
  }
  auto subject = read_token(tokens_, request.params, "subject_token");
  if (!subject) return std::unexpected(subject.error());
  if (!*subject) return std::unexpected(invalid_request("subject_token is required"));
  auto actor = read_token(tokens_, request.params, "actor_token");
  if (!actor) return std::unexpected(actor.error());
  if (*actor && string_claim(**actor, "client_id") != client.id) {
    return std::unexpected(
        OAuthError{ErrorCode::kInvalidGrant, "the actor_token was not issued to this client"});
  }
  const json::object& claims = **subject;
  // Section 4.4: the subject token may name who may act for it.
  if (const json::value* may_act = claims.if_contains("may_act")) {
    if (!may_act->is_object() || string_claim(may_act->as_object(), "sub") != client.id) {
      return std::unexpected(OAuthError{ErrorCode::kInvalidGrant,
                                        "the subject_token may not be exchanged by "
                                        "this client (may_act)"});
    }
  }
  auto target = read_target(request.params, client);
  if (!target) return std::unexpected(target.error());
  auto scope = granted_scope(request.params,
                             parse_scope(string_claim(claims, "scope")).value_or(ScopeSet{}));
  if (!scope) return std::unexpected(scope.error());
  const json::value* exp = claims.if_contains("exp");
  auto response = issue_access_token(
      tokens_, "token_exchange",
      {.subject = string_claim(claims, "sub"),
       .client_id = client.id,
       .audience = std::move(*target),
       .scope = std::move(*scope),
       .session_id = string_claim(claims, "sid"),
       .jkt = request.dpop_jkt,
       .act = act_claim(claims, client.id),
       .expires_by = exp && exp->is_int64() ? std::optional(exp->as_int64()) : std::nullopt});
  if (response) response->issued_token_type = std::string(kAccessTokenType);
  return response;
}

}  // namespace tessera::oauth
