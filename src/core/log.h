// Structured logs: one JSON object a line on stderr, written with a single write(2) so that
// lines from several threads never interleave.
//
//   tessera::core::log(LogLevel::kInfo, "user_added", {{"user", name}});
//   // {"time":"2026-11-26T22:01:49.123Z","level":"info","event":"user_added","user":"alice"}
//
// Callers never pass secrets (passwords, hashes, tokens, keys) as fields.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string_view>

namespace tessera::core {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

// "debug", "info", "warn" or "error".
std::optional<LogLevel> parse_log_level(std::string_view name);

void set_log_level(LogLevel level);
bool log_enabled(LogLevel level);

void log(LogLevel level, std::string_view event, boost::json::object fields = {});

// An audit event (logins, failures, lockouts, tokens issued and revoked, admin changes): an
// info line marked "audit":true, so that `grep '"audit":true'` gives the audit trail.
void audit(std::string_view event, boost::json::object fields = {});

}  // namespace tessera::core
