#include "core/log.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>

#include "core/clock.h"
#include "core/text.h"

namespace tessera::core {
namespace {

std::atomic<LogLevel> g_level{LogLevel::kInfo};

constexpr std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view name) {
  for (const LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (name == level_name(l)) return l;
  }
  return std::nullopt;
}

void set_log_level(LogLevel level) { g_level.store(level, std::memory_order_relaxed); }

bool log_enabled(LogLevel level) { return level >= g_level.load(std::memory_order_relaxed); }

void log(LogLevel level, std::string_view event, boost::json::object fields) {
  if (!log_enabled(level)) return;
  boost::json::object line;
  line.reserve(fields.size() + 3);
  line["time"] = format_utc(std::chrono::system_clock::now(), /*milliseconds=*/true);
  line["level"] = level_name(level);
  line["event"] = event;
  for (auto& field : fields) line[field.key()] = std::move(field.value());
  std::string text = boost::json::serialize(line);
  // Boost.JSON escapes control characters but passes other bytes as they are: a value from a
  // request (a user name sent as %FF) must not make the line unreadable to a strict parser.
  if (std::any_of(text.begin(), text.end(),
                  [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
    text = replace_invalid_utf8(text);
  }
  text.push_back('\n');
  // A short write to a pipe or terminal is not retried: losing the tail of a log line is
  // better than blocking a request on a stalled reader.
  [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, text.data(), text.size());
}

void audit(std::string_view event, boost::json::object fields) {
  fields["audit"] = true;
  log(LogLevel::kInfo, event, std::move(fields));
}

}  // namespace tessera::core
