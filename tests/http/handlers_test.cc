// The endpoints of register_routes() over real services: a temporary SQLite store, argon2id
// with small parameters, an HS256 key and a manual clock. Requests go through
// Router::dispatch, as the server hands them over, without a socket.
#include "http/handlers.h"

#include <gtest/gtest.h>

#include <boost/beast/http/field.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <string>

#include "core/base64.h"
#include "http/http_test_support.h"
#include "jose/error.h"
#include "oauth/oauth_test_support.h"

namespace tessera::http {
namespace {

namespace bhttp = boost::beast::http;
namespace json = boost::json;
using bhttp::field;
using bhttp::verb;

constexpr std::string_view kPassword = "correct horse";
constexpr std::string_view kAliceLogin =
    "grant_type=password&username=alice&password=correct+horse";

std::string bearer_challenge(std::string_view error, std::string_view description) {
  return "Bearer error=\"" + std::string(error) + "\", error_description=\"" +
         std::string(description) + "\"";
}

// register_routes()'s services over a test world, with the worker pools a fixture gives.
struct TestServices {
  TestServices(test::OAuthWorld& world, WorkerPool& credential_pool, WorkerPool& blocking_pool)
      : discovery(metadata, world.store->users(), world.store->clients()),
        services{.token_service = world.service,
                 .access_tokens = world.tokens,
                 .userinfo = world.userinfo,
                 .clients = world.clients,
                 .introspection = world.introspection,
                 .revocation = world.revocation,
                 .keys = world.keys,
                 .discovery = discovery,
                 .database_answers = [&world] { return world.store->ping().has_value(); },
                 .jwks_max_age = std::chrono::seconds(300),
                 .credential_pool = credential_pool,
                 .blocking_pool = blocking_pool} {}

  const oauth::ServerMetadata metadata{{.issuer = std::string(test::kIssuer),
                                        .grant_types = {"password"},
                                        .token_endpoint_auth_methods = {"none"},
                                        .signing_algorithms = {"HS256"}}};
  const oauth::Discovery discovery;
  const Services services;
};

class HandlersTest : public ::testing::Test {
 protected:
  HandlersTest() {
    world_.add_user("alice", kPassword, {"a", "b"});
    register_routes(router_, services_.services);
  }

  Response dispatch(const Request& req) { return test::dispatch(router_, req); }

  Response get(std::string_view target, std::string_view authorization = "") {
    Request req = test::request(verb::get, target);
    if (!authorization.empty()) req.set(field::authorization, authorization);
    return dispatch(req);
  }

  Response post_token(std::string body) {
    return dispatch(test::form_post("/token", std::move(body)));
  }

  // A fresh access token for alice, through POST /token.
  std::string alice_token() {
    const Response res = post_token(std::string(kAliceLogin));
    if (res.result() != Status::ok) throw std::runtime_error("login failed: " + res.body());
    return std::string(test::json_body(res).at("access_token").as_string());
  }

