// The one place that picks a storage backend: SQLite for a file path, PostgreSQL for a
// postgresql:// URL (the configuration decides), and opens the signing keys kept in it.
//
//   auto store = app::open_store(config, clock);          // errors are one line
//   auto keys = app::open_key_manager(config, settings.keys, (*store)->keys(), clock, random);
#pragma once

#include <expected>
#include <memory>
#include <string>

#include "config/config.h"
#include "core/clock.h"
#include "core/random.h"
#include "keys/key_manager.h"
#include "store/store.h"

namespace tessera::app {

// Opens (and migrates) the configured database, creating a SQLite file's directory (mode 0700)
// when needed.
std::expected<std::unique_ptr<store::Store>, std::string> open_store(const config::Config& config,
                                                                     const core::Clock& clock);

// The key manager over `keys`, with the key-encryption key from TESSERA_KEY_ENCRYPTION_KEY or
// the file beside the database (made on a database that has no key yet).
std::expected<std::unique_ptr<keys::KeyManager>, std::string> open_key_manager(
    const config::Config& config, const keys::KeyPolicy& policy, store::KeyStore& keys,
    const core::Clock& clock, core::Random& random);

}  // namespace tessera::app
