// Client authentication at the token endpoint (RFC 6749 section 2.3).
//
//   ClientAuthenticator clients;
//   auto client = clients.authenticate(credentials);   // expected<Client, OAuthError>
//
// Today the only client is the built-in public client "default"; registered clients with
// secrets (client_secret_basic and client_secret_post) arrive with the client store.
#pragma once

#include <expected>
#include <optional>

#include "oauth/client.h"
#include "oauth/errors.h"

namespace tessera::oauth {

class ClientAuthenticator {
 public:
  // No credentials at all means the built-in public client "default". Unknown clients, and
  // a secret presented for a public client, are invalid_client.
  std::expected<Client, OAuthError> authenticate(const ClientCredentials& credentials) const;
};

}  // namespace tessera::oauth
