// The registration endpoints (RFC 7591 section 3, RFC 7592 section 2; docs/reference.md,
// Registration): POST /register, and GET and DELETE /register/{client_id} with the client's
// registration access token. Thin: the policy is oauth::Registrations'.
#pragma once

#include "http/router.h"
#include "http/worker_pool.h"
#include "oauth/registration.h"

namespace tessera::http {

struct RegistrationServices {
  const oauth::Registrations& registrations;
  WorkerPool& credential_pool;  // a confidential client's secret is hashed
  WorkerPool& blocking_pool;
};

// Adds nothing when registration is off.
void register_registration_routes(Router& router, const RegistrationServices& services);

}  // namespace tessera::http
