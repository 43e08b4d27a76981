#include "store/store.h"

#include <algorithm>

#include "store/word_list.h"

namespace tessera::store {

std::string_view to_string(StoreError e) {
  switch (e) {
    case StoreError::kNotFound: return "record not found";
    case StoreError::kAlreadyExists: return "record already exists";
    case StoreError::kUnavailable: return "database unavailable";
  }
  return "database unavailable";
}

CountedFailure count_failure(const std::optional<ThrottleRecord>& before, core::TimePoint now,
                             const ThrottlePolicy& policy) {
  const core::TimePoint t = std::chrono::floor<std::chrono::seconds>(now);
  ThrottleRecord record = before.value_or(ThrottleRecord{
      .failures = 0, .window_start = t, .lockouts = 0, .locked_until = std::nullopt});
  if (record.locked_until && *record.locked_until <= t) record.locked_until.reset();
  if (t - record.window_start >= policy.window) {
    record.failures = 0;
    record.window_start = t;
  }
  ++record.failures;
  ThrottleState state{
      .failures = record.failures, .lockouts = record.lockouts, .locked_until = std::nullopt};
  if (record.failures >= policy.threshold) {
    auto duration = policy.first_lockout;
    for (std::int64_t i = 0; i < record.lockouts && duration < policy.max_lockout; ++i)
      duration *= 2;
    duration = std::min(duration, policy.max_lockout);
    record.locked_until = t + duration;
    state.lockouts = ++record.lockouts;
    state.locked_until = record.locked_until;
    record.failures = 0;
    record.window_start = t;
  }
  return {.record = record, .state = state};
}

namespace {
constexpr std::pair<DeviceState, std::string_view> kDeviceStates[] = {
    {DeviceState::kPending, "pending"},
    {DeviceState::kApproved, "approved"},
    {DeviceState::kDenied, "denied"},
    {DeviceState::kIssued, "issued"}};
}  // namespace

std::string_view to_string(DeviceState state) {
  for (const auto& [s, text] : kDeviceStates) {
    if (s == state) return text;
  }
  return "pending";
}

std::optional<DeviceState> parse_device_state(std::string_view text) {
  for (const auto& [s, name] : kDeviceStates) {
    if (name == text) return s;
  }
  return std::nullopt;
}

Poll next_poll(const DeviceAuthorization& before, core::TimePoint now) {
  const core::TimePoint t = std::chrono::floor<std::chrono::seconds>(now);
  Poll poll{.after = before, .too_fast = false, .issued_now = false};
  poll.after.last_poll = t;
  if (before.last_poll && t - *before.last_poll < before.interval) {
    poll.too_fast = true;
    poll.after.interval += kSlowDownStep;
  } else if (before.state == DeviceState::kApproved && t < before.expires_at) {
    poll.after.state = DeviceState::kIssued;
    poll.issued_now = true;
  }
  return poll;
}

bool is_live(const BrowserSession& session, core::TimePoint now, std::chrono::seconds idle) {
  return now < session.expires_at && now < session.last_seen + idle;
}

std::vector<std::string> union_of_words(std::vector<std::string> a,
                                        const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  std::sort(a.begin(), a.end());
  a.erase(std::unique(a.begin(), a.end()), a.end());
  return a;
}

std::string join_words(const std::vector<std::string>& words) {
  std::string text;
  for (const auto& word : words) {
    if (!text.empty()) text.push_back(' ');
    text += word;
  }
  return text;
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  while (!text.empty()) {
    const auto space = text.find(' ');
    if (space != 0) words.emplace_back(text.substr(0, space));
    if (space == std::string_view::npos) break;
    text.remove_prefix(space + 1);
  }
  return words;
}

}  // namespace tessera::store
