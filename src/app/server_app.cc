#include "app/server_app.h"

#include <malloc.h>
#include <sys/resource.h>

#include <csignal>
#include <iostream>
#include <thread>
#include <vector>

#include "admin/client_admin.h"
#include "admin/user_admin.h"
#include "app/database.h"
#include "app/gauges.h"
#include "core/log.h"
#include "fetch/http_fetch.h"
#include "http/device.h"
#include "http/handlers.h"
#include "http/registration.h"
#include "http/sign_in.h"
#include "http/tls.h"
#include "jose/hmac_key.h"
#include "keys/key_encryption_key.h"
#include "oauth/authorization.h"
#include "oauth/authorization_codes.h"
#include "oauth/discovery.h"
#include "oauth/grants/authorization_code.h"
#include "oauth/grants/client_credentials.h"
#include "oauth/grants/device_code.h"
#include "oauth/grants/password.h"
#include "oauth/grants/refresh_token.h"
#include "oauth/grants/token_exchange.h"
#include "oauth/id_tokens.h"
#include "oauth/introspection.h"
#include "oauth/revocation.h"
#include "oauth/sign_in.h"
#include "oauth/user_authenticator.h"
#include "oauth/userinfo.h"
#include "password/password_hasher.h"
#include "password/secret_cache.h"
#include "store/postgres/postgres_store.h"

namespace tessera::app {
namespace {

namespace asio = boost::asio;
using core::LogLevel;

std::string url_of(const asio::ip::tcp::endpoint& endpoint, bool https) {
  const auto address = endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return (https ? "https://" : "http://") + host + ":" + std::to_string(endpoint.port());
}

// Many keep-alive clients need many descriptors: take the whole hard limit.
void raise_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// A private_key_jwt client's jwks_uri (RFC 7591 section 2), read from a worker thread.
std::expected<oauth::FetchedJwks, std::string> fetch_client_jwks(std::string_view uri) {
  constexpr std::chrono::seconds kTimeout{5};
  constexpr std::size_t kMaxBytes = 64 * 1024;
  auto got = fetch::http_get(uri, kTimeout, kMaxBytes);
  if (!got) return std::unexpected(got.error());
  if (got->status != 200) {
    return std::unexpected("GET " + std::string(uri) + ": status " + std::to_string(got->status));
  }
  return oauth::FetchedJwks{.body = std::move(got->body), .max_age = got->max_age};
}

// Registered clients are added and removed by the admin layer's rules (oauth/registration.h).
class AdminRegistrar final : public oauth::ClientRegistrar {
 public:
  AdminRegistrar(admin::ClientAdmin& admin, const password::PasswordHasher& hasher)
      : admin_(admin), hasher_(hasher) {}

  std::expected<std::optional<std::string>, std::string> add(
      const oauth::ClientToRegister& client) const override {
    auto added = admin_.add({.id = client.id,
                             .is_public = client.is_public,
                             .secret = std::nullopt,
                             .grants = client.grants,
                             .scopes = client.scopes,
                             .audience = "",
                             .redirect_uris = client.redirect_uris,
                             .display_name = client.name,
                             .auth_method = client.auth_method,
                             .resources = client.resources,
                             .registration_token_hash = client.registration_token_hash});
    if (!added) return std::unexpected(added.error());
    return std::move(added->generated_secret);
  }

  std::expected<void, std::string> remove(std::string_view client_id) const override {
    return admin_.remove(client_id);
  }

  bool secret_matches(const store::ClientRecord& client, std::string_view secret) const override {
    if (!client.secret_hash) return false;
    auto match = hasher_.verify(secret, *client.secret_hash);
    return match && *match;
  }

