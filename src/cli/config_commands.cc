// tessera [--config FILE] [--env-file FILE] config check: every problem of the configuration,
// one line each, then what it points at (app/config_check.h); exit 0 when all is well, 1 if
// not. systemd runs it before starting and before reloading a unit (deploy/).
#include <iostream>

#include "app/config_check.h"
#include "cli/common.h"

namespace tessera::cli {

int run_config(const std::optional<std::string>& config_file, const config::Environment& env,
               Args args) {
  const std::string verb = args.positional("config command (check)");
  if (verb != "check") throw UsageError{"unknown config command '" + verb + "'"};
  args.done();
  const std::vector<std::string> problems = config::config_problems(config_file, env);
  for (const std::string& problem : problems) std::cout << "error: " << problem << "\n";
  if (!problems.empty()) {
    std::cout << problems.size() << " problem(s) in the settings\n";
    return kExitError;
  }
  auto config = config::load_config(config_file, env);
  if (!config) {  // config_problems found none, so this does not happen
    std::cout << "error: " << config.error() << "\n";
    return kExitError;
  }
  for (const std::string& warning : config->warnings) std::cout << "warning: " << warning << "\n";
  const app::CheckReport report = app::check_configuration(*config);
  for (const std::string& note : report.notes) std::cout << "note: " << note << "\n";
  for (const std::string& problem : report.problems) std::cout << "error: " << problem << "\n";
  if (!report.problems.empty()) {
    std::cout << report.problems.size() << " problem(s)\n";
    return kExitError;
  }
  std::cout << "configuration OK\n";
  return kExitOk;
}

}  // namespace tessera::cli
