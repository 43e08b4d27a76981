#include "cli/common.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "keys/key_encryption_key.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"

namespace tessera::cli {

std::string Args::positional(std::string_view what) {
  // Commands take their options and flags first, so whatever starts with -- now is unknown.
  for (auto it = args_.begin(); it != args_.end(); ++it) {
    if (it->starts_with("--")) throw UsageError{"unknown option '" + *it + "'"};
    std::string value = *it;
    args_.erase(it);
    return value;
  }
  throw UsageError{"missing " + std::string(what)};
}

std::optional<std::string> Args::option(std::string_view name) {
  const std::string flag_name = "--" + std::string(name);
  for (auto it = args_.begin(); it != args_.end(); ++it) {
    if (*it == flag_name) {
      if (it + 1 == args_.end()) throw UsageError{flag_name + " needs a value"};
      std::string value = *(it + 1);
      args_.erase(it, it + 2);
      return value;
    }
    if (it->starts_with(flag_name + "=")) {
      std::string value = it->substr(flag_name.size() + 1);
      args_.erase(it);
      return value;
    }
  }
  return std::nullopt;
}

std::vector<std::string> Args::options(std::string_view name) {
  std::vector<std::string> values;
  while (auto v = option(name)) values.push_back(std::move(*v));
  return values;
}

bool Args::flag(std::string_view name) {
  const std::string flag_name = "--" + std::string(name);
  for (auto it = args_.begin(); it != args_.end(); ++it) {
    if (*it == flag_name) {
      args_.erase(it);
      return true;
    }
  }
  return false;
}

void Args::done() const {
  if (!args_.empty()) throw UsageError{"unexpected argument '" + args_.front() + "'"};
}

int fail(std::string_view message) {
  std::cerr << "tessera: " << message << "\n";
  return kExitError;
}

std::expected<std::unique_ptr<store::Store>, std::string> open_store(const config::Config& config,
                                                                     const core::Clock& clock) {
  if (config.uses_postgresql()) {
    return store::open_postgres_store({.url = config.database, .connections = config.database_pool},
                                      clock);
  }
  const std::filesystem::path path(config.database);
  if (path.has_parent_path()) {
    std::error_code ec;
    const auto dir = path.parent_path();
    if (!std::filesystem::exists(dir, ec)) {
      std::filesystem::create_directories(dir, ec);
      if (ec) return std::unexpected("cannot create " + dir.string() + ": " + ec.message());
      ::chmod(dir.c_str(), 0700);
    }
  }
  return store::open_sqlite_store(
      {.path = config.database, .connections = config.database_pool, .busy_timeout = std::chrono::milliseconds(5000)},
      clock);
}

std::expected<std::unique_ptr<keys::KeyManager>, std::string> open_key_manager(
    const config::Config& config, store::KeyStore& store, const core::Clock& clock,
    core::Random& random) {
  auto existing = store.list_signing_keys();
  if (!existing) return std::unexpected("the database is unavailable (see the log)");
  auto sealer = keys::load_key_encryption_key(config.key_encryption_key,
                                              keys::key_encryption_key_path(config.database),
                                              random, /*may_create=*/existing->empty());
  if (!sealer) return std::unexpected(sealer.error());
  // In HS256 mode new asymmetric keys are only made on request (key rotate --alg).
  const keys::KeyPolicy policy{
      .algorithm = config.signing_alg == jose::Algorithm::kHS256 ? jose::Algorithm::kEdDSA
                                                                 : config.signing_alg,
      .publish_delay = config.key_publish_delay,
      .rotation = config.key_rotation,
      .token_lifetime = config.access_token_ttl + kTokenLeeway};
  return std::make_unique<keys::KeyManager>(store, std::move(*sealer), policy, clock, random);
}

oauth::RefreshSettings refresh_settings(const config::Config& config) {
  // Unused refresh tokens expire after a week, or the absolute lifetime if that is shorter.
  constexpr std::chrono::seconds kIdle{7 * 24 * 3600};
  return {.lifetime = config.refresh_token_ttl,
          .idle = std::min(kIdle, config.refresh_token_ttl),
          .access_token_lifetime = config.access_token_ttl + kTokenLeeway};
}

}  // namespace tessera::cli