 private:
  admin::ClientAdmin& admin_;
  const password::PasswordHasher& hasher_;
};

}  // namespace

// Every component of the protocol, over the store and keys the app opened.
struct ServerApp::Components {
  Components(ServerApp& app, const jose::KeySource& keys, oauth::AccessTokenSettings access)
      : revoked(app.store_->revocations(), app.clock_),
        access_tokens(keys, std::move(access), app.clock_, app.random_, &revoked),
        refresh_tokens(app.store_->refresh_tokens(), app.settings_.refresh, app.clock_, app.random_,
                       revoked, app.refresh_successor_key_),
        hasher(app.random_),
        secret_cache(app.clock_, app.random_),
        throttle(app.store_->throttles(), app.clock_),
        assertions(app.store_->replays(), app.issuer_, app.clock_, fetch_client_jwks),
        clients(app.store_->clients(), hasher, secret_cache, &throttle, &assertions),
        dpop(app.store_->replays(), app.issuer_, app.clock_, {}, app.dpop_nonces_.get()),
        replay_batcher(app.store_->replays()),
        token_service(clients, &dpop),
        userinfo(app.store_->users()),
        introspection(access_tokens, refresh_tokens, app.store_->users(), app.store_->clients(),
                      app.issuer_),
        revocation(access_tokens, refresh_tokens, app.store_->revocations(), revoked, app.clock_),
        users(app.store_->users(), hasher, &throttle),
        pushed(app.store_->pushed_requests(), app.clock_, app.random_),
        authorization(app.store_->clients(), app.issuer_, app.key_manager_ != nullptr, &pushed),
        id_tokens(
            app.id_key_manager_ ? static_cast<const jose::KeySource&>(*app.id_key_manager_) : keys,
            &keys, app.issuer_, app.clock_),
        codes(app.store_->codes(), app.clock_, app.random_),
        sign_in(*app.store_, authorization, codes, users, app.clock_, app.random_,
                app.settings_.sign_in),
        user_tokens(access_tokens, refresh_tokens,
                    app.key_manager_ != nullptr ? &id_tokens : nullptr),
        devices(*app.store_, app.issuer_, app.clock_, app.random_, app.settings_.device),
        client_admin(*app.store_, hasher, app.random_, app.clock_,
                     app.settings_.access_token_lifetime),
        registrar(client_admin, hasher),
        registrations(*app.store_, registrar, app.settings_.registration, app.issuer_, app.clock_,
                      app.random_) {
    store::UserStore& user_store = app.store_->users();
    token_service.add(std::make_unique<oauth::PasswordGrant>(user_store, hasher, access_tokens,
                                                             &refresh_tokens, &throttle));
    token_service.add(std::make_unique<oauth::ClientCredentialsGrant>(access_tokens));
    token_service.add(std::make_unique<oauth::TokenExchangeGrant>(access_tokens));
    token_service.add(
        std::make_unique<oauth::RefreshTokenGrant>(user_store, refresh_tokens, access_tokens));
    token_service.add(std::make_unique<oauth::AuthorizationCodeGrant>(
        codes, user_store, user_tokens, app.store_->revocations(), revoked));
    token_service.add(std::make_unique<oauth::DeviceCodeGrant>(devices, user_store, user_tokens));
    std::vector<std::string> grant_types;
    for (const auto grant : token_service.grant_types()) grant_types.emplace_back(grant);
    metadata = std::make_unique<oauth::ServerMetadata>(oauth::MetadataSettings{
        .issuer = app.issuer_,
        .grant_types = std::move(grant_types),
        .token_endpoint_auth_methods = {"client_secret_basic", "client_secret_post",
                                        "private_key_jwt", "none"},
        .signing_algorithms = app.settings_.algorithm_names,
        .dpop_algorithms = dpop.algorithm_names(),
        .pushed_requests = true,
        .device_authorization = true,
        .registration = app.settings_.registration.mode != oauth::RegistrationMode::kOff});
    discovery = std::make_unique<oauth::Discovery>(*metadata, user_store, app.store_->clients());
  }

