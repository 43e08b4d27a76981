// The endpoints: thin handlers that decode a request into a typed call on oauth/, make it
// (on a worker pool when it blocks) and render the answer. The table of routes is
// register_routes(); CONTRACT.md lists what each endpoint does.
#pragma once

#include "http/router.h"
#include "http/worker_pool.h"
#include "oauth/access_token.h"
#include "oauth/token_service.h"
#include "oauth/userinfo.h"
#include "store/store.h"

namespace tessera::http {

struct Services {
  const oauth::TokenService& token_service;
  const oauth::AccessTokens& access_tokens;
  const oauth::UserInfo& userinfo;
  store::Store& store;
  // Password hashing: few threads, so a login storm cannot take every core.
  WorkerPool& credential_pool;
  // Short database work.
  WorkerPool& blocking_pool;
};

void register_routes(Router& router, const Services& services);

}  // namespace tessera::http
