#include "oauth/throttle.h"

#include "core/log.h"
#include "core/metrics.h"

namespace tessera::oauth {
namespace {

std::string address_key(std::string_view address) { return "addr:" + std::string(address); }

}  // namespace

std::expected<void, OAuthError> LoginThrottle::check(std::string_view account,
                                                     std::string_view address) const {
  const core::TimePoint now = clock_.now();
  const auto locked = store_.locked_until(account, address_key(address), now);
  if (!locked) {
    return std::unexpected(unavailable());
  }
  if (!*locked) return {};
  const core::TimePoint until = **locked;
  const auto wait = std::chrono::ceil<std::chrono::seconds>(until - now);
  return std::unexpected(OAuthError{ErrorCode::kTooManyAttempts,
                                    "too many failed attempts; try again later",
                                    std::max(wait, std::chrono::seconds(1))});
}

void LoginThrottle::failed(std::string_view account, std::string_view address) const {
  static core::Counter& failures = core::metrics().counter(
      "tessera_credential_failures_total", "Failed password and client secret checks");
  failures.inc();
  const core::TimePoint now = clock_.now();
  const std::string addr = address_key(address);
  for (const auto& [key, policy] :
       {std::pair<std::string_view, const store::ThrottlePolicy&>{account, account_},
        {addr, address_}}) {
    auto state = store_.record_failure(key, now, policy);
    if (state && state->locked_until) {
      static core::Counter& lockouts = core::metrics().counter(
          "tessera_lockouts_total", "Accounts and addresses locked by throttling");
      lockouts.inc();
      core::log(
          core::LogLevel::kWarn, "lockout",
          {{"key", key},
           {"seconds",
            std::chrono::duration_cast<std::chrono::seconds>(*state->locked_until - now).count()},
           {"lockouts_in_a_row", state->lockouts},
           {"audit", true}});
    }
  }
}

void LoginThrottle::succeeded(std::string_view account) const {
  // A failure to forget is harmless: the counters run out with their window.
  static_cast<void>(store_.clear_failures(account));
}

}  // namespace tessera::oauth
