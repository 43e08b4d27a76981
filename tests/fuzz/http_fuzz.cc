// The HTTP request path: the input is what a client (or a browser) sends on one connection. It goes
// through Beast's request parser with the server's limits (8 KiB of headers, 64 KiB of body), and
// each request that parses goes through Router::dispatch over register_routes() and real services
// (a SQLite store in a temporary directory, argon2id with tiny parameters, an HS256 key), the
// browser sign-in pages (/authorize, /login, /consent, /logout) included,
// then is written out as the server would write it. Pipelined requests are handled in turn.
//
// Properties beyond "no crash": a request that parses never gets a 5xx other than 503, or 501
// for a method the server does not implement (a handler that throws would get 500 from the
// server), and the response, once serialized, parses back as exactly one message with the
// same status and header names (no header injection from reflected input).
//
// State lives for the whole process, as in a server: users, clients and refresh tokens
// accumulate. The clock of the access tokens stands still at 2023-11-14T22:13:20Z, so the
// tokens in the seed corpus stay valid; the throttle's clock moves two hours per input, so a
// lockout from one input does not hide the grants from all the next ones.
#include <stdlib.h>
#include <unistd.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/none.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "admin/client_admin.h"
#include "admin/user_admin.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/random.h"
#include "fuzz_support.h"
#include "http/device.h"
#include "http/handlers.h"
#include "http/message.h"
#include "http/router.h"
#include "http/sign_in.h"
#include "http/templates.h"
#include "http/worker_pool.h"
#include "jose/hmac_key.h"
#include "jose/key_source.h"
#include "oauth/access_token.h"
#include "oauth/authorization.h"
#include "oauth/authorization_codes.h"
#include "oauth/client_authenticator.h"
#include "oauth/discovery.h"
#include "oauth/grants/authorization_code.h"
#include "oauth/grants/client_credentials.h"
#include "oauth/grants/device_code.h"
#include "oauth/grants/password.h"
#include "oauth/grants/refresh_token.h"
#include "oauth/introspection.h"
#include "oauth/refresh_tokens.h"
#include "oauth/revocation.h"
#include "oauth/revocation_list.h"
#include "oauth/sign_in.h"
#include "oauth/throttle.h"
#include "oauth/token_service.h"
#include "oauth/user_authenticator.h"
#include "oauth/userinfo.h"
#include "password/password_hasher.h"
#include "password/secret_cache.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace {

using namespace tessera;
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

// The seed corpus's tokens are signed with this secret (tests/fuzz/make_corpus.py).
constexpr std::string_view kSecret = "tessera-fuzz-hs256-secret-0123456789abcdef";
constexpr std::string_view kIssuer = "https://auth.fuzz.test";
const core::TimePoint kStart = std::chrono::sys_seconds{std::chrono::seconds{1700000000}};
constexpr password::Argon2Params kTinyArgon2{.memory_kib = 64, .iterations = 1, .parallelism = 1};
// The server's limits (http/server.h, ServerLimits).
constexpr std::uint32_t kHeaderLimit = 8 * 1024;
constexpr std::uint64_t kBodyLimit = 64 * 1024;
constexpr int kMaxRequestsPerInput = 8;

template <class T>
T must(T result, std::string_view what) {
  if (!result) fuzz::fail(what);
  return result;
}

