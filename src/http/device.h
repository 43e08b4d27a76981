// The device flow's verification page (RFC 8628 section 3.3; docs/reference.md, Device flow):
// GET /device shows a form for the code the device displays (filled in from
// verification_uri_complete's user_code), and POST /device takes the person from the code
// through the login page and the consent page to the answer, every step one form posted back
// to /device with the code and the anti-CSRF token among its fields.
//
// The consent page is shown every time, even to a signed-in user and for a first-party client:
// a code typed on a phone lets a device far away in (section 5.4, remote phishing), so the
// person must see which client asks and the code, and say yes.
#pragma once

#include <memory>

#include "http/router.h"
#include "http/templates.h"
#include "http/worker_pool.h"
#include "oauth/device_authorizations.h"
#include "oauth/sign_in.h"

namespace tessera::http {

struct DeviceServices {
  const oauth::DeviceAuthorizations& devices;
  const oauth::SignIn& sign_in;
  std::shared_ptr<const Templates> templates;
  core::Random& random;
  std::string issuer;
  WorkerPool& credential_pool;  // the login form hashes a password
  WorkerPool& blocking_pool;
};

void register_device_routes(Router& router, const DeviceServices& services);

}  // namespace tessera::http
