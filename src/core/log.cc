#include "core/log.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>

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

// RFC 3339 UTC time with milliseconds. (GCC 12 has no <format>.)
std::string format_time(std::chrono::system_clock::time_point now) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
  const std::time_t secs = static_cast<std::time_t>(ms.count() / 1000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms.count() % 1000));
  return buf;
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
  line["time"] = format_time(std::chrono::system_clock::now());
  line["level"] = level_name(level);
  line["event"] = event;
  for (auto& field : fields) line[field.key()] = std::move(field.value());
  std::string text = boost::json::serialize(line);
  // Boost.JSON escapes control characters but passes other bytes as they are: a value from a
  // request (a user name sent as %FF) must not make the line unreadable to a strict parser.
  if (std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
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
