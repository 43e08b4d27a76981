// The user record as stored. Plain data: what a user may do is decided in oauth/.
#pragma once

#include <string>
#include <vector>

#include "core/clock.h"

namespace tessera::store {

struct User {
  std::string name;
  // A PHC string (argon2id) or a bcrypt hash; never logged, never put in a token.
  std::string password_hash;
  // The scopes this user may be granted, sorted and without duplicates.
  std::vector<std::string> scopes;
  bool disabled = false;
  // The OpenID Connect "name" and "email" claims (OpenID Connect Core section 5.1); empty
  // when not set.
  std::string display_name{};
  std::string email{};
  // Set by the store; the `{}` lets callers write User{.name = ..., ...} without them.
  core::TimePoint created_at{};
  core::TimePoint updated_at{};
};

}  // namespace tessera::store
