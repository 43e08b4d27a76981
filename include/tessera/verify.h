// tessera::verify: checking Tessera's access tokens in a C++ service.
//
//   auto verifier = tessera::Verifier::create({.issuer = "https://auth.example.com",
//                                              .audience = "finance-api"}).value();
//   auto claims = verifier->verify(token);   // never touches the network
//   if (!claims) return unauthorized(tessera::to_string(claims.error()));
//   if (!claims->has_scope("finance:read")) return forbidden();
//
// DPoP-bound tokens (RFC 9449) are checked with their proof by verify_dpop(); verify() refuses
// them, so a stolen bound token is useless as a bearer token.
//
// What a token must be (RFC 9068, with the checks of RFC 8725): a JWS signed by a key in the
// issuer's JWKS, with an algorithm from the allow-list (so never "none", and never HS256: a
// JWKS holds public keys), typ "at+jwt", the expected "iss" and "aud", and "exp"/"nbf"/"iat"
// that hold at the current time within the leeway; "sub", "client_id" and "jti" present.
//
// Keys: the Verifier finds the JWKS through the issuer's metadata (RFC 8414) unless jwks_uri
// is given, and a background thread keeps it: refetched when the JWKS's Cache-Control max-age
// runs out (bounded by the options), early when a token names a kid it does not know (at most
// once per min_refetch_interval, so forged kids cannot make it hammer the issuer), and kept,
// with retries, while the issuer is unreachable. verify() only ever reads the cached keys.
//
// verify() below is the same check without any I/O: the caller hands it the keys and the
// time (for tests, or a service that distributes JWKS its own way).
//
// Thread-safe: one Verifier serves the whole process. This header depends on the standard
// library only.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera {

enum class VerifyError {
  kMalformed,            // not a compact JWS of JSON objects (or over 8 KiB)
  kAlgorithmNotAllowed,  // "alg" is not on the allow-list ("none" included)
  kForbiddenHeader,      // "jku", "x5u", "jwk", "x5c" or "crit": refused, never followed
  kUnknownKey,           // no cached key has the token's kid and algorithm
  kBadSignature,
  kWrongType,     // "typ" is not at+jwt
  kMissingClaim,  // a required claim is absent or of the wrong type
  kExpired,
  kNotYetValid,  // "nbf" or "iat" in the future
  kWrongIssuer,
  kWrongAudience,
  kKeysUnavailable,  // the JWKS has not been fetched yet
  // DPoP (RFC 9449 section 7):
  kDpopRequired,      // a DPoP-bound token (cnf.jkt) presented without a proof, as a bearer token
  kNotDpopBound,      // a token without cnf.jkt presented with the DPoP scheme
  kInvalidDpopProof,  // the proof is malformed, by another key, or not for this request
  kDpopReplayed,      // the proof was presented before
};

// A short phrase, safe to put in a WWW-Authenticate error_description.
std::string_view to_string(VerifyError error);

// The verified claims of an access token.
class Claims {
 public:
  const std::string& subject() const;              // "sub": a user name, or a client id
  const std::string& client_id() const;            // "client_id"
  const std::string& issuer() const;               // "iss"
  const std::string& jti() const;                  // "jti"
  const std::vector<std::string>& scopes() const;  // "scope", split on spaces
  bool has_scope(std::string_view scope) const;
  std::int64_t expires_at() const;  // "exp", Unix seconds
  std::int64_t issued_at() const;   // "iat", Unix seconds
  // Any top-level claim whose value is a string (such as "sid"); std::nullopt otherwise.
  std::optional<std::string> string_claim(std::string_view name) const;
  // The whole payload as JSON text.
  const std::string& json() const;
  // "cnf"."jkt" of a DPoP-bound token (RFC 9449 section 6.1): the thumbprint of the key its
  // proofs must be signed by; empty for a bearer token.
  const std::string& dpop_jkt() const;

  Claims(Claims&&) noexcept;
  Claims& operator=(Claims&&) noexcept;
  Claims(const Claims&);
  Claims& operator=(const Claims&);
  ~Claims();

