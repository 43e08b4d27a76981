#include "oauth/client_assertions.h"

#include <algorithm>
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

// How soon a jwks_uri that could not be fetched is tried again.
constexpr std::chrono::seconds kRetryAfterFailure{10};

OAuthError refused(std::string reason) { return {ErrorCode::kInvalidClient, std::move(reason)}; }

std::chrono::seconds keep_for(std::optional<std::chrono::seconds> max_age) {
  if (!max_age) return ClientAssertions::kDefaultKeep;
  return std::clamp(*max_age, ClientAssertions::kMinKeep, ClientAssertions::kMaxKeep);
}

}  // namespace

ClientAssertions::ClientAssertions(store::ReplayStore& replays, std::string issuer,
                                   const core::Clock& clock, FetchJwks fetch)
    : replays_(replays), issuer_(std::move(issuer)), clock_(clock), fetch_(std::move(fetch)) {}

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

std::expected<ClientAssertions::Keys, std::string> ClientAssertions::keys_at(std::string_view uri,
                                                                             bool refresh) const {
  const core::TimePoint now = clock_.now();
  Keys kept;
  {
    std::lock_guard lock(mutex_);
    if (auto it = fetched_.find(uri); it != fetched_.end()) {
      const Fetched& f = it->second;
      const bool wanted = now >= f.keep_until || (refresh && now - f.fetched_at >= kRefetchGap);
      if (!wanted && f.keys) return f.keys;
      if (!wanted) return std::unexpected("the client's jwks_uri could not be fetched lately");
      kept = f.keys;
    }
  }
  if (!fetch_) return std::unexpected("this server does not fetch jwks_uri");
  std::string problem;
  Keys keys;
  core::TimePoint keep_until = now + kRetryAfterFailure;
  if (auto got = fetch_(uri); !got) {
    problem = got.error();
  } else if (auto parsed = jose::parse_jwks(got->body); !parsed || parsed->used == 0) {
    problem = "the document at the client's jwks_uri holds no usable key";
  } else {
    keys = std::make_shared<const jose::KeySet>(std::move(parsed->keys));
    keep_until = now + keep_for(got->max_age);
  }
  // When the client's server fails, the keys fetched before stay in use until it answers.
  if (!keys && kept) keys = kept;
  std::lock_guard lock(mutex_);
  if (fetched_.size() > 1024) fetched_.clear();
  fetched_.insert_or_assign(std::string(uri),
                            Fetched{.keys = keys, .fetched_at = now, .keep_until = keep_until});
  if (!keys) return std::unexpected("cannot fetch the client's jwks_uri: " + problem);
  return keys;
}

std::expected<json::object, OAuthError> ClientAssertions::check_signature(
    std::string_view assertion, std::string_view client_id, ClientKeys keys) const {
  const jose::JwtPolicy policy{.issuer = std::string(client_id),
                               .audience = std::nullopt,
                               .algorithms = {std::begin(kAsymmetric), std::end(kAsymmetric)},
                               .typ = "",
                               .leeway = kLeeway,
                               .require_iat = false};  // RFC 7523 section 3: optional
  const core::TimePoint now = clock_.now();
  if (keys.jwks_uri.empty()) {
    const auto registered = keys_of(client_id, keys.jwks);
    if (!registered) return std::unexpected(refused("the client's registered JWKS is not usable"));
    auto claims = jose::verify_jwt(assertion, *registered, policy, now);
    if (!claims) return std::unexpected(refused(std::string(jose::to_string(claims.error()))));
    return std::move(*claims);
  }
  auto fetched = keys_at(keys.jwks_uri, false);
  if (!fetched) return std::unexpected(refused(fetched.error()));
  auto claims = jose::verify_jwt(assertion, **fetched, policy, now);
  if (!claims && claims.error() == jose::Error::kUnknownKey) {
    // A key the client added since: its document again, if not fetched within kRefetchGap.
    fetched = keys_at(keys.jwks_uri, true);
    if (!fetched) return std::unexpected(refused(fetched.error()));
    claims = jose::verify_jwt(assertion, **fetched, policy, now);
  }
  if (!claims) return std::unexpected(refused(std::string(jose::to_string(claims.error()))));
  return std::move(*claims);
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
                                                         ClientKeys keys) const {
  auto claims = check_signature(assertion, client_id, keys);
  if (!claims) return std::unexpected(claims.error());
  const core::TimePoint now = clock_.now();
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
