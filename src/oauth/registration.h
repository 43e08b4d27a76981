// Dynamic client registration (RFC 7591) and the client configuration endpoint (RFC 7592: read,
// update, delete): a client Tessera has never seen registers itself at /register, within the
// policy the administrator set (docs/reference.md, Registration):
//   - off (the default), open, or with an initial access token that `tessera registration
//     token create` prints once (section 3, "Bearer" at /register);
//   - grants authorization_code and refresh_token only, and client_credentials for a
//     confidential client; redirect URIs by the rules of redirect_uri.h (https, http on a
//     loopback host with any port, a private-use scheme with a dot; no fragment);
//   - scopes only among those the policy names (and openid, profile, email);
//   - software statements refused (section 2.3); private_key_jwt clients are an
//     administrator's to add;
//   - registrations counted per client address, so one address cannot flood the client table.
// The answer carries a registration access token (stored only as its SHA-256) for GET, PUT and
// DELETE /register/{client_id}. An update replaces the grants, scopes, redirect URIs and name
// under the same policy; the token endpoint authentication method stays what it was.
//
//   Registrations registrations(store, registrar, policy, issuer, clock, random);
//   auto answer = registrations.register_client(body, bearer, remote);   // at /register
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
#include "oauth/scope.h"
#include "store/store.h"

namespace tessera::oauth {

enum class RegistrationMode { kOff, kToken, kOpen };

struct RegistrationPolicy {
  RegistrationMode mode = RegistrationMode::kOff;  // TESSERA_REGISTRATION
  ScopeSet scopes = {};  // TESSERA_REGISTRATION_SCOPES: what a registered client may ask for
  // TESSERA_REGISTRATION_RESOURCES: the resources (RFC 8707) every registered client may name.
  std::vector<std::string> resources = {};
};

// Registrations one client address may make: 20 an hour.
inline constexpr store::ThrottlePolicy kRegistrationThrottle{.threshold = 20,
                                                             .window = std::chrono::hours(1),
                                                             .first_lockout = std::chrono::hours(1),
                                                             .max_lockout = std::chrono::hours(1)};

// A client the policy let through, to be added.
struct ClientToRegister {
  std::string id;
  bool is_public = true;
  std::vector<std::string> grants;
  ScopeSet scopes;
  std::vector<std::string> redirect_uris;
  std::vector<std::string> resources;
  std::string name;
  std::string auth_method;  // none, client_secret_basic or client_secret_post
  std::string registration_token_hash;
};

// Adds and removes clients for the registration endpoint (the admin layer's rules and secret
// hashing, wired in by the composition root).
class ClientRegistrar {
 public:
  virtual ~ClientRegistrar() = default;
  // The generated secret of a confidential client; the error is one line. Blocking.
  virtual std::expected<std::optional<std::string>, std::string> add(
      const ClientToRegister& client) const = 0;
  virtual std::expected<void, std::string> remove(std::string_view client_id) const = 0;
  // Whether `secret` is the confidential client's secret. Blocking (a hash is checked).
  virtual bool secret_matches(const store::ClientRecord& client, std::string_view secret) const = 0;
};

// RFC 7591 section 3.2.2 and RFC 7592 section 2: status, error code, description.
struct RegistrationError {
  unsigned status = 400;
  std::string error;
  std::string description;
};

class Registrations {
 public:
  Registrations(store::Store& store, const ClientRegistrar& registrar, RegistrationPolicy policy,
                std::string issuer, const core::Clock& clock, core::Random& random)
      : store_(store),
        registrar_(registrar),
        policy_(std::move(policy)),
        issuer_(std::move(issuer)),
        clock_(clock),
        random_(random) {}

  // POST /register: `body` is the client metadata (JSON), `bearer` the initial access token
  // when one was sent. The 201 answer's body. Blocking (a secret is hashed).
  std::expected<boost::json::object, RegistrationError> register_client(
      std::string_view body, std::optional<std::string_view> bearer, std::string_view remote) const;

  // GET /register/{client_id} with its registration access token: the client's metadata.
  std::expected<boost::json::object, RegistrationError> read(
      std::string_view client_id, std::optional<std::string_view> bearer) const;

  // PUT /register/{client_id} (RFC 7592 section 2.2): `body` is the whole new metadata, with
  // the client_id; the answer is the client's metadata as stored. Blocking (a client_secret
  // sent is checked against the hash).
  std::expected<boost::json::object, RegistrationError> update(
      std::string_view client_id, std::optional<std::string_view> bearer,
      std::string_view body) const;

  // DELETE /register/{client_id}: the client goes, and its token with it.
  std::expected<void, RegistrationError> remove(std::string_view client_id,
                                                std::optional<std::string_view> bearer) const;

  const RegistrationPolicy& policy() const { return policy_; }

 private:
  std::expected<store::ClientRecord, RegistrationError> authorized_client(
      std::string_view client_id, std::optional<std::string_view> bearer) const;
  boost::json::object metadata_of(const store::ClientRecord& client) const;

  store::Store& store_;
  const ClientRegistrar& registrar_;
  RegistrationPolicy policy_;
  std::string issuer_;
  const core::Clock& clock_;
  core::Random& random_;
};

// A new initial access token (RFC 7591 section 3), stored as its hash; the token, to show once.
std::expected<std::string, std::string> create_initial_access_token(
    store::RegistrationTokenStore& store, const core::Clock& clock, core::Random& random,
    std::chrono::seconds lifetime, std::int64_t max_uses);

}  // namespace tessera::oauth
