#include "oauth/userinfo.h"

#include "oauth/id_tokens.h"

namespace tessera::oauth {

namespace json = boost::json;

std::expected<json::object, UserInfoError> UserInfo::lookup(const json::object& claims) const {
  const json::value* sub = claims.if_contains("sub");
  if (sub == nullptr || !sub->is_string()) return std::unexpected(UserInfoError::kNoSuchUser);
  const std::string_view name = sub->get_string();
  auto user = users_.find_user(name);
  if (!user) return std::unexpected(UserInfoError::kUnavailable);
  if (!*user || (*user)->disabled) return std::unexpected(UserInfoError::kNoSuchUser);
  json::object out;
  out["sub"] = name;
  out["preferred_username"] = name;
  if (const json::value* scope = claims.if_contains("scope")) {
    out["scope"] = *scope;
    // OpenID Connect Core section 5.4: the claims the token's scopes allow.
    if (scope->is_string()) {
      if (auto scopes = parse_scope(scope->get_string())) add_scope_claims(out, **user, *scopes);
    }
  }
  return out;
}

}  // namespace tessera::oauth
