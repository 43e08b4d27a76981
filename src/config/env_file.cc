#include "config/env_file.h"

#include "core/small_file.h"

namespace tessera::config {
namespace {

constexpr std::size_t kMaxFileBytes = 1 << 20;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool is_name(std::string_view name) {
  if (name.empty() || (name.front() >= '0' && name.front() <= '9')) return false;
  for (const char c : name) {
    const bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// A value as systemd reads it: quoted whole, or bare.
std::expected<std::string, std::string> unquote(std::string_view value) {
  if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') {
    return std::string(value.substr(1, value.size() - 2));
  }
  if (value.empty() || value.front() != '"') return std::string(value);
  if (value.size() < 2 || value.back() != '"') return std::unexpected("unterminated quote");
  std::string out;
  for (std::size_t i = 1; i + 1 < value.size(); ++i) {
    if (value[i] == '\\' && i + 2 < value.size() && (value[i + 1] == '"' || value[i + 1] == '\\')) {
      ++i;
    }
    out.push_back(value[i]);
  }
  return out;
}

}  // namespace

std::expected<std::map<std::string, std::string>, std::string> parse_env_file(
    std::string_view text, const std::string& origin) {
  std::map<std::string, std::string> values;
  std::size_t number = 0;
  std::string pending;  // a line continued with a backslash
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++number;
    line = trim(line);
    if (pending.empty() && (line.empty() || line.front() == '#' || line.front() == ';')) continue;
    if (!line.empty() && line.back() == '\\') {
      line.remove_suffix(1);
      pending.append(line);
      continue;
    }
    std::string whole = pending + std::string(line);
    pending.clear();
    const auto eq = whole.find('=');
    const std::string where = origin + ":" + std::to_string(number);
    if (eq == std::string::npos) return std::unexpected(where + ": expected NAME=VALUE");
    const std::string name(trim(std::string_view(whole).substr(0, eq)));
    if (!is_name(name)) return std::unexpected(where + ": '" + name + "' is not a variable name");
    auto value = unquote(trim(std::string_view(whole).substr(eq + 1)));
    if (!value) return std::unexpected(where + ": " + value.error());
    values[name] = std::move(*value);
  }
  return values;
}

std::expected<std::map<std::string, std::string>, std::string> read_env_file(
    const std::string& path) {
  auto text = core::read_small_file(path, kMaxFileBytes);
  if (!text) return std::unexpected(text.error());
  return parse_env_file(*text, path);
}

Environment environment_with(std::map<std::string, std::string> values, Environment fallback) {
  return [values = std::move(values),
          fallback = std::move(fallback)](const std::string& name) -> std::optional<std::string> {
    if (const auto it = values.find(name); it != values.end()) return it->second;
    return fallback(name);
  };
}

}  // namespace tessera::config
