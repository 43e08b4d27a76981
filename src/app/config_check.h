// `tessera config check`: what would stop a server with this configuration from starting, or
// from using what is stored, found without starting one and without writing anything. The
// settings themselves are checked by config::config_problems(); this checks what they point
// at: the TLS certificate and key, the templates folder, plain HTTP beyond loopback, the
// database (opened read-only: its schema, or where a new SQLite file would go) and the
// key-encryption key against the signing keys stored (docs/reference.md, Commands).
//
//   const app::CheckReport report = app::check_configuration(config);
//   for (const auto& p : report.problems) std::cout << "error: " << p << "\n";
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace tessera::app {

struct CheckReport {
  std::vector<std::string> problems;  // each names its setting; any of them fails the check
  std::vector<std::string> notes;     // what the server will do at start (create, migrate)
};

CheckReport check_configuration(const config::Config& config);

}  // namespace tessera::app
