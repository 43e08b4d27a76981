// The pure half of tessera::verify: Claims, KeySet and verify() over jose/, without I/O.
#include <algorithm>
#include <cmath>
#include <variant>

#include "core/strict_json.h"
#include "jose/dpop.h"
#include "jose/jwks.h"
#include "jose/jws.h"
#include "jose/jwt.h"
#include "tessera/verify.h"
#include "verify/internal.h"

namespace tessera {

namespace json = boost::json;

namespace {

// What jose::verify_jwt allows for a claims set.
constexpr core::JsonLimits kClaimsLimits{.max_size = jose::kMaxTokenBytes, .max_depth = 8};

}  // namespace

std::string_view to_string(VerifyError error) {
  switch (error) {
    case VerifyError::kMalformed: return "the token is malformed";
    case VerifyError::kAlgorithmNotAllowed: return "the token's algorithm is not accepted";
    case VerifyError::kForbiddenHeader: return "the token's header is not accepted";
    case VerifyError::kUnknownKey: return "the token's key is unknown";
    case VerifyError::kBadSignature: return "the token's signature does not verify";
    case VerifyError::kWrongType: return "the token is not an access token";
    case VerifyError::kMissingClaim: return "the token lacks a required claim";
    case VerifyError::kExpired: return "the token has expired";
    case VerifyError::kNotYetValid: return "the token is not valid yet";
    case VerifyError::kWrongIssuer: return "the token's issuer is not accepted";
    case VerifyError::kWrongAudience: return "the token is not meant for this service";
    case VerifyError::kKeysUnavailable: return "the issuer's keys are not available yet";
    case VerifyError::kDpopRequired: return "the token is DPoP-bound: send it with a DPoP proof";
    case VerifyError::kNotDpopBound: return "the token is not DPoP-bound";
    case VerifyError::kInvalidDpopProof: return "the DPoP proof is not valid for this request";
    case VerifyError::kDpopReplayed: return "the DPoP proof was used before";
  }
  return "the token is invalid";
}

// --- Claims ---------------------------------------------------------------------------

Claims::Claims(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Claims::Claims(Claims&&) noexcept = default;
Claims& Claims::operator=(Claims&&) noexcept = default;
Claims::Claims(const Claims& other) : impl_(std::make_unique<Impl>(*other.impl_)) {}
Claims& Claims::operator=(const Claims& other) {
  if (this != &other) impl_ = std::make_unique<Impl>(*other.impl_);
  return *this;
}
Claims::~Claims() = default;

const std::string& Claims::subject() const { return impl_->subject; }
const std::string& Claims::client_id() const { return impl_->client_id; }
const std::string& Claims::issuer() const { return impl_->issuer; }
const std::string& Claims::jti() const { return impl_->jti; }
const std::vector<std::string>& Claims::scopes() const { return impl_->scopes; }
bool Claims::has_scope(std::string_view scope) const {
  return std::find(impl_->scopes.begin(), impl_->scopes.end(), scope) != impl_->scopes.end();
}
std::int64_t Claims::expires_at() const { return impl_->expires_at; }
std::int64_t Claims::issued_at() const { return impl_->issued_at; }
std::optional<std::string> Claims::string_claim(std::string_view name) const {
  // The payload passed the same strict parse when the token was verified.
  core::StrictJsonMembers members;
  if (!members.parse(impl_->json, kClaimsLimits)) return std::nullopt;
  const core::StrictJsonMembers::Member* m = members.find(name);
  if (m == nullptr || !m->string) return std::nullopt;
  return std::string(*m->string);
}
const std::string& Claims::json() const { return impl_->json; }
const std::string& Claims::dpop_jkt() const { return impl_->jkt; }

// --- KeySet -----------------------------------------------------------------------------

KeySet::KeySet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KeySet::KeySet(KeySet&&) noexcept = default;
KeySet& KeySet::operator=(KeySet&&) noexcept = default;
KeySet::~KeySet() = default;
std::size_t KeySet::size() const { return impl_->size; }

std::expected<KeySet, std::string> KeySet::from_jwks(std::string_view jwks_json) {
  auto parsed = jose::parse_jwks(jwks_json);
  if (!parsed) return std::unexpected(parsed.error());
  auto impl = std::make_unique<Impl>();
  impl->keys = std::move(parsed->keys);
  impl->size = parsed->used;
  return KeySet(std::move(impl));
}

// --- verify -------------------------------------------------------------------------------

namespace {

VerifyError map_error(jose::Error e) {
  using jose::Error;
  switch (e) {
    case Error::kTooLarge:
    case Error::kMalformed:
    case Error::kBadBase64:
    case Error::kBadJson:
    case Error::kNotAnObject: return VerifyError::kMalformed;
    case Error::kMissingAlgorithm:
    case Error::kUnknownAlgorithm:
    case Error::kAlgorithmNotAllowed: return VerifyError::kAlgorithmNotAllowed;
    case Error::kForbiddenHeader:
    case Error::kUnsupportedCritical: return VerifyError::kForbiddenHeader;
    case Error::kUnknownKey: return VerifyError::kUnknownKey;
    case Error::kBadSignature: return VerifyError::kBadSignature;
    case Error::kWrongType: return VerifyError::kWrongType;
    case Error::kMissingClaim:
    case Error::kBadClaim: return VerifyError::kMissingClaim;
    case Error::kExpired: return VerifyError::kExpired;
    case Error::kNotYetValid:
    case Error::kIssuedInFuture: return VerifyError::kNotYetValid;
    case Error::kWrongIssuer: return VerifyError::kWrongIssuer;
    case Error::kWrongAudience: return VerifyError::kWrongAudience;
    case Error::kRevoked:
    case Error::kInternal: return VerifyError::kBadSignature;
  }
  return VerifyError::kMalformed;
}

// A NumericDate that verify_jwt_members has already accepted (an integer within int64, or a
// finite double within +-9e18), read as it reads it: rounded down. Going through double would
// turn an exp of INT64_MAX into an out-of-range conversion.
std::int64_t numeric_date(const core::StrictJsonMembers::Member& m) {
  if (const auto* i = std::get_if<std::int64_t>(&m.number)) return *i;
  if (const auto* u = std::get_if<std::uint64_t>(&m.number)) return static_cast<std::int64_t>(*u);
  return static_cast<std::int64_t>(std::floor(std::get<double>(m.number)));
}

}  // namespace

namespace detail {

std::expected<std::vector<jose::Algorithm>, std::string> parse_algorithms(
    const std::vector<std::string>& names) {
  std::vector<jose::Algorithm> out;
  for (const std::string& name : names) {
    const auto alg = jose::parse_algorithm(name);
    if (!alg) return std::unexpected("'" + name + "' is not a supported algorithm");
    // A JWKS publishes public keys: an HMAC secret never comes from one.
    if (*alg == jose::Algorithm::kHS256) {
      return std::unexpected("HS256 needs a shared secret and cannot be verified from a JWKS");
    }
    out.push_back(*alg);
  }
  if (out.empty()) return std::unexpected("at least one algorithm must be allowed");
  return out;
}

std::expected<Claims, VerifyError> verify_with(std::string_view token, const jose::KeySet& keys,
                                               const jose::JwtPolicy& policy,
                                               std::chrono::system_clock::time_point now) {
  // The top-level claims, read without building a JSON value; what Claims keeps is copied out.
  core::StrictJsonMembers claims;
  auto payload = jose::verify_jwt_members(token, keys, policy, now, claims);
  if (!payload) return std::unexpected(map_error(payload.error()));
  auto impl = std::make_unique<Claims::Impl>();
  // RFC 9068 section 2.2: sub, client_id and jti are required strings.
  for (auto [name, field] : {std::pair{"sub", &impl->subject},
                             {"client_id", &impl->client_id},
                             {"jti", &impl->jti},
                             {"iss", &impl->issuer}}) {
    const core::StrictJsonMembers::Member* m = claims.find(name);
    if (m == nullptr || !m->string) return std::unexpected(VerifyError::kMissingClaim);
    *field = *m->string;
  }
  if (const core::StrictJsonMembers::Member* scope = claims.find("scope")) {
    if (!scope->string) return std::unexpected(VerifyError::kMissingClaim);
    std::string_view text = *scope->string;
    impl->scopes.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), ' ')) + 1);
    while (!text.empty()) {
      const std::size_t space = text.find(' ');
      if (space != 0) impl->scopes.emplace_back(text.substr(0, space));
      if (space == std::string_view::npos) break;
      text.remove_prefix(space + 1);
    }
  }
  // RFC 9449 section 6.1: "cnf":{"jkt":...}. An object, so not among the members kept: read
  // from the payload, only for the tokens that have one.
  if (claims.find("cnf") != nullptr) {
    auto whole = core::parse_strict_json(*payload, kClaimsLimits);
    const json::value* cnf =
        whole && whole->is_object() ? whole->get_object().if_contains("cnf") : nullptr;
    const json::value* jkt =
        cnf != nullptr && cnf->is_object() ? cnf->get_object().if_contains("jkt") : nullptr;
    if (jkt == nullptr || !jkt->is_string() || jkt->get_string().empty()) {
      return std::unexpected(VerifyError::kMissingClaim);
    }
    impl->jkt = jkt->get_string();
  }
  impl->expires_at = numeric_date(*claims.find("exp"));
  impl->issued_at = numeric_date(*claims.find("iat"));
  impl->json = std::move(*payload);
  return Claims(std::move(impl));
}

