#include "oauth/id_tokens.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <optional>

#include "core/base64.h"
#include "core/log.h"
#include "core/strict_json.h"
#include "jose/digest.h"
#include "jose/jws.h"

namespace tessera::oauth {

namespace json = boost::json;

std::string at_hash(std::string_view access_token, jose::Algorithm alg) {
  const std::string hash =
      alg == jose::Algorithm::kEdDSA ? jose::sha512(access_token) : jose::sha256(access_token);
  return core::base64url_encode(std::string_view(hash).substr(0, hash.size() / 2));
}

void add_scope_claims(json::object& claims, const store::User& user, const ScopeSet& scope) {
  if (contains(scope, "profile")) {
    claims["preferred_username"] = user.name;
    if (!user.display_name.empty()) claims["name"] = user.display_name;
  }
  if (contains(scope, "email") && !user.email.empty()) claims["email"] = user.email;
}

std::shared_ptr<const jose::SigningKey> IdTokens::key_for(std::string_view alg) const {
  if (!alg.empty() && access_keys_ != nullptr) {
    auto access = access_keys_->signing_key();
    if (access && jose::name(access->algorithm()) == alg) return access;
  }
  // RS256, the default, and the fallback for an algorithm no current key has (logged: the
  // client asked for what the server does not sign with now).
  if (!alg.empty() && alg != "RS256") {
    core::log(core::LogLevel::kWarn, "id_token_alg_unavailable", {{"alg", alg}});
  }
  if (auto key = keys_.signing_key()) return key;
  // The RS256 ring is made within a second of the first sign-in client (app::Maintenance);
  // until then the access tokens' key signs.
  return access_keys_ != nullptr ? access_keys_->signing_key() : nullptr;
}

std::expected<std::string, OAuthError> IdTokens::issue(const IdTokenSubject& subject) const {
  const auto key = key_for(subject.alg);
  if (!key) return std::unexpected(OAuthError{ErrorCode::kServerError, "internal error"});
  const std::int64_t now = core::unix_seconds(clock_.now());
  json::object claims;
  claims["iss"] = issuer_;
  claims["sub"] = subject.user.name;
  claims["aud"] = subject.client_id;
  claims["exp"] = now + kLifetime.count();
  claims["iat"] = now;
  claims["auth_time"] = core::unix_seconds(subject.auth_time);
  if (!subject.nonce.empty()) claims["nonce"] = subject.nonce;
  claims["at_hash"] = at_hash(subject.access_token, key->algorithm());
  if (!subject.sid.empty()) claims["sid"] = subject.sid;
  add_scope_claims(claims, subject.user, subject.scope);
  auto token = jose::sign_compact(*key, "JWT", json::serialize(claims));
  if (!token) {
    core::log(core::LogLevel::kError, "id_token_signing_failed",
              {{"reason", jose::to_string(token.error())}});
    return std::unexpected(OAuthError{ErrorCode::kServerError, "internal error"});
  }
  return std::move(*token);
}

namespace {

// The id_token's claims when a key of `keys` signed it; the exp is not looked at.
std::optional<json::object> signed_claims(std::string_view token, const jose::KeySource* keys) {
  static constexpr jose::Algorithm kAsymmetric[] = {
      jose::Algorithm::kRS256, jose::Algorithm::kPS256, jose::Algorithm::kES256,
      jose::Algorithm::kEdDSA};
  if (keys == nullptr) return std::nullopt;
  const auto set = keys->verification_keys();
  if (!set) return std::nullopt;
  auto verified = jose::verify_compact(token, *set, kAsymmetric);
  if (!verified || verified->typ() != "JWT") return std::nullopt;
  auto claims = core::parse_strict_json(verified->payload());
  if (!claims || !claims->is_object()) return std::nullopt;
  return std::move(claims->as_object());
}

std::string string_claim(const json::object& claims, std::string_view name) {
  const auto* value = claims.if_contains(name);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string();
}

// "aud" as one string, or an array of exactly one (OpenID Connect Core section 2).
std::string single_audience(const json::object& claims) {
  const auto* aud = claims.if_contains("aud");
  if (aud == nullptr) return {};
  if (aud->is_string()) return std::string(aud->get_string());
  if (aud->is_array() && aud->get_array().size() == 1 && aud->get_array()[0].is_string()) {
    return std::string(aud->get_array()[0].get_string());
  }
  return {};
}

}  // namespace

std::expected<IdTokenHint, OAuthError> IdTokens::read_hint(std::string_view token) const {
  const OAuthError refused{ErrorCode::kInvalidRequest, "the id_token_hint is not valid"};
  auto claims = signed_claims(token, &keys_);
  if (!claims && access_keys_ != &keys_) claims = signed_claims(token, access_keys_);
  if (!claims || string_claim(*claims, "iss") != issuer_) return std::unexpected(refused);
  IdTokenHint hint{.subject = string_claim(*claims, "sub"),
                   .client_id = single_audience(*claims),
                   .sid = string_claim(*claims, "sid")};
  if (hint.subject.empty() || hint.client_id.empty()) return std::unexpected(refused);
  return hint;
}

}  // namespace tessera::oauth
