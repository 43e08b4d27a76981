// JWT verification (RFC 7519, with the checks of RFC 8725): the signature through
// verify_compact, then the type and the registered claims against a policy.
//
//   tessera::jose::JwtPolicy policy{.issuer = "https://auth.example",
//                                   .audience = std::nullopt,
//                                   .algorithms = {tessera::jose::Algorithm::kEdDSA}};
//   auto claims = tessera::jose::verify_jwt(token, keys, policy, clock.now());
//   if (!claims) return unauthorized(to_string(claims.error()));
//
// No I/O and no clock of its own: the caller passes the keys and the time.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/strict_json.h"
#include "jose/algorithm.h"
#include "jose/error.h"
#include "jose/signing_key.h"

namespace tessera::jose {

struct JwtPolicy {
  // Required, compared exactly with "iss".
  std::string issuer;
  // When set, "aud" (a string or an array of strings) must contain it, or `resource`.
  std::optional<std::string> audience;
  // The algorithms accepted; a token with any other "alg" is refused before key lookup.
  std::vector<Algorithm> algorithms;
  // Required "typ", compared as a media type: case-insensitive, "application/" optional
  // (RFC 7515 section 4.1.9). Empty accepts any or none.
  std::string typ = "at+jwt";
  // Tolerance for clock differences when checking exp, nbf and iat.
  std::chrono::seconds leeway{10};
  // Whether "iat" must be present (it is optional in RFC 7519, and in RFC 7523 assertions);
  // when present it is checked either way.
  bool require_iat = true;
  // With `audience`: a second "aud" as good as it, the service's resource URL (RFC 8707:
  // what a client names as `resource`); empty: none.
  std::string resource = {};
};

// The verified claims. "exp", "iat" (unless the policy says otherwise) and "iss" are always
// present and checked; "nbf" and
// "aud" are checked when present (and "aud" must be present when the policy names one).
// A NumericDate (RFC 7519 section 2) as whole seconds, rounded down: an integer within
// int64, or a finite number within +-9e18; anything else is std::nullopt.
std::optional<std::int64_t> numeric_date(const boost::json::value& v);

std::expected<boost::json::object, Error> verify_jwt(std::string_view token, const KeySet& keys,
                                                     const JwtPolicy& policy, core::TimePoint now);

// verify_jwt's checks without building a JSON value, for a caller that reads only top-level
// string and number claims (tessera::verify): `claims` is left holding the payload's top-level
// members, and the payload text comes back exactly as the token carries it (never
// re-serialized). The same tokens pass and fail, with the same errors, as with verify_jwt.
std::expected<std::string, Error> verify_jwt_members(std::string_view token, const KeySet& keys,
                                                     const JwtPolicy& policy, core::TimePoint now,
                                                     core::StrictJsonMembers& claims);

}  // namespace tessera::jose