  test::OAuthWorld world_;
  WorkerPool credential_pool_{1, 16};
  WorkerPool blocking_pool_{1, 16};
  const TestServices services_{world_, credential_pool_, blocking_pool_};
  Router router_;
};

TEST_F(HandlersTest, TokenSuccessAnswersTheRfc6749Json) {
  const Response res = post_token(std::string(kAliceLogin));
  ASSERT_EQ(res.result(), Status::ok) << res.body();
  EXPECT_EQ(res[field::content_type], "application/json");
  // RFC 6749 section 5.1.
  EXPECT_EQ(res[field::cache_control], "no-store");
  EXPECT_EQ(res[field::pragma], "no-cache");

  const json::object body = test::json_body(res).as_object();
  // The built-in client may refresh, so a refresh token comes with the access token.
  EXPECT_EQ(body.size(), 5u) << res.body();
  EXPECT_EQ(body.at("refresh_token").as_string().size(), 43u);
  EXPECT_EQ(body.at("token_type"), "bearer");
  EXPECT_EQ(body.at("expires_in"), 900);
  EXPECT_EQ(body.at("scope"), "a b");
  const auto claims = world_.tokens.verify(body.at("access_token").as_string());
  ASSERT_TRUE(claims.has_value()) << jose::describe(claims);
  EXPECT_EQ(claims->at("sub"), "alice");
  EXPECT_EQ(claims->at("client_id"), "default");
}

// The seed's clients: no grant_type, and often a charset parameter on the media type.
TEST_F(HandlersTest, TokenAcceptsTheSeedFormAndACharsetParameter) {
  Request req = test::form_post("/token", "username=alice&password=correct%20horse&scope=a");
  req.set(field::content_type, "Application/X-WWW-Form-Urlencoded; charset=UTF-8");
  const Response res = dispatch(req);
  ASSERT_EQ(res.result(), Status::ok) << res.body();
  EXPECT_EQ(test::json_body(res).at("scope"), "a");
}

TEST_F(HandlersTest, TokenWithAnotherContentTypeIsInvalidRequest) {
  const json::object expected{
      {"error", "invalid_request"},
      {"error_description", "Content-Type must be application/x-www-form-urlencoded"}};
  for (const char* type : {"application/json", "multipart/form-data; boundary=x", "text/plain",
                           "application/x-www-form-urlencodedx", ""}) {
    Request req = test::form_post("/token", std::string(kAliceLogin));
    if (*type == '\0') {
      req.erase(field::content_type);
    } else {
      req.set(field::content_type, type);
    }
    const Response res = dispatch(req);
    EXPECT_EQ(res.result(), Status::bad_request) << type;
    EXPECT_EQ(test::json_body(res), expected) << type << ": " << res.body();
  }
}

TEST_F(HandlersTest, TokenWithABadEscapeIsInvalidRequest) {
  const Response res = post_token("grant_type=password&username=alice&password=100%");
  EXPECT_EQ(res.result(), Status::bad_request);
  EXPECT_EQ(test::json_body(res),
            (json::object{{"error", "invalid_request"},
                          {"error_description", "the form has a malformed percent-escape"}}));
}

TEST_F(HandlersTest, TokenWithTooManyFieldsIsInvalidRequest) {
  std::string body(kAliceLogin);
  for (int i = 0; i < 64; ++i) body += "&x" + std::to_string(i) + "=1";
  const Response res = post_token(body);
  EXPECT_EQ(res.result(), Status::bad_request);
  EXPECT_EQ(test::json_body(res),
            (json::object{{"error", "invalid_request"},
                          {"error_description", "the form has too many fields"}}));
}

TEST_F(HandlersTest, TokenWithoutTheRequiredFieldsIsInvalidRequest) {
  const Response res = post_token("");
  EXPECT_EQ(res.result(), Status::bad_request);
  EXPECT_EQ(test::json_body(res), (json::object{{"error", "invalid_request"},
                                                {"error_description", "grant_type is required"}}));
}

// docs/reference.md, Token endpoint: the same 400 body whether or not the user exists.
TEST_F(HandlersTest, WrongPasswordAndUnknownUserGetTheSameInvalidGrant) {
  const Response wrong = post_token("grant_type=password&username=alice&password=wrong+horse");
  const Response unknown = post_token("grant_type=password&username=bob&password=correct+horse");
  EXPECT_EQ(wrong.result(), Status::bad_request);
  EXPECT_EQ(test::json_body(wrong),
            (json::object{{"error", "invalid_grant"},
                          {"error_description", "invalid username or password"}}));
  EXPECT_EQ(wrong[field::cache_control], "no-store");
  EXPECT_EQ(unknown.result(), wrong.result());
  EXPECT_EQ(unknown.body(), wrong.body());
}

TEST_F(HandlersTest, UnsupportedGrantTypeIs400) {
  const Response res = post_token("grant_type=urn:ietf:params:oauth:grant-type:device_code");
  EXPECT_EQ(res.result(), Status::bad_request);
  EXPECT_EQ(test::json_body(res).at("error"), "unsupported_grant_type");
}

// RFC 6749 section 5.2: invalid_client is 401 with a challenge for the scheme used.
TEST_F(HandlersTest, BasicCredentialsOfAnUnknownClientAre401InvalidClient) {
  Request req = test::form_post("/token", std::string(kAliceLogin));
  req.set(field::authorization, "Basic b3RoZXI6c2VjcmV0");  // other:secret
  const Response res = dispatch(req);
  EXPECT_EQ(res.result(), Status::unauthorized);
  EXPECT_TRUE(res[field::www_authenticate].starts_with("Basic")) << res[field::www_authenticate];
  EXPECT_EQ(test::json_body(res),
            (json::object{{"error", "invalid_client"},
                          {"error_description", "client authentication failed"}}));
}

TEST_F(HandlersTest, UndecodableBasicCredentialsAre401InvalidClient) {
  for (const char* authorization : {"Basic !!!", "Basic ZGVmYXVsdA==" /* "default": no colon */,
                                    "Basic Og==" /* ":" */, "Bearer abc"}) {
    Request req = test::form_post("/token", std::string(kAliceLogin));
    req.set(field::authorization, authorization);
    const Response res = dispatch(req);
    EXPECT_EQ(res.result(), Status::unauthorized) << authorization;
    EXPECT_EQ(test::json_body(res).at("error"), "invalid_client") << authorization;
    EXPECT_TRUE(res[field::www_authenticate].starts_with("Basic")) << authorization;
  }
}

TEST_F(HandlersTest, BasicCredentialsAndAFormClientSecretAreInvalidRequest) {
  Request req = test::form_post("/token", std::string(kAliceLogin) + "&client_secret=x");
  req.set(field::authorization, "Basic ZGVmYXVsdDo=");  // default:
  const Response res = dispatch(req);
  EXPECT_EQ(res.result(), Status::bad_request);
  EXPECT_EQ(test::json_body(res),
            (json::object{{"error", "invalid_request"},
                          {"error_description", "use one client authentication method, not two"}}));
}

TEST_F(HandlersTest, TokenOnlyTakesPost) {
  const Response res = get("/token");
  EXPECT_EQ(res.result(), Status::method_not_allowed);
  EXPECT_EQ(res[field::allow], "POST");
}

// RFC 6750 section 3.1: no credentials, no error code in the challenge.
TEST_F(HandlersTest, UsersMeWithoutAuthorizationIs401WithABareBearerChallenge) {
  const Response res = get("/users/me");
  EXPECT_EQ(res.result(), Status::unauthorized);
  EXPECT_EQ(res[field::www_authenticate], "Bearer");
  EXPECT_TRUE(test::json_body(res).is_object()) << res.body();
}

TEST_F(HandlersTest, UsersMeWithAnotherSchemeIs401WithABareBearerChallenge) {
  const Response res = get("/users/me", "Basic eHh4");
  EXPECT_EQ(res.result(), Status::unauthorized);
  EXPECT_EQ(res[field::www_authenticate], "Bearer");
}

TEST_F(HandlersTest, UsersMeWithAGarbageTokenIs401InvalidToken) {
  const Response res = get("/users/me", "Bearer garbage");
  EXPECT_EQ(res.result(), Status::unauthorized);
  EXPECT_TRUE(res[field::www_authenticate].starts_with("Bearer error=\"invalid_token\""))
      << res[field::www_authenticate];
  EXPECT_EQ(res[field::www_authenticate],
            bearer_challenge("invalid_token", jose::to_string(jose::Error::kMalformed)));
  EXPECT_EQ(test::json_body(res).at("error"), "invalid_token");
}

TEST_F(HandlersTest, UsersMeWithATamperedTokenIs401InvalidToken) {
  std::string token = alice_token();
  // Another subject in the payload, the signature left as it was.
  const std::size_t dot = token.find('.');
  token.replace(dot + 1, token.rfind('.') - dot - 1, core::base64url_encode(R"({"sub":"admin"})"));
  const Response res = get("/users/me", "Bearer " + token);
  EXPECT_EQ(res.result(), Status::unauthorized);
  EXPECT_EQ(res[field::www_authenticate],
            bearer_challenge("invalid_token", jose::to_string(jose::Error::kBadSignature)));
}

TEST_F(HandlersTest, UsersMeWithAValidTokenAnswersItsClaims) {
  const std::string token = alice_token();
  const Response res = get("/users/me", "Bearer " + token);
  ASSERT_EQ(res.result(), Status::ok) << res.body();
  EXPECT_EQ(res[field::cache_control], "no-store");
  const auto claims = world_.tokens.verify(token);
  ASSERT_TRUE(claims.has_value());
  EXPECT_EQ(test::json_body(res), *claims) << res.body();
  EXPECT_EQ(test::json_body(res).at("sub"), "alice");
}

// RFC 7235 section 2.1: the auth-scheme is case-insensitive.
TEST_F(HandlersTest, BearerSchemeIsCaseInsensitive) {
  const std::string token = alice_token();
  EXPECT_EQ(get("/users/me", "bearer " + token).result(), Status::ok);
  EXPECT_EQ(get("/users/me", "BEARER " + token).result(), Status::ok);
}

TEST_F(HandlersTest, UsersMeWithAnExpiredTokenIs401InvalidToken) {
  const std::string token = alice_token();
  world_.clock.advance(test::kTtl + test::kLeeway);
  const Response res = get("/users/me", "Bearer " + token);
  EXPECT_EQ(res.result(), Status::unauthorized);
  EXPECT_EQ(res[field::www_authenticate],
            bearer_challenge("invalid_token", jose::to_string(jose::Error::kExpired)));
}

TEST_F(HandlersTest, RepeatedAuthorizationHeaderIs400InvalidRequest) {
  const std::string token = alice_token();
  Request req = test::request(verb::get, "/users/me");
  req.insert(field::authorization, "Bearer " + token);
  req.insert(field::authorization, "Bearer " + token);
  const Response res = dispatch(req);
  EXPECT_EQ(res.result(), Status::bad_request);
  EXPECT_EQ(res[field::www_authenticate],
            bearer_challenge("invalid_request", "repeated Authorization header"));
}

TEST_F(HandlersTest, UserinfoAnswersGetAndPost) {
  const std::string token = alice_token();
  const json::object expected{{"sub", "alice"}, {"preferred_username", "alice"}, {"scope", "a b"}};
  for (const verb method : {verb::get, verb::post}) {
    Request req = test::request(method, "/userinfo");
    req.set(field::authorization, "Bearer " + token);
    const Response res = dispatch(req);
    ASSERT_EQ(res.result(), Status::ok) << bhttp::to_string(method) << ": " << res.body();
    EXPECT_EQ(test::json_body(res), expected) << res.body();
    EXPECT_EQ(res[field::cache_control], "no-store");
  }
}

TEST_F(HandlersTest, UserinfoWithoutATokenIs401) {
  const Response res = get("/userinfo");
  EXPECT_EQ(res.result(), Status::unauthorized);
  EXPECT_EQ(res[field::www_authenticate], "Bearer");
}

// Deleting or disabling a user revokes their tokens (user_admin.h).
TEST_F(HandlersTest, UserinfoForADeletedUsersTokenIs401InvalidToken) {
  const std::string token = alice_token();
  ASSERT_TRUE(world_.admin.remove("alice").has_value());
  const Response res = get("/userinfo", "Bearer " + token);
  EXPECT_EQ(res.result(), Status::unauthorized);
  EXPECT_EQ(res[field::www_authenticate],
            bearer_challenge("invalid_token", "token has been revoked"));
}

TEST_F(HandlersTest, UserinfoForADisabledUsersTokenIs401InvalidToken) {
  const std::string token = alice_token();
  ASSERT_TRUE(world_.admin.set_disabled("alice", true).has_value());
  const Response res = get("/userinfo", "Bearer " + token);
  EXPECT_EQ(res.result(), Status::unauthorized);
  EXPECT_EQ(res[field::www_authenticate],
            bearer_challenge("invalid_token", "token has been revoked"));
}

// Before the revocation reaches this process (made by another one, not yet synced), the
// user's record alone refuses the token (userinfo.h).
TEST_F(HandlersTest, UserinfoForAUserDisabledElsewhereIs401InvalidToken) {
  const std::string token = alice_token();
  ASSERT_TRUE(world_.store->users().set_user_disabled("alice", true).has_value());
  const Response res = get("/userinfo", "Bearer " + token);
  EXPECT_EQ(res.result(), Status::unauthorized);
  EXPECT_EQ(res[field::www_authenticate],
            bearer_challenge("invalid_token", "the token's user is not active"));
}

TEST_F(HandlersTest, UserinfoRefusesOtherMethods) {
  const Response res = dispatch(test::request(verb::put, "/userinfo"));
  EXPECT_EQ(res.result(), Status::method_not_allowed);
  EXPECT_EQ(res[field::allow], "GET, HEAD, POST");
}

TEST_F(HandlersTest, HealthzIsOkWhileTheDatabaseAnswers) {
  const Response res = get("/healthz");
  EXPECT_EQ(res.result(), Status::ok);
  EXPECT_EQ(res.body(), R"({"status":"ok"})");
}

// Pools that accept no work at all: every endpoint that needs one sheds the request at once.
class SaturatedHandlersTest : public ::testing::Test {
 protected:
  SaturatedHandlersTest() {
    world_.add_user("alice", kPassword, {"a", "b"});
    register_routes(router_, services_.services);
  }