// A directory for the database, removed at exit: in /dev/shm when there is one, since the
// store syncs every write.
struct TempDir {
  TempDir() {
    const std::filesystem::path base = std::filesystem::is_directory("/dev/shm")
                                           ? "/dev/shm"
                                           : std::filesystem::temp_directory_path();
    std::string pattern = (base / "tessera-http-fuzz-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) fuzz::fail("mkdtemp failed", pattern);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  std::filesystem::path path;
};

std::unique_ptr<store::Store> open_store(const TempDir& dir, const core::Clock& clock) {
  auto store = store::open_sqlite_store({.path = (dir.path / "tessera.db").string()}, clock);
  if (!store) fuzz::fail("cannot open the store", store.error());
  return std::move(*store);
}

// Every service of `tessera serve` in the seed's HS256 mode, wired as serve_command.cc does.
struct World {
  World() {
    core::set_log_level(core::LogLevel::kError);
    service.add(std::make_unique<oauth::PasswordGrant>(store->users(), hasher, tokens, &refresh,
                                                       &throttle));
    service.add(std::make_unique<oauth::ClientCredentialsGrant>(tokens));
    service.add(std::make_unique<oauth::RefreshTokenGrant>(store->users(), refresh, tokens));
    service.add(std::make_unique<oauth::DeviceCodeGrant>(devices, store->users(), user_tokens));
    must(admin.add("alice", "correct horse", {"a", "b", "finance:read"}), "add alice");
    // A bcrypt hash from passlib (tests/data/passlib_bcrypt_hashes.txt), upgraded on login.
    must(admin.import("bob", "$2b$04$hNketuXRTBMILA7VB4lCueFzvIyNc0Q4YAmZ4PHSlOkBlP.Z8sYBq", {"a"}),
         "import bob");
    must(client_admin.add({.id = "app",
                           .is_public = false,
                           .secret = "app-secret-0123456789",
                           .grants = {"client_credentials", "password", "refresh_token"},
                           .scopes = {"a", "b"},
                           .audience = "api"}),
         "add client app");
    must(client_admin.add({.id = "spa",
                           .is_public = true,
                           .secret = std::nullopt,
                           .grants = {},
                           .scopes = {"a"},
                           .audience = ""}),
         "add client spa");
    must(client_admin.add({.id = "web",
                           .is_public = true,
                           .secret = std::nullopt,
                           .grants = {},
                           .scopes = {"a"},
                           .audience = "",
                           .redirect_uris = {"https://app.fuzz.test/cb"},
                           .post_logout_redirect_uris = {"https://app.fuzz.test/"}}),
         "add client web");
    must(client_admin.add({.id = "tv",
                           .is_public = true,
                           .secret = std::nullopt,
                           .grants = {std::string(oauth::kDeviceCodeGrant)},
                           .scopes = {"a"},
                           .audience = ""}),
         "add client tv");
    service.add(std::make_unique<oauth::AuthorizationCodeGrant>(codes, store->users(), user_tokens,
                                                                store->revocations(), revoked));
    http::register_routes(router, services);
    http::register_sign_in_routes(router, sign_in_services);
    http::register_device_routes(router, device_services);
  }

  TempDir dir;
  core::ManualClock clock{kStart};
  core::ManualClock throttle_clock{kStart};
  core::SystemRandom random;
  std::unique_ptr<store::Store> store = open_store(dir, clock);
  password::PasswordHasher hasher{random, kTinyArgon2};
  jose::StaticKeySource keys{*must(jose::HmacKey::create(kSecret), "HmacKey::create")};
  oauth::RevocationList revoked{store->revocations(), clock};
  oauth::AccessTokens tokens{keys,
                             {.issuer = std::string(kIssuer),
                              .ttl = std::chrono::seconds(15 * 60),
                              .algorithms = {jose::Algorithm::kHS256},
                              .leeway = std::chrono::seconds(10)},
                             clock,
                             random,
                             &revoked};
  oauth::RefreshTokens refresh{store->refresh_tokens(), oauth::RefreshSettings{}, clock, random,
                               revoked};
  password::VerifiedSecretCache secret_cache{clock, random};
  oauth::LoginThrottle throttle{store->throttles(), throttle_clock};
  oauth::ClientAuthenticator clients{store->clients(), hasher, secret_cache, &throttle};
  oauth::TokenService service{clients};
  admin::UserAdmin admin{*store, hasher, random, clock, &refresh};
  admin::ClientAdmin client_admin{*store, hasher, random, clock,
                                  std::chrono::seconds(15 * 60 + 10)};
  oauth::UserInfo userinfo{store->users()};
  oauth::Introspection introspection{tokens, refresh, store->users(), store->clients(),
                                     std::string(kIssuer)};
  oauth::Revocation revocation{tokens, refresh, store->revocations(), revoked, clock};
  oauth::ServerMetadata metadata{
      {.issuer = std::string(kIssuer),
       .grant_types = {"password", "client_credentials", "refresh_token"},
       .token_endpoint_auth_methods = {"client_secret_basic", "client_secret_post", "none"},
       .signing_algorithms = {"HS256"}}};
  oauth::Discovery discovery{metadata, store->users(), store->clients()};
  http::WorkerPool credential_pool{1, 16};
  http::WorkerPool blocking_pool{1, 16};
  oauth::UserTokenIssuer user_tokens{tokens, refresh, nullptr};
  oauth::DeviceAuthorizations devices{*store, std::string(kIssuer), clock, random, {}};
  http::Services services{.token_service = service,
                          .access_tokens = tokens,
                          .userinfo = userinfo,
                          .clients = clients,
                          .introspection = introspection,
                          .revocation = revocation,
                          .keys = keys,
                          .discovery = discovery,
                          .database_answers = [this] { return store->ping().has_value(); },
                          .jwks_max_age = std::chrono::seconds(300),
                          .credential_pool = credential_pool,
                          .blocking_pool = blocking_pool,
                          .devices = &devices};
  // Browser sign-in in the HS256 mode: openid is refused, the rest of the flow works.
  oauth::UserAuthenticator user_authenticator{store->users(), hasher, &throttle};
  oauth::Authorization authorization{store->clients(), std::string(kIssuer), false};
  oauth::AuthorizationCodes codes{store->codes(), clock, random};
  oauth::SignIn sign_in{*store, authorization,          codes, user_authenticator, clock,
                        random, oauth::SignInSettings{}};
  oauth::IdTokens id_tokens{keys, &keys, std::string(kIssuer), clock};
  http::SignInServices sign_in_services{.authorization = authorization,
                                        .sign_in = sign_in,
                                        .id_tokens = id_tokens,
                                        .templates = http::Templates::builtin(),
                                        .clients = store->clients(),
                                        .random = random,
                                        .credential_pool = credential_pool,
                                        .blocking_pool = blocking_pool};
  http::DeviceServices device_services{.devices = devices,
                                       .sign_in = sign_in,
                                       .templates = http::Templates::builtin(),
                                       .random = random,
                                       .issuer = std::string(kIssuer),
                                       .credential_pool = credential_pool,
                                       .blocking_pool = blocking_pool};
  http::Router router;
};

World& world() {
  // Destroyed at exit, so that the database directory goes with it.
  static World w;
  return w;
}

// Router::dispatch run to completion on an io_context, as the server's session does.
http::Response dispatch(const http::Router& router, const http::Request& req) {
  asio::io_context ioc;
  const http::RequestContext context{.remote_address = "192.0.2.1"};
  std::optional<http::Response> response;
  std::exception_ptr failure;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        // A named awaitable: GCC 12 mishandles temporaries with destructors in co_await.
        auto dispatched = router.dispatch(req, context);
        response = co_await std::move(dispatched);
      },
      [&](std::exception_ptr e) { failure = e; });
  ioc.run();
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      // The server would answer 500 (handler_failed).
      fuzz::fail("a handler threw", e.what());
    }
  }
  if (!response) fuzz::fail("dispatch did not complete", std::string(req.target()));
  return std::move(*response);
}

