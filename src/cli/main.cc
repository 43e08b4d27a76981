// tessera: the token server and its admin commands (docs/reference.md, Commands).
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "cli/common.h"
#include "config/env_file.h"
#include "core/version.h"

namespace {

using namespace tessera::cli;

constexpr std::string_view kUsage = R"(usage: tessera [--config FILE] [--env-file FILE] COMMAND
  serve                                   run the token server
  user add NAME [--scope "a b"] [--password-stdin | --password-hash HASH]
               [--name "Full Name"] [--email ADDRESS]
  user list | disable NAME | enable NAME | delete NAME
  user passwd NAME [--password-stdin]
  client add ID [--secret-stdin | --public] [--grant G]... [--scope "a b"] [--audience AUD]
             [--redirect-uri URI]... [--post-logout-redirect-uri URI]... [--name NAME]
             [--skip-consent] [--id-token-alg EdDSA|ES256|RS256|PS256] [--require-dpop]
             [--require-par] [--auth-method client_secret_basic|client_secret_post|
             private_key_jwt|none] [--jwks FILE | --jwks-uri URL] [--exchange-audience AUD]...
             [--resource URI]...
  client list | delete ID
  registration token create [--expires 1d] [--max-uses N]
  config check                            report every problem of the configuration
  key rotate [--alg EdDSA|ES256|RS256|PS256] [--purpose access|id_token] | key list | key retire KID
  version
Configuration comes from FILE (TOML) and TESSERA_* variables, which the KEY=VALUE lines of
the env file (a systemd EnvironmentFile, /etc/tessera/tessera.env) replace; see tessera(1).
)";

int usage(std::string_view message) {
  if (!message.empty()) std::cerr << "tessera: " << message << "\n";
  std::cerr << kUsage;
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    Args all(args);
    const std::optional<std::string> config_file = all.option("config");
    const std::optional<std::string> env_file = all.option("env-file");
    if (all.flag("help") || std::find(args.begin(), args.end(), "-h") != args.end()) {
      std::cout << kUsage;
      return kExitOk;
    }
    std::string command;
    try {
      command = all.positional("command");
    } catch (const UsageError&) {
      return usage("");
    }
    if (command == "version") {
      all.done();
      std::cout << "tessera " << tessera::core::kVersion << "\n";
      return kExitOk;
    }
    if (command == "help") {
      std::cout << kUsage;
      return kExitOk;
    }
    tessera::config::Environment env = tessera::config::process_environment();
    if (env_file) {
      auto values = tessera::config::read_env_file(*env_file);
      if (!values) return fail(values.error());
      env = tessera::config::environment_with(std::move(*values), std::move(env));
    }
    if (command == "config") return run_config(config_file, env, std::move(all));
    if (command != "serve" && command != "user" && command != "key" && command != "client" &&
        command != "registration") {
      return usage("unknown command '" + command + "'");
    }

    auto config = tessera::config::load_config(config_file, env);
    if (!config) return fail(config.error());
    tessera::core::set_log_level(config->log);
    if (command == "serve") return run_serve(*config, std::move(all));
    if (command == "key") return run_key(*config, std::move(all));
    if (command == "client") return run_client(*config, std::move(all));
    if (command == "registration") return run_registration(*config, std::move(all));
    return run_user(*config, std::move(all));
  } catch (const UsageError& e) {
    return usage(e.message);
  }
}
