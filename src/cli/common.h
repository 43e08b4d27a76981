// What every subcommand shares: its arguments, the configuration, and the exit codes of
// docs/reference.md (0 success, 1 a user error with one line on stderr, 2 usage).
#pragma once

#include <expected>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace tessera::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;

// Thrown by commands for a usage mistake; main prints it with the usage text and exits 2.
struct UsageError {
  std::string message;
};

// The arguments after the subcommand, with --config already taken out.
class Args {
 public:
  explicit Args(std::vector<std::string> args) : args_(std::move(args)) {}

  // The next positional argument, or a UsageError naming `what`.
  std::string positional(std::string_view what);
  // Removes --name VALUE (or --name=VALUE); std::nullopt if absent.
  std::optional<std::string> option(std::string_view name);
  // Removes every --name VALUE, in order.
  std::vector<std::string> options(std::string_view name);
  // Removes --name; whether it was there.
  bool flag(std::string_view name);
  // A UsageError if anything is left over.
  void done() const;

 private:
  std::vector<std::string> args_;
};

// Prints "tessera: <message>" on stderr and returns kExitError.
int fail(std::string_view message);

int run_serve(const config::Config& config, Args args);
int run_client(const config::Config& config, Args args);
int run_user(const config::Config& config, Args args);
int run_key(const config::Config& config, Args args);
int run_registration(const config::Config& config, Args args);
// Reads the configuration itself: its problems are what it reports.
int run_config(const std::optional<std::string>& config_file, const config::Environment& env,
               Args args);

}  // namespace tessera::cli
