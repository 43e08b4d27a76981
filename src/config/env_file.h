// A systemd EnvironmentFile (systemd.exec(5), EnvironmentFile=): KEY=VALUE lines, blank lines
// and lines starting with # or ; ignored, a value in single or double quotes taken without
// them (in double quotes, \" and \\ stand for " and \), and a line ending in a backslash
// continued on the next. `tessera config check --env-file` reads /etc/tessera/tessera.env as
// the units do.
//
//   auto values = config::read_env_file("/etc/tessera/tessera.env");   // name -> value
//   auto env = config::environment_with(*values, config::process_environment());
#pragma once

#include <expected>
#include <map>
#include <string>

#include "config/config.h"

namespace tessera::config {

// The file's assignments; the error names the file and line.
std::expected<std::map<std::string, std::string>, std::string> read_env_file(
    const std::string& path);

// The parsed text of such a file; `origin` names it in errors.
std::expected<std::map<std::string, std::string>, std::string> parse_env_file(
    std::string_view text, const std::string& origin);

// `values` first, then `fallback`: a file's values take the place of the process's.
Environment environment_with(std::map<std::string, std::string> values, Environment fallback);

}  // namespace tessera::config
