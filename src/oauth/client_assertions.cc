#include "oauth/client_assertions.h"

#include <boost/json/value.hpp>

#include "core/base64.h"
#include "core/strict_json.h"
#include "jose/digest.h"
#include "jose/jwks.h"
#include "jose/jws.h"
#include "jose/jwt.h"

namespace tessera::oauth {
namespace {

namespace json = boost::json;

constexpr jose::Algorithm kAsymmetric[] = {jose::Algorithm::kEdDSA, jose::Algorithm::kES256,
                                           jose::Algorithm::kRS256, jose::Algorithm::kPS256};
// The endpoints that take client authentication, any of whose URLs may be the audience.
constexpr std::string_view kEndpoints[] = {"/token", "/introspect", "/revoke", "/par"};

OAuthError refused(std::string reason) { return {ErrorCode::kInvalidClient, std::move(reason)}; }

}  // namespace

ClientAssertions::ClientAssertions(store::ReplayStore& replays, std::string issuer,
                                   const core::Clock& clock)
    : replays_(replays), issuer_(std::move(issuer)), clock_(clock) {}

std::optional<std::string> ClientAssertions::claimed_client(std::string_view assertion) {
  const auto first = assertion.find('.');
  const auto second = first == std::string_view::npos ? first : assertion.find('.', first + 1);
  if (second == std::string_view::npos || assertion.size() > jose::kMaxTokenBytes) {
    return std::nullopt;
  }
  auto payload = core::base64url_decode(assertion.substr(first + 1, second - first - 1));
  if (!payload) return std::nullopt;
  auto claims = core::parse_strict_json(*payload);
  if (!claims || !claims->is_object()) return std::nullopt;
  for (const std::string_view name : {"sub", "iss"}) {
    const auto* v = claims->get_object().if_contains(name);
    if (v != nullptr && v->is_string() && !v->get_string().empty()) {
      return std::string(v->get_string());
    }
  }
  return std::nullopt;
}

std::shared_ptr<const jose::KeySet> ClientAssertions::keys_of(std::string_view client_id,
                                                              std::string_view jwks) const {
  std::lock_guard lock(mutex_);
  if (auto it = parsed_.find(client_id); it != parsed_.end() && it->second.first == jwks) {
    return it->second.second;
  }
  auto parsed = jose::parse_jwks(jwks);
  if (!parsed) return nullptr;
  auto keys = std::make_shared<const jose::KeySet>(std::move(parsed->keys));
  if (parsed_.size() > 1024) parsed_.clear();
  parsed_.insert_or_assign(std::string(client_id), std::pair{std::string(jwks), keys});
  return keys;
}

bool ClientAssertions::audience_is_ours(const json::value* aud) const {
  const auto ours = [&](const json::value& v) {
    if (!v.is_string()) return false;
    const std::string_view s = v.get_string();
    if (s == issuer_) return true;
    for (const std::string_view endpoint : kEndpoints) {
      if (s.size() == issuer_.size() + endpoint.size() && s.starts_with(issuer_) &&
          s.ends_with(endpoint)) {
        return true;
      }
    }
    return false;
  };
  if (aud == nullptr) return false;
  if (aud->is_array()) {
    for (const auto& v : aud->get_array()) {
      if (ours(v)) return true;
    }
    return false;
  }
  return ours(*aud);
}

std::expected<void, OAuthError> ClientAssertions::verify(std::string_view assertion,
                                                         std::string_view client_id,
                                                         std::string_view jwks) const {
  const auto keys = keys_of(client_id, jwks);
  if (!keys) return std::unexpected(refused("the client's registered JWKS is not usable"));
  const jose::JwtPolicy policy{.issuer = std::string(client_id),
                               .audience = std::nullopt,
                               .algorithms = {std::begin(kAsymmetric), std::end(kAsymmetric)},
                               .typ = "",
                               .leeway = kLeeway};
  const core::TimePoint now = clock_.now();
  auto claims = jose::verify_jwt(assertion, *keys, policy, now);
  if (!claims) return std::unexpected(refused(std::string(jose::to_string(claims.error()))));
  const auto* sub = claims->if_contains("sub");
  if (sub == nullptr || !sub->is_string() || sub->get_string() != client_id) {
    return std::unexpected(refused("sub is not the client id"));
  }
  if (!audience_is_ours(claims->if_contains("aud"))) {
    return std::unexpected(refused("aud is neither the issuer nor its endpoint"));
  }
  const std::int64_t exp = *jose::numeric_date(claims->at("exp"));
  if (exp > core::unix_seconds(now) + (kMaxLifetime + kLeeway).count()) {
    return std::unexpected(refused("exp is more than 5 minutes ahead"));
  }
  const auto* jti = claims->if_contains("jti");
  if (jti == nullptr || !jti->is_string() || jti->get_string().empty() ||
      jti->get_string().size() > 256) {
    return std::unexpected(refused("jti is missing"));
  }
  const std::string key =
      "assertion:" + core::base64url_encode(jose::sha256(std::string(client_id) + "\n" +
                                                         std::string(jti->get_string())));
  auto fresh = replays_.use_once(key, core::TimePoint(std::chrono::seconds(exp)) + kLeeway);
  if (!fresh) return std::unexpected(unavailable());
  if (!*fresh) return std::unexpected(refused("the assertion was used before"));
  return {};
}

}  // namespace tessera::oauth
