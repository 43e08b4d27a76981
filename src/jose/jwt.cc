#include "jose/jwt.h"

#include <strings.h>

#include <cmath>
#include <cstdint>

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

// Looks up a required NumericDate claim.
std::expected<std::int64_t, Error> required_date(const json::object& claims,
                                                 std::string_view name) {
  const json::value* v = claims.if_contains(name);
  if (v == nullptr) return std::unexpected(Error::kMissingClaim);
  const auto date = numeric_date(*v);
  if (!date) return std::unexpected(Error::kBadClaim);
  return *date;
}

std::expected<void, Error> check_audience(const json::object& claims, const std::string& audience) {
  const json::value* aud = claims.if_contains("aud");
  if (aud == nullptr) return std::unexpected(Error::kMissingClaim);
  if (aud->is_string()) {
    if (aud->get_string() == audience) return {};
    return std::unexpected(Error::kWrongAudience);
  }
  if (!aud->is_array()) return std::unexpected(Error::kBadClaim);
  bool found = false;
  for (const json::value& item : aud->get_array()) {
    if (!item.is_string()) return std::unexpected(Error::kBadClaim);
    found = found || item.get_string() == audience;
  }
  if (!found) return std::unexpected(Error::kWrongAudience);
  return {};
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
  auto verified = verify_jwt_with_payload(token, keys, policy, now);
  if (!verified) return std::unexpected(verified.error());
  return std::move(verified->claims);
}

std::expected<VerifiedJwt, Error> verify_jwt_with_payload(std::string_view token,
                                                          const KeySet& keys,
                                                          const JwtPolicy& policy,
                                                          core::TimePoint now,
                                                          boost::json::storage_ptr sp) {
  auto jws = verify_compact(token, keys, policy.algorithms);
  if (!jws) return std::unexpected(jws.error());
  // RFC 8725 section 3.11: explicit typing keeps one kind of JWT from passing for another.
  if (!policy.typ.empty() && !media_type_equals(jws->typ(), policy.typ)) {
    return std::unexpected(Error::kWrongType);
  }
  auto value = core::parse_strict_json(jws->payload(), {.max_size = kMaxTokenBytes, .max_depth = 8},
                                       std::move(sp));
  if (!value) return std::unexpected(Error::kBadJson);
  json::object* claims = value->if_object();
  if (claims == nullptr) return std::unexpected(Error::kNotAnObject);

  const json::value* iss = claims->if_contains("iss");
  if (iss == nullptr) return std::unexpected(Error::kMissingClaim);
  if (!iss->is_string()) return std::unexpected(Error::kBadClaim);
  if (iss->get_string() != policy.issuer) return std::unexpected(Error::kWrongIssuer);

  const std::int64_t t = core::unix_seconds(now);
  const std::int64_t leeway = policy.leeway.count();
  const auto exp = required_date(*claims, "exp");
  if (!exp) return std::unexpected(exp.error());
  const auto iat = required_date(*claims, "iat");
  if (!iat) return std::unexpected(iat.error());
  // RFC 7519 section 4.1.4: the current time must be before exp. The leeway moves `t`, not
  // the token's exp, which may be as large as INT64_MAX.
  if (t - leeway >= *exp) return std::unexpected(Error::kExpired);
  if (*iat > t + leeway) return std::unexpected(Error::kIssuedInFuture);
  if (const json::value* nbf_value = claims->if_contains("nbf")) {
    const auto nbf = numeric_date(*nbf_value);
    if (!nbf) return std::unexpected(Error::kBadClaim);
    if (t + leeway < *nbf) return std::unexpected(Error::kNotYetValid);
  }
  if (policy.audience) {
    if (auto ok = check_audience(*claims, *policy.audience); !ok) {
      return std::unexpected(ok.error());
    }
  }
  return VerifiedJwt{.claims = std::move(*claims), .payload = std::move(*jws).take_payload()};
}

}  // namespace tessera::jose