  oauth::RevocationList revoked;
  oauth::AccessTokens access_tokens;
  const oauth::RefreshTokens refresh_tokens;
  password::PasswordHasher hasher;
  password::VerifiedSecretCache secret_cache;
  const oauth::LoginThrottle throttle;
  const oauth::ClientAssertions assertions;
  const oauth::ClientAuthenticator clients;
  const oauth::DpopVerifier dpop;
  http::ReplayBatcher replay_batcher;
  oauth::TokenService token_service;
  const oauth::UserInfo userinfo;
  const oauth::Introspection introspection;
  const oauth::Revocation revocation;
  const oauth::UserAuthenticator users;
  const oauth::PushedRequests pushed;
  const oauth::Authorization authorization;
  const oauth::IdTokens id_tokens;
  const oauth::AuthorizationCodes codes;
  const oauth::SignIn sign_in;
  const oauth::UserTokenIssuer user_tokens;
  const oauth::DeviceAuthorizations devices;
  admin::ClientAdmin client_admin;
  const AdminRegistrar registrar;
  const oauth::Registrations registrations;
  std::unique_ptr<oauth::ServerMetadata> metadata;
  std::unique_ptr<oauth::Discovery> discovery;
};

ServerApp::ServerApp(const config::Config& config)
    : config_(config),
      settings_(derive_settings(config)),
      credential_pool_(settings_.pools.credential_threads, settings_.pools.credential_queue,
                       settings_.pools.credential_nice),
      blocking_pool_(settings_.pools.blocking_threads, settings_.pools.blocking_queue),
      ioc_(static_cast<int>(config.threads)),
      server_(ioc_, router_, settings_.server),
      reload_(ioc_, SIGHUP),
      stop_(ioc_, SIGINT, SIGTERM) {}

ServerApp::~ServerApp() = default;

std::expected<std::unique_ptr<ServerApp>, std::string> ServerApp::create(
    const config::Config& config) {
  // Argon2 allocates ~19 MiB per hash. A fixed mmap threshold keeps such blocks out of the
  // heap arenas, so their memory goes back to the system when a hash is done.
  ::mallopt(M_MMAP_THRESHOLD, 1 << 20);
  raise_open_file_limit();
  for (const std::string& warning : config.warnings) {
    core::log(LogLevel::kWarn, "config_warning", {{"detail", warning}});
  }
  std::unique_ptr<ServerApp> app(new ServerApp(config));
  if (auto bound = app->bind(); !bound) return std::unexpected(bound.error());
  if (auto loaded = app->load_templates(); !loaded) return std::unexpected(loaded.error());
  if (auto opened = app->open_state(); !opened) return std::unexpected(opened.error());
  app->build();
  return app;
}

// Binds first: a port in use must stop the start before anything is written.
std::expected<void, std::string> ServerApp::bind() {
  auto endpoint = server_.listen(config_.listen.host, config_.listen.port);
  if (!endpoint) return std::unexpected("TESSERA_LISTEN: " + endpoint.error());
  https_ = config_.tls_cert.has_value();
  if (https_) {
    auto tls = http::make_tls_context(*config_.tls_cert, *config_.tls_key);
    if (!tls) return std::unexpected(tls.error());
    server_.set_tls(std::move(*tls));
  } else if (!endpoint->address().is_loopback()) {
    // Passwords and tokens in clear text belong on loopback only, unless TLS ends in front.
    if (!config_.allow_insecure_http) {
      return std::unexpected(
          "TESSERA_LISTEN: plain HTTP on " + endpoint->address().to_string() +
          " would send passwords and tokens in clear; set TESSERA_TLS_CERT and "
          "TESSERA_TLS_KEY, or TESSERA_ALLOW_INSECURE_HTTP=1 behind a TLS proxy");
    }
    core::log(LogLevel::kWarn, "insecure_http",
              {{"listen", url_of(*endpoint, false)},
               {"detail", "plain HTTP on a non-loopback address: TLS must end in front"}});
  }
  listen_url_ = url_of(*endpoint, https_);
  issuer_ = config_.issuer.value_or(listen_url_);
  return {};
}

// The database, the signing keys (the HS256 secret of the seed's mode, or asymmetric keys kept
// in the database), and the bootstrap user.
// The sign-in pages: the built-in templates, or the folder TESSERA_TEMPLATES_DIR names, checked
// whole before the server starts.
std::expected<void, std::string> ServerApp::load_templates() {
  if (!config_.templates_dir) {
    templates_ = http::Templates::builtin();
    return {};
  }
  auto loaded = http::Templates::load(*config_.templates_dir);
  if (!loaded) return std::unexpected("TESSERA_TEMPLATES_DIR: " + loaded.error());
  templates_ = std::move(*loaded);
  return {};
}

std::expected<void, std::string> ServerApp::open_state() {
  auto store = open_store(config_, clock_);
  if (!store) return std::unexpected(store.error());
  store_ = std::move(*store);
  if (config_.signing_alg == jose::Algorithm::kHS256) {
    auto key = jose::HmacKey::create(*config_.secret_key);
    if (!key) return std::unexpected("TESSERA_SECRET_KEY: " + key.error());
    static_keys_ = std::make_unique<jose::StaticKeySource>(std::move(*key));
  } else {
    auto manager = open_key_manager(config_, settings_.keys, store_->keys(), clock_, random_);
    if (!manager) return std::unexpected(manager.error());
    if (auto started = (*manager)->start(); !started) return std::unexpected(started.error());
    key_manager_ = std::move(*manager);
    auto id_manager =
        open_key_manager(config_, settings_.id_token_keys, store_->keys(), clock_, random_);
    if (!id_manager) return std::unexpected(id_manager.error());
    if (auto started = (*id_manager)->start(); !started) {
      return std::unexpected("id_token keys: " + started.error());
    }
    id_key_manager_ = std::move(*id_manager);
    ensure_id_token_key(*store_, *id_key_manager_);
    published_keys_ = std::make_unique<keys::PublishedKeys>(*key_manager_, *id_key_manager_);
  }
  if (auto secrets = open_shared_secrets(); !secrets) return std::unexpected(secrets.error());
  password::PasswordHasher hasher(random_);
  admin::UserAdmin admin(*store_, hasher, random_, clock_);  // no sessions to end yet
  auto bootstrap = admin.bootstrap(config_.admin_username, config_.admin_password);
  if (!bootstrap) return std::unexpected(bootstrap.error());
  if (bootstrap->generated_password) {
    std::cout << "created user " << bootstrap->name << " with password "
              << *bootstrap->generated_password
              << " (shown once; change it with tessera user passwd)" << std::endl;
  }
  return {};
}

// What every instance shares and no one else holds: the KEK, or in the HS256 mode the secret.
std::expected<jose::KeySealer, std::string> ServerApp::shared_sealer() {
  if (config_.signing_alg == jose::Algorithm::kHS256) {
    return jose::KeySealer::from_secret(*config_.secret_key);
  }
  return keys::load_key_encryption_key(config_.key_encryption_key,
                                       keys::key_encryption_key_path(config_.database), random_,
                                       /*may_create=*/false);
}

// DPoP nonces sealed under the shared secret, and the key that derives refresh tokens'
// successors from it (oauth/refresh_tokens.h), so that every instance agrees on both.
std::expected<void, std::string> ServerApp::open_shared_secrets() {
  if (config_.dpop_nonce) {
    auto sealer = shared_sealer();
    if (!sealer) return std::unexpected("TESSERA_DPOP_NONCE: " + sealer.error());
    dpop_nonces_ = std::make_unique<oauth::DpopNonces>(std::move(*sealer), random_, clock_);
  }
  if (settings_.refresh.reuse_grace.count() > 0) {
    auto sealer = shared_sealer();
    if (!sealer) return std::unexpected("TESSERA_REFRESH_REUSE_GRACE: " + sealer.error());
    auto derived = sealer->derive_key("tessera refresh-token successors v1");
    if (!derived) return std::unexpected("TESSERA_REFRESH_REUSE_GRACE: " + derived.error());
    auto key = jose::HmacKey::create(*derived);
    if (!key) return std::unexpected("TESSERA_REFRESH_REUSE_GRACE: " + key.error());
    refresh_successor_key_ = std::move(*key);
  }
  return {};
}

void ServerApp::build() {
  const jose::KeySource& keys =
      key_manager_ ? static_cast<const jose::KeySource&>(*key_manager_) : *static_keys_;
  oauth::AccessTokenSettings access = settings_.access_tokens;
  access.issuer = issuer_;
  components_ = std::make_unique<Components>(*this, keys, std::move(access));
  Components& c = *components_;
  // A failed first read of the log is retried every second by the maintenance.
  if (auto synced = c.revoked.sync(); !synced) {
    core::log(LogLevel::kWarn, "revocations_not_synced", {{"detail", synced.error()}});
  }
  register_gauges(*store_, key_manager_.get(), clock_);
  http::register_routes(router_, {.token_service = c.token_service,
                                  .access_tokens = c.access_tokens,
                                  .userinfo = c.userinfo,
                                  .clients = c.clients,
                                  .introspection = c.introspection,
                                  .revocation = c.revocation,
                                  .keys = published_keys_ ? *published_keys_ : keys,
                                  .discovery = *c.discovery,
                                  .database_answers = [this] { return store_->ping().has_value(); },
                                  .jwks_max_age = settings_.jwks_max_age,
                                  .credential_pool = credential_pool_,
                                  .blocking_pool = blocking_pool_,
                                  .metrics_token = config_.metrics_token,
                                  .dpop = &c.dpop,
                                  .replays = &c.replay_batcher,
                                  .authorization = &c.authorization,
                                  .pushed = &c.pushed,
                                  .devices = &c.devices});
  http::register_sign_in_routes(router_, {.authorization = c.authorization,
                                          .sign_in = c.sign_in,
                                          .id_tokens = c.id_tokens,
                                          .templates = templates_,
                                          .clients = store_->clients(),
                                          .random = random_,
                                          .credential_pool = credential_pool_,
                                          .blocking_pool = blocking_pool_});
  http::register_device_routes(router_, {.devices = c.devices,
                                         .sign_in = c.sign_in,
                                         .templates = templates_,
                                         .random = random_,
                                         .issuer = issuer_,
                                         .credential_pool = credential_pool_,
                                         .blocking_pool = blocking_pool_});
  http::register_registration_routes(router_, {.registrations = c.registrations,
                                               .credential_pool = credential_pool_,
                                               .blocking_pool = blocking_pool_});
  maintenance_ =
      std::make_unique<Maintenance>(ioc_, blocking_pool_,
                                    Maintenance::Work{.keys = key_manager_.get(),
                                                      .id_token_keys = id_key_manager_.get(),
                                                      .revocations = c.revoked,
                                                      .store = *store_,
                                                      .clock = clock_},
                                    settings_.maintenance);
}

// SIGHUP loads a renewed certificate for new connections (open ones keep theirs), as often as
// it comes.
void ServerApp::wait_for_reload() {
  reload_.async_wait([this](const boost::system::error_code& ec, int) {
    if (ec) return;
    if (https_) {
      if (auto tls = http::make_tls_context(*config_.tls_cert, *config_.tls_key)) {
        server_.set_tls(std::move(*tls));
        core::log(LogLevel::kInfo, "tls_reloaded", {{"cert", *config_.tls_cert}});
      } else {
        core::log(LogLevel::kError, "tls_reload_failed", {{"detail", tls.error()}});
      }
    }
    wait_for_reload();
  });
}

// SIGTERM and SIGINT drain. The set stays armed until the process ends, so that a second
// signal during the shutdown is noted rather than killing the process midway.
void ServerApp::wait_for_stop() {
  stop_.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    core::log(LogLevel::kInfo, "shutting_down", {{"signal", signal}});
    maintenance_->stop();
    reload_.cancel();
    server_.drain([this] { ioc_.stop(); });
    stop_.async_wait([](const boost::system::error_code&, int) {});
  });
}

int ServerApp::run() {
  wait_for_reload();
  wait_for_stop();
  maintenance_->start();
  server_.start();
  core::log(LogLevel::kInfo, "started",
            {{"listen", listen_url_},
             {"issuer", issuer_},
             {"alg", jose::name(config_.signing_alg)},
             {"threads", config_.threads},
             {"database", store::redact_database_url(config_.database)}});
  std::cout << "listening on " << listen_url_ << std::endl;

  std::vector<std::thread> threads;
  for (unsigned i = 1; i < config_.threads; ++i) threads.emplace_back([this] { ioc_.run(); });
  ioc_.run();
  for (auto& t : threads) t.join();
  // Work still on the pools finishes now, while everything it uses is alive; its completions
  // queue on the stopped io_context and are freed with it.
  credential_pool_.join();
  blocking_pool_.join();
  // From here to exit, a late SIGTERM or SIGINT must not turn a clean stop into a kill.
  std::signal(SIGINT, SIG_IGN);
  std::signal(SIGTERM, SIG_IGN);
  std::signal(SIGHUP, SIG_IGN);
  core::log(LogLevel::kInfo, "stopped");
  return 0;
}

}  // namespace tessera::app