// The response as the server writes it (server.cc, session), serialized and parsed back.
void check_response(const http::Request& req, http::Response res) {
  const unsigned status = res.result_int();
  if (status < 100 || status >= 600) fuzz::fail("a status outside 100-599", std::to_string(status));
  // 501 is the contract's answer to a method the server does not implement ("vPOST").
  if (status >= 500 && status != 503 && status != 501) {
    fuzz::fail("a 5xx for a request that parsed", std::to_string(status) + " " + res.body());
  }
  res.version(req.version());
  res.keep_alive(req.keep_alive());
  res.prepare_payload();
  const bool head = req.method() == bhttp::verb::head;
  if (head) {
    const auto length = res.payload_size();
    res.body().clear();
    if (length) res.content_length(*length);
  }
  std::ostringstream out;
  out << res;
  const std::string wire = out.str();

  bhttp::response_parser<bhttp::string_body> parser;
  parser.eager(true);
  parser.body_limit(boost::none);
  if (head) parser.skip(true);
  boost::beast::error_code ec;
  const std::size_t used = parser.put(asio::buffer(wire), ec);
  if (ec || !parser.is_done() || used != wire.size()) {
    fuzz::fail("the response does not parse back as one message", wire);
  }
  const http::Response& back = parser.get();
  std::vector<std::string> names_out;
  std::vector<std::string> names_back;
  for (const auto& field : res) names_out.emplace_back(field.name_string());
  for (const auto& field : back) names_back.emplace_back(field.name_string());
  if (back.result_int() != status || names_out != names_back) {
    fuzz::fail("the response parses back differently", wire);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  World& w = world();
  w.throttle_clock.advance(std::chrono::hours(2));

  std::string_view rest = fuzz::text(data, size);
  for (int n = 0; n < kMaxRequestsPerInput && !rest.empty(); ++n) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(kBodyLimit);
    parser.eager(true);
    boost::beast::error_code ec;
    while (!parser.is_done()) {
      const std::size_t used = parser.put(asio::buffer(rest.data(), rest.size()), ec);
      rest.remove_prefix(used);
      if (ec == bhttp::error::need_more || (!ec && used == 0)) {
        // All the client sent is in `rest`: it closed the connection here.
        ec = {};
        parser.put_eof(ec);
        if (!ec && !parser.is_done()) ec = bhttp::error::partial_message;
        break;
      }
      if (ec) break;
    }
    // The server answers 400, 413 or 431 and closes the connection.
    if (ec) break;
    http::Request req = parser.release();
    check_response(req, dispatch(w.router, req));
    if (!req.keep_alive()) break;
  }
  return 0;
}
