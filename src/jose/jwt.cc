#include "jose/jwt.h"

#include <strings.h>

#include <boost/json/array.hpp>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>
#include <variant>

#include "core/strict_json.h"
#include "jose/jws.h"

namespace tessera::jose {
namespace {

namespace json = boost::json;

bool media_type_equals(std::string_view actual, std::string_view expected) {
  constexpr std::string_view kPrefix = "application/";
  if (actual.size() > kPrefix.size() &&
      strncasecmp(actual.data(), kPrefix.data(), kPrefix.size()) == 0) {
    actual.remove_prefix(kPrefix.size());
  }
  return actual.size() == expected.size() &&
         strncasecmp(actual.data(), expected.data(), expected.size()) == 0;
}

// One claim as the checks see it, read from a parsed object or from top-level members, so
// that verify_jwt and verify_jwt_members run the very same checks.
struct Claim {
  std::optional<std::string_view> string;  // the value, when it is a string
  std::optional<std::int64_t> date;        // the value as a NumericDate, when it is one
  bool is_array;
};

std::optional<Claim> find_claim(const json::object& claims, std::string_view name) {
  const json::value* v = claims.if_contains(name);
  if (v == nullptr) return std::nullopt;
  return Claim{
      .string = v->is_string() ? std::optional<std::string_view>(v->get_string()) : std::nullopt,
      .date = numeric_date(*v),
      .is_array = v->is_array()};
}

std::optional<Claim> find_claim(const core::StrictJsonMembers& claims, std::string_view name) {
  const core::StrictJsonMembers::Member* m = claims.find(name);
  if (m == nullptr) return std::nullopt;
  // The number as parse_strict_json would have given it, for numeric_date to read alike.
  const auto date = std::visit(
      []<class T>(const T& n) -> std::optional<std::int64_t> {
        if constexpr (std::is_same_v<T, std::monostate>) {
          return std::nullopt;
        } else {
          return numeric_date(json::value(n));
        }
      },
      m->number);
  return Claim{.string = m->string,
               .date = date,
               .is_array = m->kind == core::StrictJsonMembers::Kind::kArray};
}

// Whether `aud` names this service: its audience, or its resource URL.
bool is_ours(std::string_view aud, const JwtPolicy& policy) {
  return aud == *policy.audience || (!policy.resource.empty() && aud == policy.resource);
}

// "aud" as an array (RFC 7519 section 4.1.3): every item a string, one of them ours.
std::expected<void, Error> check_audience_array(const json::array& items, const JwtPolicy& policy) {
  bool found = false;
  for (const json::value& item : items) {
    if (!item.is_string()) return std::unexpected(Error::kBadClaim);
    found = found || is_ours(item.get_string(), policy);
  }
  if (!found) return std::unexpected(Error::kWrongAudience);
  return {};
}

// Looks up a required NumericDate claim.
template <class Claims>
std::expected<std::int64_t, Error> required_date(const Claims& claims, std::string_view name) {
  const std::optional<Claim> c = find_claim(claims, name);
  if (!c) return std::unexpected(Error::kMissingClaim);
  if (!c->date) return std::unexpected(Error::kBadClaim);
  return *c->date;
}

// The registered claims against the policy, in a fixed order so that each token gets one
// exact error. `audience_array()` checks an "aud" that is an array: only the parsed object
// holds its items.
template <class Claims, class AudienceArray>
std::expected<void, Error> check_claims(const Claims& claims, AudienceArray audience_array,
                                        const JwtPolicy& policy, core::TimePoint now) {
  const std::optional<Claim> iss = find_claim(claims, "iss");
  if (!iss) return std::unexpected(Error::kMissingClaim);
  if (!iss->string) return std::unexpected(Error::kBadClaim);
  if (*iss->string != policy.issuer) return std::unexpected(Error::kWrongIssuer);

  const std::int64_t t = core::unix_seconds(now);
  const std::int64_t leeway = policy.leeway.count();
  const auto exp = required_date(claims, "exp");
  if (!exp) return std::unexpected(exp.error());
  const bool has_iat = policy.require_iat || find_claim(claims, "iat").has_value();
  const auto iat = has_iat ? required_date(claims, "iat") : std::int64_t{0};
  if (!iat) return std::unexpected(iat.error());
  // RFC 7519 section 4.1.4: the current time must be before exp. The leeway moves `t`, not
  // the token's exp, which may be as large as INT64_MAX.
  if (t - leeway >= *exp) return std::unexpected(Error::kExpired);
  if (*iat > t + leeway) return std::unexpected(Error::kIssuedInFuture);
  if (const std::optional<Claim> nbf_claim = find_claim(claims, "nbf")) {
    if (!nbf_claim->date) return std::unexpected(Error::kBadClaim);
    if (t + leeway < *nbf_claim->date) return std::unexpected(Error::kNotYetValid);
  }
  if (policy.audience) {
    const std::optional<Claim> aud = find_claim(claims, "aud");
    if (!aud) return std::unexpected(Error::kMissingClaim);
    if (aud->string) {
      if (!is_ours(*aud->string, policy)) return std::unexpected(Error::kWrongAudience);
    } else if (aud->is_array) {
      if (auto ok = audience_array(); !ok) return std::unexpected(ok.error());
    } else {
      return std::unexpected(Error::kBadClaim);
    }
  }
  return {};
}

constexpr core::JsonLimits kClaimsLimits{.max_size = kMaxTokenBytes, .max_depth = 8};

// The signature and "typ": what both verify_jwt and verify_jwt_members check first.
std::expected<VerifiedJws, Error> verify_signed_and_typed(std::string_view token,
                                                          const KeySet& keys,
                                                          const JwtPolicy& policy) {
  auto jws = verify_compact(token, keys, policy.algorithms);
  if (!jws) return std::unexpected(jws.error());
  // RFC 8725 section 3.11: explicit typing keeps one kind of JWT from passing for another.
  if (!policy.typ.empty() && !media_type_equals(jws->typ(), policy.typ)) {
    return std::unexpected(Error::kWrongType);
  }
  return jws;
}

}  // namespace

// A NumericDate (RFC 7519 section 2): a JSON number of seconds, possibly fractional.
std::optional<std::int64_t> numeric_date(const boost::json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) {
    if (v.get_uint64() > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<std::int64_t>(v.get_uint64());
  }
  if (v.is_double()) {
    const double d = v.get_double();
    if (!std::isfinite(d) || d < -9.0e18 || d > 9.0e18) return std::nullopt;
    return static_cast<std::int64_t>(std::floor(d));
  }
  return std::nullopt;
}

std::expected<json::object, Error> verify_jwt(std::string_view token, const KeySet& keys,
                                              const JwtPolicy& policy, core::TimePoint now) {
  auto jws = verify_signed_and_typed(token, keys, policy);
  if (!jws) return std::unexpected(jws.error());
  auto value = core::parse_strict_json(jws->payload(), kClaimsLimits);
  if (!value) return std::unexpected(Error::kBadJson);
  json::object* claims = value->if_object();
  if (claims == nullptr) return std::unexpected(Error::kNotAnObject);
  const auto audience_array = [&]() -> std::expected<void, Error> {
    return check_audience_array(claims->at("aud").get_array(), policy);
  };
  if (auto ok = check_claims(*claims, audience_array, policy, now); !ok) {
    return std::unexpected(ok.error());
  }
  return std::move(*claims);
}

std::expected<std::string, Error> verify_jwt_members(std::string_view token, const KeySet& keys,
                                                     const JwtPolicy& policy, core::TimePoint now,
                                                     core::StrictJsonMembers& claims) {
  auto jws = verify_signed_and_typed(token, keys, policy);
  if (!jws) return std::unexpected(jws.error());
  if (!claims.parse(jws->payload(), kClaimsLimits)) return std::unexpected(Error::kBadJson);
  if (!claims.is_object()) return std::unexpected(Error::kNotAnObject);
  // The members do not keep an array's items: an "aud" array is read from a parse of the
  // payload, made only for such a token.
  const auto audience_array = [&]() -> std::expected<void, Error> {
    auto value = core::parse_strict_json(jws->payload(), kClaimsLimits);
    if (!value) return std::unexpected(Error::kBadJson);  // parsed once already: cannot happen
    return check_audience_array(value->get_object().at("aud").get_array(), policy);
  };
  if (auto ok = check_claims(claims, audience_array, policy, now); !ok) {
    return std::unexpected(ok.error());
  }
  return std::move(*jws).take_payload();
}

}  // namespace tessera::jose
