// The browser's endpoints (docs/reference.md, Browser sign-in): /authorize (GET and POST),
// the login and consent forms, and /logout. Thin, like every handler: the decisions are
// oauth::Authorization's and oauth::SignIn's; here are the cookies, the anti-CSRF token, the
// pages and their headers.
//
// The pages carry the authorization request as hidden fields, so a form posted back is
// validated again in full and nothing about it is held between requests. Each form also
// carries an anti-CSRF token equal to a cookie of this browser (SameSite=Strict, HttpOnly): a
// form posted from another site, or from another browser, is refused with 403 before any
// password is checked.
#pragma once

#include <memory>
#include <string>

#include "http/pages.h"
#include "http/router.h"
#include "http/templates.h"
#include "http/worker_pool.h"
#include "oauth/authorization.h"
#include "oauth/id_tokens.h"
#include "oauth/sign_in.h"

namespace tessera::http {

struct SignInServices {
  const oauth::Authorization& authorization;
  const oauth::SignIn& sign_in;
  const oauth::IdTokens& id_tokens;  // reads /logout's id_token_hint
  std::shared_ptr<const Templates> templates;
  store::ClientStore& clients;  // for /logout's post_logout_redirect_uri
  core::Random& random;
  WorkerPool& credential_pool;
  WorkerPool& blocking_pool;
};

void register_sign_in_routes(Router& router, const SignInServices& services);

}  // namespace tessera::http
