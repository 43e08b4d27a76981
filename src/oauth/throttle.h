// Brute-force defence for every credential check (user passwords and client secrets):
// failures are counted per account and per client address; past a threshold the key is
// locked for a while that doubles with each lockout in a row, and a locked key is answered
// at once with 429 and Retry-After, before any hashing (docs/reference.md, Token endpoint: the
// server never holds a connection open to slow an attacker down).
//
//   LoginThrottle throttle(store, clock);
//   if (auto wait = throttle.check("user:alice", remote)) return too_many(*wait);
//   if (!verified) throttle.failed("user:alice", remote); else throttle.succeeded("user:alice");
//
// An account is locked after 10 failures within 15 minutes; an address only after 50, so
// that one attacked account does not lock out its neighbours behind the same address (a
// proxy, an office) and one address cannot lock out everyone. Counters live in the store, so
// several instances share them. Every lockout is logged.
#pragma once

#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "oauth/errors.h"
#include "store/store.h"

namespace tessera::oauth {

inline constexpr store::ThrottlePolicy kAccountThrottle{.threshold = 10,
                                                        .window = std::chrono::minutes(15),
                                                        .first_lockout = std::chrono::minutes(1),
                                                        .max_lockout = std::chrono::hours(1)};
inline constexpr store::ThrottlePolicy kAddressThrottle{.threshold = 50,
                                                        .window = std::chrono::minutes(15),
                                                        .first_lockout = std::chrono::minutes(1),
                                                        .max_lockout = std::chrono::hours(1)};

class LoginThrottle {
 public:
  LoginThrottle(store::ThrottleStore& store, const core::Clock& clock,
                store::ThrottlePolicy account = kAccountThrottle,
                store::ThrottlePolicy address = kAddressThrottle)
      : store_(store), clock_(clock), account_(account), address_(address) {}

  // too_many_attempts (429, with the seconds to wait) when the account or the address is
  // locked now; temporarily_unavailable when the store cannot answer.
  std::expected<void, OAuthError> check(std::string_view account, std::string_view address) const;
  void failed(std::string_view account, std::string_view address) const;
  void succeeded(std::string_view account) const;

 private:
  store::ThrottleStore& store_;
  const core::Clock& clock_;
  const store::ThrottlePolicy account_;
  const store::ThrottlePolicy address_;
};

}  // namespace tessera::oauth
