#include "app/settings.h"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <thread>

#include "oauth/id_tokens.h"

namespace tessera::app {
namespace {

// The algorithms our own endpoints accept: the configured family. Asymmetric keys of any kind
// we make (an admin may rotate to another algorithm); HS256 alone in the seed's mode.
std::vector<jose::Algorithm> accepted_algorithms(jose::Algorithm configured) {
  if (configured == jose::Algorithm::kHS256) return {jose::Algorithm::kHS256};
  return {jose::Algorithm::kEdDSA, jose::Algorithm::kES256, jose::Algorithm::kRS256,
          jose::Algorithm::kPS256};
}

// Unused refresh tokens expire after a week, or the absolute lifetime if that is shorter.
constexpr std::chrono::seconds kRefreshIdle{7 * 24 * 3600};

}  // namespace

Settings derive_settings(const config::Config& config) {
  Settings s;
  s.access_token_lifetime = config.access_token_ttl + kTokenLeeway;
  s.access_tokens = {.issuer = "",
                     .ttl = config.access_token_ttl,
                     .algorithms = accepted_algorithms(config.signing_alg),
                     .leeway = kTokenLeeway};
  s.refresh = {.lifetime = config.refresh_token_ttl,
               .idle = std::min(kRefreshIdle, config.refresh_token_ttl),
               .access_token_lifetime = s.access_token_lifetime,
               .reuse_grace = config.refresh_reuse_grace};
  // In HS256 mode new asymmetric keys are only made on request (key rotate --alg).
  s.keys = {.algorithm = config.signing_alg == jose::Algorithm::kHS256 ? jose::Algorithm::kEdDSA
                                                                       : config.signing_alg,
            .publish_delay = config.key_publish_delay,
            .rotation = config.key_rotation,
            .token_lifetime = s.access_token_lifetime};
  s.sign_in = {.session_idle = config.session_idle, .session_lifetime = config.session_lifetime};
  s.device = {.lifetime = config.device_code_ttl, .interval = config.device_poll_interval};
  s.registration = {.mode = config.registration == "open"    ? oauth::RegistrationMode::kOpen
                            : config.registration == "token" ? oauth::RegistrationMode::kToken
                                                             : oauth::RegistrationMode::kOff,
                    .scopes = oauth::make_scope_set(config.registration_scopes),
                    .resources = config.registration_resources};
  s.maintenance.session_idle = config.session_idle;
  s.id_token_keys = s.keys;
  s.id_token_keys.algorithm = jose::Algorithm::kRS256;
  s.id_token_keys.purpose = "id_token";
  s.id_token_keys.create_first = false;
  s.id_token_keys.token_lifetime = oauth::IdTokens::kLifetime + kTokenLeeway;
  s.jwks_max_age =
      std::clamp(config.key_publish_delay / 2, std::chrono::seconds(1), std::chrono::seconds(300));
  s.server.max_connections_per_address = config.max_connections_per_address;
  for (const std::string& proxy : config.trusted_proxies) {
    // config/ checked that each is an IP address.
    s.server.trusted_proxies.push_back(boost::asio::ip::make_address(proxy));
  }
  s.pools.credential_threads = std::max(1u, std::thread::hardware_concurrency());
  for (const jose::Algorithm alg : s.access_tokens.algorithms) {
    s.algorithm_names.emplace_back(jose::name(alg));
  }
  return s;
}

}  // namespace tessera::app