  test::OAuthWorld world_;
  WorkerPool full_pool_{1, 0};
  const TestServices services_{world_, full_pool_, full_pool_};
  Router router_;
};

TEST_F(SaturatedHandlersTest, TokenAnswers503WithRetryAfter) {
  const Response res = test::dispatch(router_, test::form_post("/token", std::string(kAliceLogin)));
  EXPECT_EQ(res.result(), Status::service_unavailable);
  EXPECT_EQ(res[field::retry_after], "1");
  EXPECT_EQ(test::json_body(res),
            (json::object{{"error", "temporarily_unavailable"},
                          {"error_description", "too many requests in progress; retry shortly"}}));
}

TEST_F(SaturatedHandlersTest, UserinfoAnswers503WithRetryAfter) {
  auto issued = world_.tokens.issue(
      {.subject = "alice", .client_id = "default", .audience = "", .scope = {"a"}});
  ASSERT_TRUE(issued.has_value());
  Request req = test::request(verb::get, "/userinfo");
  req.set(field::authorization, "Bearer " + issued->access_token);
  const Response res = test::dispatch(router_, req);
  EXPECT_EQ(res.result(), Status::service_unavailable);
  EXPECT_EQ(res[field::retry_after], "1");
}

// Verification needs no pool: /users/me keeps answering while the pools are full.
TEST_F(SaturatedHandlersTest, UsersMeStillAnswers) {
  auto issued = world_.tokens.issue(
      {.subject = "alice", .client_id = "default", .audience = "", .scope = {"a"}});
  ASSERT_TRUE(issued.has_value());
  Request req = test::request(verb::get, "/users/me");
  req.set(field::authorization, "Bearer " + issued->access_token);
  EXPECT_EQ(test::dispatch(router_, req).result(), Status::ok);
}

TEST_F(SaturatedHandlersTest, HealthzAnswers503) {
  const Response res = test::dispatch(router_, test::request(verb::get, "/healthz"));
  EXPECT_EQ(res.result(), Status::service_unavailable);
  EXPECT_EQ(res.body(), R"({"status":"unavailable"})");
}

// Which pool a request goes to: a credential pool that takes no work (every request sent
// there is shed with 503) beside a working blocking pool. Requests that may hash go to the
// former; a client whose secret is remembered as verified must not (issue 7: the credential
// pool runs at a lower priority and would make it yield to the load it serves).
class PoolChoiceTest : public ::testing::Test {
 protected:
  static constexpr std::string_view kServiceSecret = "service-secret-0123456789";

