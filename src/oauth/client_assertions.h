// Clients that authenticate with their own keys (private_key_jwt: RFC 7523 section 2.2 and
// OpenID Connect Core section 9): a short-lived JWT the client signs, sent as
// client_assertion with client_assertion_type jwt-bearer. No secret is stored, so nothing a
// database dump reveals lets anyone act as the client.
//
//   ClientAssertions assertions(store.replays(), issuer, clock, fetch_jwks);
//   auto ok = assertions.verify(assertion, "billing", {.jwks = record.jwks});  // on a pool
//
// The rules: signed by a key of the client's registered JWKS with an asymmetric algorithm
// (client_secret_jwt's HS256 is refused), "iss" and "sub" the client id, "aud" the issuer or
// one of its endpoint URLs, "exp" in the future but at most kMaxLifetime ahead, and a "jti"
// never seen before by any instance (the replay store).
//
// A client's keys are either registered as a document (jwks) or at a URL the client serves
// (jwks_uri, RFC 7591 section 2): that document is fetched when first needed, kept for its
// Cache-Control max-age (between kMinKeep and kMaxKeep, else kDefaultKeep), and fetched again
// when an assertion names a key it lacks (the client rotated), at most once per kRefetchGap.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "jose/signing_key.h"
#include "oauth/errors.h"
#include "store/store.h"

namespace tessera::oauth {

inline constexpr std::string_view kJwtBearerAssertionType =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

// Where a client's keys are: one of the two is set.
struct ClientKeys {
  std::string_view jwks;      // a JWKS document
  std::string_view jwks_uri;  // the URL of one
};

// A document fetched from a jwks_uri, and how long its server says it may be kept.
struct FetchedJwks {
  std::string body;
  std::optional<std::chrono::seconds> max_age;
};
// Fetches a jwks_uri (blocking, with a deadline); the error is one line.
using FetchJwks = std::function<std::expected<FetchedJwks, std::string>(std::string_view uri)>;

class ClientAssertions {
 public:
  static constexpr std::chrono::seconds kMaxLifetime{5 * 60};
  static constexpr std::chrono::seconds kLeeway{10};
  static constexpr std::chrono::seconds kMinKeep{5 * 60};
  static constexpr std::chrono::seconds kDefaultKeep{60 * 60};
  static constexpr std::chrono::seconds kMaxKeep{24 * 60 * 60};
  static constexpr std::chrono::seconds kRefetchGap{60};

  // Without `fetch`, clients registered with a jwks_uri cannot authenticate.
  ClientAssertions(store::ReplayStore& replays, std::string issuer, const core::Clock& clock,
                   FetchJwks fetch = nullptr);

  // The client an assertion claims to come from (its "sub", else "iss"), read without
  // checking anything: only to know whose keys to check it with.
  static std::optional<std::string> claimed_client(std::string_view assertion);

  // Whether `assertion` authenticates `client_id`, whose keys are `keys`: the reason it does
  // not (for the audit log; the client sees only invalid_client), or temporarily_unavailable
  // when the replay store cannot answer. Blocking (it may fetch the client's jwks_uri).
  std::expected<void, OAuthError> verify(std::string_view assertion, std::string_view client_id,
                                         ClientKeys keys) const;

 private:
  using Keys = std::shared_ptr<const jose::KeySet>;
  struct Fetched {
    Keys keys;
    core::TimePoint fetched_at;
    core::TimePoint keep_until;
  };

  Keys keys_of(std::string_view client_id, std::string_view jwks) const;
  // The keys at `uri`, fetched when none are kept or they are stale, or when `refresh` and the
  // last fetch is at least kRefetchGap old; the reason there are none.
  std::expected<Keys, std::string> keys_at(std::string_view uri, bool refresh) const;
  std::expected<boost::json::object, OAuthError> check_signature(std::string_view assertion,
                                                                 std::string_view client_id,
                                                                 ClientKeys keys) const;
  bool audience_is_ours(const boost::json::value* aud) const;

  store::ReplayStore& replays_;
  std::string issuer_;
  const core::Clock& clock_;
  FetchJwks fetch_;
  // Parsed JWKS per client, kept while the registered text stays the same.
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::pair<std::string, Keys>, std::less<>> parsed_;
  // Fetched JWKS per jwks_uri.
  mutable std::map<std::string, Fetched, std::less<>> fetched_;
};

}  // namespace tessera::oauth
