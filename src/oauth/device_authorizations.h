// The device authorization grant (RFC 8628): a device that cannot show a login page (a
// command-line tool, a TV) asks /device_authorization for a pair of codes, shows the user code,
// and polls the token endpoint with the device code while the person signs in on a phone at
// the verification page and allows it.
//
//   DeviceAuthorizations devices(store.device_codes(), users, throttles, issuer, clock, random,
//                                settings);
//   auto started = devices.start(client, params);            // at /device_authorization
//   auto pending = devices.find("BCDF-GHJK", remote);        // the verification page
//   devices.decide(*pending, /*approved=*/true, session);    // after login and consent
//   auto approved = devices.poll(device_code, client);       // at /token: once, when approved
//
// The device code holds 256 random bits and is kept only as its SHA-256. The user code is 8
// characters of a 20-letter alphabet without vowels (no words, nothing to confuse: section
// 6.1), about 34.6 bits: guessable if tried often enough, so wrong codes count per address in
// the store's throttle (section 5.1), and each authorization lives `lifetime` only.
#pragma once

#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/random.h"
#include "oauth/client.h"
#include "oauth/errors.h"
#include "oauth/parameters.h"
#include "oauth/scope.h"
#include "store/store.h"

namespace tessera::oauth {

struct DeviceSettings {
  std::chrono::seconds lifetime{600};  // TESSERA_DEVICE_CODE_TTL
  std::chrono::seconds interval{5};    // TESSERA_DEVICE_POLL_INTERVAL
};

// The answer of /device_authorization (RFC 8628 section 3.2).
struct DeviceStart {
  std::string device_code;
  std::string user_code;  // as shown: XXXX-XXXX
  std::string verification_uri;
  std::string verification_uri_complete;
  std::chrono::seconds expires_in;
  std::chrono::seconds interval;
};

// A device authorization waiting for the user's answer, as the verification page shows it.
struct PendingDevice {
  std::string user_code;  // as shown: XXXX-XXXX
  std::string client_id;
  std::string client_name;  // the registered name, or the id
  ScopeSet scope;           // requested
};

inline constexpr std::string_view kUserCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ";
inline constexpr std::size_t kUserCodeChars = 8;

// The user code as typed, without dashes and spaces, in upper case; std::nullopt when that is
// not 8 characters of the alphabet.
std::optional<std::string> normalize_user_code(std::string_view typed);
// XXXX-XXXX.
std::string format_user_code(std::string_view code);

// Wrong user codes an address may type: 10 within 15 minutes, then a lock that doubles.
inline constexpr store::ThrottlePolicy kUserCodeThrottle{.threshold = 10,
                                                         .window = std::chrono::minutes(15),
                                                         .first_lockout = std::chrono::minutes(1),
                                                         .max_lockout = std::chrono::hours(1)};

class DeviceAuthorizations {
 public:
  DeviceAuthorizations(store::Store& store, std::string issuer, const core::Clock& clock,
                       core::Random& random, DeviceSettings settings)
      : store_(store),
        issuer_(std::move(issuer)),
        clock_(clock),
        random_(random),
        settings_(settings) {}

  // A new authorization for `client` (authenticated, with the device grant) and the scope it
  // asks for: invalid_scope beyond the client's. Blocking.
  std::expected<DeviceStart, OAuthError> start(const Client& client,
                                               const Parameters& params) const;

  // The pending authorization whose user code was typed at `remote`. invalid_grant for a
  // wrong, expired or answered code (counted against the address); too_many_attempts while the
  // address is locked. Blocking.
  std::expected<PendingDevice, OAuthError> find(std::string_view typed,
                                                std::string_view remote) const;

  // The user's answer, given in `session`: an approval grants the requested scope as far as
  // the user may have it. invalid_grant when the code was answered meanwhile or expired.
  // Blocking.
  std::expected<void, OAuthError> decide(const PendingDevice& pending, bool approved,
                                         const store::BrowserSession& session) const;

  // At the token endpoint: the approved authorization, once, to the client that asked for it
  // (section 3.5). authorization_pending, slow_down, access_denied, expired_token; invalid_grant
  // for an unknown code, another client's, or one whose tokens went out. Blocking.
  std::expected<store::DeviceAuthorization, OAuthError> poll(std::string_view device_code,
                                                             const Client& client) const;

  const DeviceSettings& settings() const { return settings_; }

 private:
  std::string new_user_code() const;

  store::Store& store_;
  std::string issuer_;
  const core::Clock& clock_;
  core::Random& random_;
  DeviceSettings settings_;
};

}  // namespace tessera::oauth
