// Checking a user's password, for the password grant and the login page alike: the same
// throttle, the same single answer for every failure, the same hashing work whether or not
// the user exists, and the same rehash of a correct password stored in an older format.
//
//   UserAuthenticator users(store, hasher, &throttle);
//   auto user = users.authenticate("alice", password, remote);   // blocking: hashes
#pragma once

#include <expected>
#include <string_view>

#include "oauth/errors.h"
#include "oauth/throttle.h"
#include "password/password_hasher.h"
#include "store/store.h"

namespace tessera::oauth {

class UserAuthenticator {
 public:
  // `throttle` may be null: then failures are not counted.
  UserAuthenticator(store::UserStore& users, const password::PasswordHasher& hasher,
                    const LoginThrottle* throttle = nullptr)
      : users_(users), hasher_(hasher), throttle_(throttle) {}

  // The user, when `password` is theirs and they are enabled. invalid_grant "invalid username
  // or password" for every failure (counted by the throttle), too_many_attempts while the
  // account or the address is locked (before any hashing), temporarily_unavailable when the
  // store cannot answer. Blocking.
  std::expected<store::User, OAuthError> authenticate(std::string_view username,
                                                      std::string_view password,
                                                      std::string_view remote) const;

 private:
  void upgrade_hash(const store::User& user, std::string_view password) const;

  store::UserStore& users_;
  const password::PasswordHasher& hasher_;
  const LoginThrottle* throttle_;
};

}  // namespace tessera::oauth
