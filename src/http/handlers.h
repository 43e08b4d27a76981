// The endpoints: thin handlers that decode a request into a typed call on oauth/, make it
// (on a worker pool when it blocks) and render the answer. The table of routes is
// register_routes(); docs/reference.md, Endpoints, says what each one does.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "http/replay_batcher.h"
#include "http/router.h"
#include "http/worker_pool.h"
#include "jose/key_source.h"
#include "oauth/access_token.h"
#include "oauth/authorization.h"
#include "oauth/client_authenticator.h"
#include "oauth/device_authorizations.h"
#include "oauth/discovery.h"
#include "oauth/dpop.h"
#include "oauth/introspection.h"
#include "oauth/pushed_requests.h"
#include "oauth/revocation.h"
#include "oauth/token_service.h"
#include "oauth/userinfo.h"

namespace tessera::http {

struct Services {
  const oauth::TokenService& token_service;
  const oauth::AccessTokens& access_tokens;
  const oauth::UserInfo& userinfo;
  const oauth::ClientAuthenticator& clients;
  const oauth::Introspection& introspection;
  const oauth::Revocation& revocation;
  const jose::KeySource& keys;
  const oauth::Discovery& discovery;
  // Whether the database answers now (blocking; for /healthz).
  std::function<bool()> database_answers;
  // Cache lifetime of the JWKS: shorter than the publish delay, so that a cache holds every
  // key before it signs (docs/reference.md, Settings).
  std::chrono::seconds jwks_max_age{300};
  // Requests that may hash a password or secret: few threads, so a login storm cannot take
  // every core.
  WorkerPool& credential_pool;
  // Short database work, the client requests whose secret is remembered as verified among it.
  WorkerPool& blocking_pool;
  // When set, GET /metrics answers only "Authorization: Bearer <this>".
  std::optional<std::string> metrics_token = std::nullopt;
  // Checks DPoP proofs at /userinfo and /users/me (RFC 9449 section 7); null: bound tokens
  // are refused there.
  const oauth::DpopVerifier* dpop = nullptr;
  // Remembers those proofs' use in batches, from the I/O threads; null: on the blocking pool.
  ReplayBatcher* replays = nullptr;
  // POST /par (RFC 9126): served when both are given.
  const oauth::Authorization* authorization = nullptr;
  const oauth::PushedRequests* pushed = nullptr;
  // POST /device_authorization (RFC 8628): served when given.
  const oauth::DeviceAuthorizations* devices = nullptr;
};

void register_routes(Router& router, const Services& services);

}  // namespace tessera::http