std::expected<Claims, VerifyError> verify_bearer(std::string_view token, const jose::KeySet& keys,
                                                 const jose::JwtPolicy& policy,
                                                 std::chrono::system_clock::time_point now) {
  auto claims = verify_with(token, keys, policy, now);
  if (claims && !claims->dpop_jkt().empty()) return std::unexpected(VerifyError::kDpopRequired);
  return claims;
}

std::expected<DpopVerified, VerifyError> verify_dpop_with(
    std::string_view token, const DpopRequest& request, const jose::KeySet& keys,
    const jose::JwtPolicy& policy, std::chrono::system_clock::time_point now) {
  static constexpr jose::Algorithm kProofAlgorithms[] = {
      jose::Algorithm::kEdDSA, jose::Algorithm::kES256, jose::Algorithm::kRS256,
      jose::Algorithm::kPS256};
  auto claims = verify_with(token, keys, policy, now);
  if (!claims) return std::unexpected(claims.error());
  if (claims->dpop_jkt().empty()) return std::unexpected(VerifyError::kNotDpopBound);
  auto proof = jose::read_dpop_proof(request.proof, kProofAlgorithms);
  if (!proof) return std::unexpected(VerifyError::kInvalidDpopProof);
  const std::int64_t seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const jose::DpopContext context{.method = request.method,
                                  .url = request.url,
                                  .access_token = token,
                                  .now = seconds,
                                  .max_age = kDpopMaxAge,
                                  .leeway = policy.leeway};
  if (!jose::check_dpop_fit(*proof, context))
    return std::unexpected(VerifyError::kInvalidDpopProof);
  if (proof->jkt != claims->dpop_jkt()) return std::unexpected(VerifyError::kInvalidDpopProof);
  return DpopVerified{.claims = std::move(*claims),
                      .replay_key = proof->jkt + "\n" + proof->jti,
                      .replay_until = proof->iat + kDpopMaxAge.count() + 2 * policy.leeway.count()};
}

}  // namespace detail

