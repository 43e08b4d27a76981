#include "core/duration.h"

#include <charconv>
#include <cstdint>

#include "core/text.h"

namespace tessera::core {
namespace {

constexpr std::int64_t kMaxSeconds = 100LL * 365 * 24 * 3600;

}  // namespace

std::expected<std::chrono::seconds, std::string> parse_duration(std::string_view text) {
  if (text.empty()) return std::unexpected("is empty; expected a duration such as 15m");
  std::int64_t unit = 1;
  std::string_view digits = text;
  switch (text.back()) {
    case 's':
      unit = 1;
      digits.remove_suffix(1);
      break;
    case 'm':
      unit = 60;
      digits.remove_suffix(1);
      break;
    case 'h':
      unit = 3600;
      digits.remove_suffix(1);
      break;
    case 'd':
      unit = 86400;
      digits.remove_suffix(1);
      break;
    default: break;
  }
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size()) {
    return std::unexpected("'" + printable(text) +
                           "' is not a duration; use a whole number with s, m, h or d, e.g. 15m");
  }
  if (n <= 0) return std::unexpected("must be greater than zero");
  if (n > kMaxSeconds / unit) return std::unexpected("is too long");
  return std::chrono::seconds(n * unit);
}

std::string format_duration(std::chrono::seconds d) {
  const std::int64_t s = d.count();
  if (s != 0 && s % 86400 == 0) return std::to_string(s / 86400) + "d";
  if (s != 0 && s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s != 0 && s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

}  // namespace tessera::core