  struct Impl;
  explicit Claims(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

// Public keys from a JWKS document (RFC 7517 section 5). Keys this library cannot use
// (encryption keys, other key types, RSA keys without "alg") are skipped.
class KeySet {
 public:
  static std::expected<KeySet, std::string> from_jwks(std::string_view jwks_json);
  std::size_t size() const;

  KeySet(KeySet&&) noexcept;
  KeySet& operator=(KeySet&&) noexcept;
  ~KeySet();

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  explicit KeySet(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The string members here and in VerifierOptions have an empty {} initializer so that
// designated initializers may leave them out under -Wextra (-Wmissing-field-initializers).
struct VerifyPolicy {
  std::string issuer{};
  // The "aud" the token must name (a string, or one of an array); empty accepts any.
  std::string audience{};
  std::vector<std::string> algorithms = {"EdDSA", "ES256", "RS256", "PS256"};
  std::chrono::seconds leeway{30};
  // With `audience`: this service's resource URL, an "aud" as good as it (RFC 8707, RFC 9728).
  std::string resource{};
};

// The check without I/O: against `keys`, at time `now`. A DPoP-bound token is refused
// (kDpopRequired): it is no bearer token (RFC 9449 section 7.2).
std::expected<Claims, VerifyError> verify(std::string_view token, const KeySet& keys,
                                          const VerifyPolicy& policy,
                                          std::chrono::system_clock::time_point now);

// A request with "Authorization: DPoP <token>" and its "DPoP" header (RFC 9449 section 7.1).
struct DpopRequest {
  std::string_view proof;   // the DPoP header's value
  std::string_view method;  // the request's method, "GET"
  // The URL the client addressed, as this service is reached from outside (scheme, host,
  // port, path: "https://api.example.com/dart/finance/business/1"); any query is ignored.
  std::string_view url;
};

// The proof's window: how old its iat may be (and the leeway ahead of now).
inline constexpr std::chrono::seconds kDpopMaxAge{60};

// The check of a DPoP-bound token with its proof, without I/O: the token as verify() checks
// it, then the proof (typ dpop+jwt, a public jwk, its signature, htm, htu, iat within
// kDpopMaxAge, ath the token's hash) and that its key is the token's cnf.jkt. Whether the
// proof was used before is not known here: Verifier::verify_dpop keeps that.
std::expected<Claims, VerifyError> verify_dpop(std::string_view token, const DpopRequest& request,
                                               const KeySet& keys, const VerifyPolicy& policy,
                                               std::chrono::system_clock::time_point now);

struct VerifierOptions {
  // Tessera's issuer URL, exactly as it writes "iss" (http:// only for development).
  std::string issuer{};
  // This service's audience, as configured for its clients in Tessera (--audience).
  std::string audience{};
  // This service's resource URL (RFC 9728 section 2, "resource"; a client names it as
  // `resource`, RFC 8707): tokens whose "aud" is it are accepted too. Empty: only `audience`.
  // Set alone (no `audience`), "aud" must be this URL.
  std::string resource{};
  std::vector<std::string> algorithms = {"EdDSA", "ES256", "RS256", "PS256"};
  std::chrono::seconds leeway{30};
  // Empty: found in the issuer's metadata (/.well-known/oauth-authorization-server).
  std::string jwks_uri{};
  // Bounds on how long a fetched JWKS is used before it is fetched again, whatever its
  // Cache-Control says.
  std::chrono::seconds min_cache{1};
  std::chrono::seconds max_cache{600};
  // An unknown kid triggers a refetch at most this often.
  std::chrono::seconds min_refetch_interval{30};
  // For each HTTP exchange with the issuer.
  std::chrono::seconds fetch_timeout{5};
};

class Verifier {
 public:
  // Checks the options and starts the background thread, which fetches the keys at once.
  // The error is one line (an issuer that is not an http(s) URL, an unknown algorithm).
  static std::expected<std::unique_ptr<Verifier>, std::string> create(VerifierOptions options);
  ~Verifier();
  Verifier(const Verifier&) = delete;
  Verifier& operator=(const Verifier&) = delete;

  // Waits until a JWKS has been fetched, or `timeout`; whether keys are there. For start-up:
  // before that, verify() answers kKeysUnavailable.
  bool wait_for_keys(std::chrono::milliseconds timeout) const;

  std::expected<Claims, VerifyError> verify(std::string_view token) const;
  // The same for "Authorization: DPoP <token>" with its proof, which is remembered until it
  // leaves its window, so that a replay is refused (kDpopReplayed) by this process.
  std::expected<Claims, VerifyError> verify_dpop(std::string_view token,
                                                 const DpopRequest& request) const;

  // What the cache holds now, for health checks and logs.
  std::size_t key_count() const;
  // The last fetch error, if the last fetch failed.
  std::optional<std::string> last_error() const;

  struct Impl;

 private:
  explicit Verifier(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// RFC 9728: what a protected resource tells a client that meets it without a token: its
// resource URL, the authorization servers that issue tokens for it, the scopes it knows, how
// it takes tokens. Served at resource_metadata_url(resource); the 401 challenge names that URL
// (section 5.1; tessera::beast::GuardOptions::resource_metadata).
struct ResourceMetadata {
  std::string resource;                            // this service's URL
  std::vector<std::string> authorization_servers;  // issuer URLs
  std::vector<std::string> scopes_supported{};
  // Whether DPoP-bound tokens are accepted (dpop_signing_alg_values_supported).
  bool dpop = false;
};

// The metadata document (section 2) as JSON.
std::string resource_metadata_json(const ResourceMetadata& metadata);

// Where the document of `resource` is (section 3.1): /.well-known/oauth-protected-resource
// inserted between the host and any path of the resource URL.
std::string resource_metadata_url(std::string_view resource);

inline constexpr std::string_view kResourceMetadataPath = "/.well-known/oauth-protected-resource";

}  // namespace tessera
