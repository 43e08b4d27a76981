// What every subcommand shares: its arguments, the configuration, the store, and the exit
// codes of CONTRACT.md (0 success, 1 a user error with one line on stderr, 2 usage).
#pragma once

#include <expected>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/random.h"
#include "keys/key_manager.h"
#include "oauth/refresh_tokens.h"
#include "store/store.h"

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

// Opens (and migrates) the configured database, creating its directory (mode 0700) when
// needed. The error is one line.
std::expected<std::unique_ptr<store::Store>, std::string> open_store(const config::Config& config,
                                                                     const core::Clock& clock);

// How long a token may still be presented after it was signed, beyond its TTL: the leeway
// every verifier here allows for clock differences.
inline constexpr std::chrono::seconds kTokenLeeway{10};

// The key manager for the configured database, with the key-encryption key beside it (or from
// TESSERA_KEY_ENCRYPTION_KEY) and the configured rotation policy.
std::expected<std::unique_ptr<keys::KeyManager>, std::string> open_key_manager(
    const config::Config& config, store::KeyStore& store, const core::Clock& clock,
    core::Random& random);

// Refresh-token lifetimes from the configuration.
oauth::RefreshSettings refresh_settings(const config::Config& config);

int run_serve(const config::Config& config, Args args);
int run_client(const config::Config& config, Args args);
int run_user(const config::Config& config, Args args);
int run_key(const config::Config& config, Args args);

}  // namespace tessera::cli
