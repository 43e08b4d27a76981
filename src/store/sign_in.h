// Browser sign-in as stored (docs/reference.md, Browser sign-in): sessions, authorization
// codes and remembered consent. Plain data, and only hashes of the secrets a browser or a
// client holds (the session cookie, the code), never the secrets. What they allow is decided
// in oauth/.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"

namespace tessera::store {

// An authorization request pushed to /par (RFC 9126), until its request_uri is used.
struct PushedRequest {
  std::string uri_hash;  // base64url SHA-256 of the request_uri's random part
  std::string client_id;
  // The request's parameters as a JSON array of [name, value] pairs, in the order sent.
  std::string params;
  core::TimePoint expires_at;
  std::optional<core::TimePoint> used_at = std::nullopt;
};

// A signed-in browser. The cookie holds a random value; the store keeps its hash.
struct BrowserSession {
  std::string id_hash;  // base64url SHA-256 of the cookie's value
  // The session's public id: the id_token's "sid" (OpenID Connect Front-Channel Logout,
  // section 3), never the cookie's value.
  std::string sid;
  std::string subject;  // the user name
  core::TimePoint auth_time;
  core::TimePoint last_seen;   // idle expiry counts from here
  core::TimePoint expires_at;  // absolute expiry
};

// Whether a session is live at `now`: before its absolute expiry and seen within `idle`.
bool is_live(const BrowserSession& session, core::TimePoint now, std::chrono::seconds idle);

// A session's last_seen is written at most this often: the idle expiry is counted in minutes
// at least, and a sign-in that skips the login should not cost a write each time.
inline constexpr std::chrono::seconds kSessionTouchEvery{60};

// An authorization code (RFC 6749 section 4.1.2) with what it was issued for.
struct AuthorizationCode {
  std::string code_hash;  // base64url SHA-256 of the code
  std::string client_id;
  std::string redirect_uri;
  std::string subject;
  std::vector<std::string> scopes;  // granted, sorted
  std::string nonce;                // empty: none was sent
  std::string code_challenge;       // RFC 7636, S256
  std::string sid;                  // of the session it was issued in
  core::TimePoint auth_time;
  core::TimePoint expires_at;
  // Set by the store when the code is redeemed: a second use finds them and revokes what
  // the first one issued (RFC 6749 section 4.1.2).
  std::optional<core::TimePoint> used_at;
  std::string issued_jti;     // the access token the first use issued
  std::string issued_family;  // its refresh family, if any
  // RFC 9449 section 10: the thumbprint of the DPoP key the code is bound to; empty: none.
  std::string dpop_jkt = {};
  // RFC 8707: the resource the tokens are for ("aud"); empty: the client's audience.
  std::string resource = {};
};

}  // namespace tessera::store
