#include "oauth/device_authorizations.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "core/base64.h"
#include "core/log.h"
#include "jose/digest.h"
#include "oauth/authorization.h"

namespace tessera::oauth {
namespace {

constexpr std::size_t kDeviceCodeBytes = 32;
constexpr std::size_t kDeviceCodeChars = 43;  // base64url of 32 bytes
// A new user code that is taken (by a live or an expired authorization) is drawn again.
constexpr int kUserCodeDraws = 4;
// The most a person types into the code field that is still read as a code.
constexpr std::size_t kMaxTypedChars = 32;

std::string device_code_hash(std::string_view code) {
  return core::base64url_encode(jose::sha256(code));
}

std::string throttle_key(std::string_view remote) { return "device:" + std::string(remote); }

OAuthError wrong_user_code() {
  return {ErrorCode::kInvalidGrant, "the code is not right, or it has expired"};
}

OAuthError invalid_device_code() {
  return {ErrorCode::kInvalidGrant, "the device code is invalid"};
}

// Section 3.1: the scope the device asks for, within the client's; every scope the client has
// when it names none.
std::expected<ScopeSet, OAuthError> requested_scope(const Client& client,
                                                    const Parameters& params) {
  const ScopeSet allowed = client.scopes.value_or(ScopeSet{});
  const auto text = params.get("scope");
  if (!text) return allowed;
  auto scope = parse_scope(*text);
  if (!scope || scope->empty()) {
    return std::unexpected(OAuthError{ErrorCode::kInvalidScope, "scope is malformed"});
  }
  for (const std::string& s : *scope) {
    if (!is_identity_scope(s) && !contains(allowed, s)) {
      return std::unexpected(
          OAuthError{ErrorCode::kInvalidScope, "the requested scope is not allowed"});
    }
  }
  return std::move(*scope);
}

}  // namespace

std::optional<std::string> normalize_user_code(std::string_view typed) {
  if (typed.size() > kMaxTypedChars) return std::nullopt;
  std::string code;
  for (const char c : typed) {
    if (c == '-' || c == ' ') continue;
    const char upper = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (kUserCodeAlphabet.find(upper) == std::string_view::npos) return std::nullopt;
    code.push_back(upper);
  }
  if (code.size() != kUserCodeChars) return std::nullopt;
  return code;
}

std::string format_user_code(std::string_view code) {
  const std::size_t half = code.size() / 2;
  return std::string(code.substr(0, half)) + "-" + std::string(code.substr(half));
}

// Uniform over the alphabet: bytes of 240 and more (256 is not a multiple of 20) are drawn
// again.
std::string DeviceAuthorizations::new_user_code() const {
  constexpr auto kLimit = 256 - 256 % kUserCodeAlphabet.size();
  std::string code;
  while (code.size() < kUserCodeChars) {
    std::array<std::byte, 16> bytes{};
    random_.fill(bytes);
    for (const std::byte b : bytes) {
      const auto v = std::to_integer<std::size_t>(b);
      if (v >= kLimit || code.size() == kUserCodeChars) continue;
      code.push_back(kUserCodeAlphabet[v % kUserCodeAlphabet.size()]);
    }
  }
  return code;
}

std::expected<DeviceStart, OAuthError> DeviceAuthorizations::start(const Client& client,
                                                                   const Parameters& params) const {
  auto scope = requested_scope(client, params);
  if (!scope) return std::unexpected(scope.error());
  std::string device_code = core::random_token(random_, kDeviceCodeBytes);
  store::DeviceAuthorization record{.code_hash = device_code_hash(device_code),
                                    .user_code = {},
                                    .client_id = client.id,
                                    .scopes = std::move(*scope),
                                    .expires_at = clock_.now() + settings_.lifetime,
                                    .interval = settings_.interval};
  for (int draw = 0;; ++draw) {
    record.user_code = new_user_code();
    auto added = store_.device_codes().add_device_code(record);
    if (added) break;
    if (added.error() != store::StoreError::kAlreadyExists || draw + 1 == kUserCodeDraws) {
      return std::unexpected(unavailable());
    }
  }
  const std::string shown = format_user_code(record.user_code);
  const std::string uri = issuer_ + "/device";
  core::audit("device_authorization_started",
              {{"client_id", client.id}, {"scope", format_scope(record.scopes)}});
  return DeviceStart{.device_code = std::move(device_code),
                     .user_code = shown,
                     .verification_uri = uri,
                     .verification_uri_complete = uri + "?user_code=" + shown,
                     .expires_in = settings_.lifetime,
                     .interval = settings_.interval};
}

std::expected<PendingDevice, OAuthError> DeviceAuthorizations::find(std::string_view typed,
                                                                    std::string_view remote) const {
  const core::TimePoint now = clock_.now();
  const std::string key = throttle_key(remote);
  auto locked = store_.throttles().locked_until(key, key, now);
  if (!locked) return std::unexpected(unavailable());
  if (*locked) {
    const auto wait = std::chrono::ceil<std::chrono::seconds>(**locked - now);
    return std::unexpected(OAuthError{ErrorCode::kTooManyAttempts,
                                      "too many wrong codes; try again later",
                                      std::max(wait, std::chrono::seconds(1))});
  }
  std::optional<store::DeviceAuthorization> found;
  if (const auto code = normalize_user_code(typed)) {
    auto read = store_.device_codes().find_user_code(*code);
    if (!read) return std::unexpected(unavailable());
    found = std::move(*read);
  }
  if (!found || found->state != store::DeviceState::kPending || found->expires_at <= now) {
    auto state = store_.throttles().record_failure(key, now, kUserCodeThrottle);
    if (state && state->locked_until) {
      core::log(core::LogLevel::kWarn, "lockout", {{"key", key}, {"audit", true}});
    }
    return std::unexpected(wrong_user_code());
  }
  auto client = store_.clients().find_client(found->client_id);
  if (!client) return std::unexpected(unavailable());
  if (!*client) return std::unexpected(wrong_user_code());  // deleted meanwhile
  const std::string& name = (*client)->display_name;
  return PendingDevice{.user_code = format_user_code(found->user_code),
                       .client_id = found->client_id,
                       .client_name = name.empty() ? found->client_id : name,
                       .scope = std::move(found->scopes)};
}

std::expected<void, OAuthError> DeviceAuthorizations::decide(
    const PendingDevice& pending, bool approved, const store::BrowserSession& session) const {
  auto user = store_.users().find_user(session.subject);
  if (!user) return std::unexpected(unavailable());
  if (!*user || (*user)->disabled) return std::unexpected(wrong_user_code());
  ScopeSet granted;
  for (const std::string& s : pending.scope) {
    if (is_identity_scope(s) || contains((*user)->scopes, s)) granted.push_back(s);
  }
  const std::string code = normalize_user_code(pending.user_code).value_or("");
  auto decided = store_.device_codes().decide_device_code(code,
                                                          {.approved = approved,
                                                           .subject = session.subject,
                                                           .sid = session.sid,
                                                           .auth_time = session.auth_time,
                                                           .scopes = std::move(granted)},
                                                          clock_.now());
  if (!decided) return std::unexpected(unavailable());
  if (!*decided) return std::unexpected(wrong_user_code());
  core::audit(approved ? "device_approved" : "device_denied",
              {{"user", session.subject}, {"client_id", pending.client_id}});
  return {};
}

std::expected<store::DeviceAuthorization, OAuthError> DeviceAuthorizations::poll(
    std::string_view device_code, const Client& client) const {
  if (device_code.size() != kDeviceCodeChars) return std::unexpected(invalid_device_code());
  const core::TimePoint now = clock_.now();
  auto polled =
      store_.device_codes().poll_device_code(device_code_hash(device_code), client.id, now);
  if (!polled) return std::unexpected(unavailable());
  if (!*polled) return std::unexpected(invalid_device_code());
  store::Poll& poll = **polled;
  if (poll.issued_now) return std::move(poll.after);
  if (poll.after.state == store::DeviceState::kIssued) {
    return std::unexpected(OAuthError{ErrorCode::kInvalidGrant, "the device code was used"});
  }
  if (poll.after.expires_at <= now) {
    return std::unexpected(OAuthError{ErrorCode::kExpiredToken, "the device code has expired"});
  }
  if (poll.too_fast) {
    return std::unexpected(OAuthError{
        ErrorCode::kSlowDown,
        "polled too often: wait " + std::to_string(poll.after.interval.count()) + " seconds"});
  }
  if (poll.after.state == store::DeviceState::kDenied) {
    return std::unexpected(OAuthError{ErrorCode::kAccessDenied, "the user denied access"});
  }
  return std::unexpected(
      OAuthError{ErrorCode::kAuthorizationPending, "the user has not answered yet"});
}

}  // namespace tessera::oauth