  PoolChoiceTest() {
    world_.add_user("alice", kPassword, {"a", "b"});
    world_.add_client("svc", kServiceSecret, {"client_credentials"}, {"a"});
    register_routes(router_, services_.services);
  }

  // client_secret_post as svc; `secret` needs no escaping.
  Response post(std::string_view target, std::string body, std::string_view secret) {
    body += "&client_id=svc&client_secret=" + std::string(secret);
    return test::dispatch(router_, test::form_post(target, std::move(body)));
  }

  // The secret verified once, as a call on the credential pool would have done.
  void verify_service_secret() {
    const oauth::ClientCredentials basic{.method = oauth::ClientCredentials::Method::kSecretBasic,
                                         .id = "svc",
                                         .secret = std::string(kServiceSecret)};
    const auto presented = world_.clients.read(basic, oauth::Parameters());
    ASSERT_TRUE(presented.has_value());
    ASSERT_TRUE(world_.clients.authenticate(*presented).has_value());
  }

  test::OAuthWorld world_;
  WorkerPool full_pool_{1, 0};
  WorkerPool blocking_pool_{1, 16};
  const TestServices services_{world_, full_pool_, blocking_pool_};
  Router router_;
};

TEST_F(PoolChoiceTest, PasswordGrantGoesToTheCredentialPool) {
  const Response res = test::dispatch(router_, test::form_post("/token", std::string(kAliceLogin)));
  EXPECT_EQ(res.result(), Status::service_unavailable) << res.body();
}

TEST_F(PoolChoiceTest, AClientSecretNotYetVerifiedGoesToTheCredentialPool) {
  for (const std::string_view target : {"/token", "/introspect", "/revoke"}) {
    const Response res = post(target, "grant_type=client_credentials&token=x", kServiceSecret);
    EXPECT_EQ(res.result(), Status::service_unavailable) << target << ": " << res.body();
  }
}

TEST_F(PoolChoiceTest, ARememberedClientSecretGoesToTheBlockingPool) {
  verify_service_secret();
  Response res = post("/token", "grant_type=client_credentials", kServiceSecret);
  ASSERT_EQ(res.result(), Status::ok) << res.body();
  const std::string token(test::json_body(res).at("access_token").as_string());
  res = post("/introspect", "token=" + token, kServiceSecret);
  ASSERT_EQ(res.result(), Status::ok) << res.body();
  EXPECT_EQ(test::json_body(res).at("active"), true);
  res = post("/revoke", "token=" + token, kServiceSecret);
  EXPECT_EQ(res.result(), Status::ok) << res.body();
}

// Wrong secrets are never remembered: a guesser's every try is sent to be hashed where
// hashing yields to the I/O threads.
TEST_F(PoolChoiceTest, AWrongSecretGoesToTheCredentialPoolEvenOnceTheRightOneIsRemembered) {
  verify_service_secret();
  const Response res = post("/token", "grant_type=client_credentials", "not-the-secret");
  EXPECT_EQ(res.result(), Status::service_unavailable) << res.body();
}

// The pool is chosen from memory; the store still decides. The client is deleted and added
// again with another secret after the old one was remembered: the old one is refused at once.
TEST_F(PoolChoiceTest, ARememberedSecretOfAReplacedClientIsRefused) {
  verify_service_secret();
  ASSERT_TRUE(world_.client_admin.remove("svc").has_value());
  world_.add_client("svc", "another-secret-0123456789", {"client_credentials"}, {"a"});
  const Response res = post("/token", "grant_type=client_credentials", kServiceSecret);
  EXPECT_EQ(res.result(), Status::unauthorized) << res.body();
  EXPECT_EQ(test::json_body(res).at("error"), "invalid_client");
}

}  // namespace
}  // namespace tessera::http
