// A registered OAuth client as stored: plain data. What it may do is decided in oauth/.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"

namespace tessera::store {

struct ClientRecord {
  std::string id;
  // argon2id PHC string of the secret; none for a public client. Never logged.
  std::optional<std::string> secret_hash;
  std::vector<std::string> grants;  // grant_type values
  std::vector<std::string> scopes;  // sorted, without duplicates
  std::string audience;             // empty: the issuer
  core::TimePoint created_at;
};

}  // namespace tessera::store
