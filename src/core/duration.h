// Durations as configuration writes them: a whole number with an optional unit suffix,
// s, m, h or d ("900", "900s", "15m", "12h", "30d"). A bare number is seconds.
#pragma once

#include <chrono>
#include <expected>
#include <string>
#include <string_view>

namespace tessera::core {

// Returns a one-line reason when `text` is not a positive duration of at most 100 years.
std::expected<std::chrono::seconds, std::string> parse_duration(std::string_view text);

// The shortest exact spelling: 900s -> "15m", 86400s -> "1d", 90s -> "90s".
std::string format_duration(std::chrono::seconds d);

}  // namespace tessera::core
