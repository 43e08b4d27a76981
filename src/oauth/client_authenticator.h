// Client authentication (RFC 6749 section 2.3) for the token, introspection and revocation
// endpoints.
//
//   ClientAuthenticator clients(store, hasher, cache);
//   auto presented = clients.read(basic_credentials, request.params);   // no I/O
//   auto client = clients.authenticate(*presented, remote);              // on a worker pool
//
// Methods: client_secret_basic (the HTTP layer decodes the header into `basic`),
// client_secret_post (client_id and client_secret in the form), private_key_jwt
// (client_assertion: client_assertions.h), and none for public clients (client_id alone). A
// client registered with a method (client add --auth-method) may use that one only. No credentials
// at all means the built-in public client "default" (the seed's clientless password grant).
// Confidential clients' secrets are argon2id hashes; verified secrets are remembered for a minute
// (password/secret_cache.h) so that a service fetching tokens often is not bound by argon2. Reading
// the credentials is not blocking and tells, from memory, whether authenticating may hash, so that
// the caller can choose where to run it.
#pragma once

#include <chrono>
#include <expected>
#include <optional>

#include "oauth/client.h"
#include "oauth/client_assertions.h"
#include "oauth/errors.h"
#include "oauth/parameters.h"
#include "oauth/throttle.h"
#include "password/password_hasher.h"
#include "password/secret_cache.h"
#include "store/store.h"

namespace tessera::oauth {

// What a request presents to authenticate its client, read without the store or a hash.
struct PresentedClient {
  ClientCredentials credentials;
  // Whether authenticating may hash a secret: false when there is no secret to check or the
  // secret verified recently and stays remembered for a while yet (kHashFreeMargin), true
  // otherwise, a wrong secret included. A hint for choosing a worker pool, never a decision.
  bool may_hash = false;
};

class ClientAuthenticator {
 public:
  // `throttle` may be null: then failures are not counted. `assertions` may be null: then no
  // client can authenticate with private_key_jwt.
  ClientAuthenticator(store::ClientStore& clients, const password::PasswordHasher& hasher,
                      password::VerifiedSecretCache& cache, const LoginThrottle* throttle = nullptr,
                      const ClientAssertions* assertions = nullptr)
      : clients_(clients),
        hasher_(hasher),
        cache_(cache),
        throttle_(throttle),
        assertions_(assertions) {}

  // The credentials by whichever method the request used: `basic` is what the Authorization
  // header carried (method kSecretBasic), or nothing. invalid_request when two methods are
  // used at once (RFC 6749 section 2.3) or the form's client_id is not the header's. From
  // memory alone: answered on the I/O thread.
  std::expected<PresentedClient, OAuthError> read(const ClientCredentials& basic,
                                                  const Parameters& params) const;

  // Blocking. invalid_client for an unknown client, a wrong or missing secret, or a secret sent
  // by a public client. A refused secret always costs one hash, a dummy one when there is no
  // stored hash to check it against, so that the time taken does not tell which client ids
  // exist. `remote`: the request's address, for throttling.
  std::expected<Client, OAuthError> authenticate(const PresentedClient& presented,
                                                 std::string_view remote = {}) const;

  // The same, refusing public clients and the clientless request: for endpoints only
  // confidential clients may call (introspection).
  std::expected<Client, OAuthError> authenticate_confidential(const PresentedClient& presented,
                                                              std::string_view remote = {}) const;

  // A remembered secret that runs out sooner than this counts as needing a hash, so that an
  // entry expiring while its request waits in a queue is all but impossible. (It would still
  // be answered correctly, only hashed where may_hash said it would not be.)
  static constexpr std::chrono::seconds kHashFreeMargin{5};

 private:
  bool may_hash(const ClientCredentials& credentials) const;

  store::ClientStore& clients_;
  const password::PasswordHasher& hasher_;
  password::VerifiedSecretCache& cache_;
  const LoginThrottle* throttle_;
  const ClientAssertions* assertions_;
};

}  // namespace tessera::oauth
