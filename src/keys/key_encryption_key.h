// Where the key-encryption key (KEK) that seals private signing keys comes from:
// TESSERA_KEY_ENCRYPTION_KEY when set, else a random key made once in a file beside the
// database. The file must be readable by its owner only; Tessera refuses to start otherwise.
//
//   auto sealer = tessera::keys::load_key_encryption_key(config.key_encryption_key,
//                                                        "data/tessera.kek", random);
#pragma once

#include <expected>
#include <optional>
#include <string>

#include "core/random.h"
#include "jose/key_seal.h"

namespace tessera::keys {

// The KEK file for a SQLite database: "tessera.kek" in the database's directory.
std::string key_encryption_key_path(const std::string& database_path);

// `secret`: the configured KEK (its bytes as given, at least 32), if any. Otherwise the file
// at `path` is read, or, when absent and `may_create`, created (mode 0600, 32 random bytes);
// creation is atomic, so two processes starting at once end up with the same key. A caller
// whose database already holds sealed keys passes may_create = false: a new KEK could open
// none of them. The error is one line.
std::expected<jose::KeySealer, std::string> load_key_encryption_key(
    const std::optional<std::string>& secret, const std::string& path, core::Random& random,
    bool may_create = true);

}  // namespace tessera::keys
