// Device authorizations as stored (RFC 8628; docs/reference.md, Device flow): one per
// /device_authorization request, from then until its tokens are fetched or it expires. Only the
// device_code's hash is kept; the user code is kept as it is, since the person types it.
// What the rules of polling do to a record is one pure function, next_poll(), that both stores
// apply inside their transaction, as count_failure() is for throttles.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"

namespace tessera::store {

enum class DeviceState {
  kPending,   // the user has not answered yet
  kApproved,  // allowed; the next poll by its client gets the tokens
  kDenied,    // refused; polls get access_denied
  kIssued,    // the tokens went out; polls get invalid_grant
};

// "pending", "approved", "denied", "issued": as the stores keep it.
std::string_view to_string(DeviceState state);
std::optional<DeviceState> parse_device_state(std::string_view text);

struct DeviceAuthorization {
  std::string code_hash;  // base64url SHA-256 of the device_code
  std::string user_code;  // 8 characters of the user-code alphabet, no dash
  std::string client_id;
  // Requested (within the client's scopes), sorted; on approval, what the user granted.
  std::vector<std::string> scopes;
  core::TimePoint expires_at;
  std::chrono::seconds interval;  // the least time between two polls (RFC 8628 section 3.5)
  std::optional<core::TimePoint> last_poll = std::nullopt;
  DeviceState state = DeviceState::kPending;
  // Set on approval: who signed in, in which browser session, when.
  std::string subject = {};
  std::string sid = {};
  core::TimePoint auth_time = {};
};

// A device authorization's answer from the user (DeviceCodeStore::decide_device_code).
struct DeviceDecision {
  bool approved = false;
  std::string subject;
  std::string sid;
  core::TimePoint auth_time;
  std::vector<std::string> scopes;  // granted
};

// What one poll at `now` does (RFC 8628 section 3.5): a poll sooner than `interval` after the
// previous one is too fast and adds 5 seconds to the interval, for this and every later poll;
// an approved authorization, polled in time, is issued (once). Times are whole seconds.
struct Poll {
  DeviceAuthorization after;  // to store
  bool too_fast = false;
  bool issued_now = false;  // this poll gets the tokens
};
Poll next_poll(const DeviceAuthorization& before, core::TimePoint now);

inline constexpr std::chrono::seconds kSlowDownStep{5};

}  // namespace tessera::store