namespace {

// verify() is handed its policy on every call, and a service hands it the same one each time:
// each thread keeps what it made of the last one (the algorithms parsed, the strings copied)
// and makes it again only when the policy passed differs.
const std::expected<jose::JwtPolicy, VerifyError>& jwt_policy_for(const VerifyPolicy& policy) {
  struct Last {
    bool valid = false;
    VerifyPolicy source;
    std::expected<jose::JwtPolicy, VerifyError> made = std::unexpected(VerifyError::kMalformed);
  };
  thread_local Last last;
  if (last.valid && policy.issuer == last.source.issuer &&
      policy.audience == last.source.audience && policy.algorithms == last.source.algorithms &&
      policy.leeway == last.source.leeway && policy.resource == last.source.resource) {
    return last.made;
  }
  last.valid = false;
  if (auto algorithms = detail::parse_algorithms(policy.algorithms)) {
    last.made = jose::JwtPolicy{
        .issuer = policy.issuer,
        .audience = policy.audience.empty() ? std::nullopt : std::optional(policy.audience),
        .algorithms = std::move(*algorithms),
        .typ = "at+jwt",
        .leeway = policy.leeway,
        .require_iat = true,
        .resource = policy.resource};
  } else {
    last.made = std::unexpected(VerifyError::kAlgorithmNotAllowed);
  }
  last.source = policy;
  last.valid = true;
  return last.made;
}

}  // namespace

std::expected<Claims, VerifyError> verify(std::string_view token, const KeySet& keys,
                                          const VerifyPolicy& policy,
                                          std::chrono::system_clock::time_point now) {
  const auto& jwt_policy = jwt_policy_for(policy);
  if (!jwt_policy) return std::unexpected(jwt_policy.error());
  return detail::verify_bearer(token, keys.impl().keys, *jwt_policy, now);
}

std::expected<Claims, VerifyError> verify_dpop(std::string_view token, const DpopRequest& request,
                                               const KeySet& keys, const VerifyPolicy& policy,
                                               std::chrono::system_clock::time_point now) {
  const auto& jwt_policy = jwt_policy_for(policy);
  if (!jwt_policy) return std::unexpected(jwt_policy.error());
  auto verified = detail::verify_dpop_with(token, request, keys.impl().keys, *jwt_policy, now);
  if (!verified) return std::unexpected(verified.error());
  return std::move(verified->claims);
}

}  // namespace tessera
