// The OpenID Connect userinfo answer (OpenID Connect Core section 5.3) for a verified
// access token: the token's user, looked up now, so that a deleted or disabled user's
// still-unexpired token gets nothing.
#pragma once

#include <boost/json/object.hpp>
#include <expected>

#include "store/store.h"

namespace tessera::oauth {

enum class UserInfoError {
  kNoSuchUser,   // the token's user is gone or disabled: 401 invalid_token
  kUnavailable,  // the database cannot answer: 503
};

class UserInfo {
 public:
  explicit UserInfo(store::UserStore& users) : users_(users) {}

  // {"sub": name, "preferred_username": name, "scope": …} from verified token claims.
  std::expected<boost::json::object, UserInfoError> lookup(const boost::json::object& claims) const;

 private:
  store::UserStore& users_;
};

}  // namespace tessera::oauth
