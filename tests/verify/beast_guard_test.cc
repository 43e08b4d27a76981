// tessera::beast: authorize() on requests built by hand, bearer_token() and bearer_error().
// The Verifier behind the guard reads its keys from a JWKS server inside the test.
#include <gtest/gtest.h>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tessera/beast.h"
#include "verify/verify_test_support.h"

namespace tessera {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using test::Algorithm;
using test::Succeeds;

constexpr std::string_view kAudience = "finance-api";
using Request = http::request<http::string_body>;

Request request(std::optional<std::string> authorization, unsigned version = 11) {
  Request req{http::verb::get, "/dart/finance/business/1234567890", version};
  req.set(http::field::host, "finance.example.com");
  if (authorization) req.set(http::field::authorization, *authorization);
  return req;
}

// One JWKS server and one Verifier for the whole suite: the guard is what is under test.
class Authorize : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new test::JwksServer;
    server_->set_jwks(test::jwks({&test::key_for(Algorithm::kEdDSA)}));
    auto made = Verifier::create({.issuer = server_->base_url(),
                                  .audience = std::string(kAudience),
                                  .jwks_uri = server_->jwks_url()});
    ASSERT_TRUE(test::Accepted(made));
    verifier_ = made->release();
    ASSERT_TRUE(verifier_->wait_for_keys(test::kPatience));
  }
  static void TearDownTestSuite() {
    delete verifier_;
    delete server_;
  }

  static json::object claims() {
    return test::access_claims(server_->base_url(), kAudience, test::unix_now());
  }
  static std::string token(const json::object& payload) {
    return test::sign(test::key_for(Algorithm::kEdDSA), payload);
  }
  static std::string bearer(const json::object& payload) { return "Bearer " + token(payload); }

  static test::JwksServer* server_;
  static Verifier* verifier_;
};

test::JwksServer* Authorize::server_ = nullptr;
Verifier* Authorize::verifier_ = nullptr;

// The parts of a refusal every answer shares.
void ExpectRefusal(const beast::Response& res, http::status status,
                   std::string_view www_authenticate, std::string_view body_json) {
  EXPECT_EQ(res.result(), status);
  EXPECT_EQ(res[http::field::www_authenticate], www_authenticate);
  EXPECT_EQ(res[http::field::content_type], "application/json");
  EXPECT_EQ(res[http::field::cache_control], "no-store");
  EXPECT_EQ(res[http::field::content_length], std::to_string(res.body().size()));
  EXPECT_EQ(json::parse(res.body()), json::parse(body_json)) << res.body();
}

TEST_F(Authorize, NoAuthorizationHeaderIsA401WithTheBareChallenge) {
  const auto result = beast::authorize(*verifier_, request(std::nullopt), "finance:read");
  ASSERT_FALSE(result.has_value());
  ExpectRefusal(result.error(), http::status::unauthorized, "Bearer",
                R"({"error":"unauthorized","error_description":"a bearer token is required"})");
  EXPECT_EQ(result.error().version(), 11u);
}

TEST_F(Authorize, AnotherSchemeIsA401WithTheBareChallenge) {
  for (const char* header :
       {"Basic YWxpY2U6c2VjcmV0", "Bearer", "Bearer   ", "", "Bearertoken", "Token abc"}) {
    const auto result = beast::authorize(*verifier_, request(header), "finance:read");
    ASSERT_FALSE(result.has_value()) << header;
    ExpectRefusal(result.error(), http::status::unauthorized, "Bearer",
                  R"({"error":"unauthorized","error_description":"a bearer token is required"})");
  }
}

TEST_F(Authorize, ATokenThatDoesNotVerifyIsA401InvalidTokenWithTheReason) {
  const auto result = beast::authorize(*verifier_, request("Bearer abc.def.ghi"), "finance:read");
  ASSERT_FALSE(result.has_value());
  ExpectRefusal(result.error(), http::status::unauthorized,
                R"(Bearer error="invalid_token", error_description="the token is malformed")",
                R"({"error":"invalid_token","error_description":"the token is malformed"})");
}

TEST_F(Authorize, AnExpiredTokenIsA401InvalidTokenThatSaysSo) {
  json::object payload = claims();
  payload["iat"] = test::unix_now() - 3600;
  payload["nbf"] = test::unix_now() - 3600;
  payload["exp"] = test::unix_now() - 600;
  const auto result = beast::authorize(*verifier_, request(bearer(payload)), "finance:read");
  ASSERT_FALSE(result.has_value());
  ExpectRefusal(result.error(), http::status::unauthorized,
                R"(Bearer error="invalid_token", error_description="the token has expired")",
                R"({"error":"invalid_token","error_description":"the token has expired"})");
}

TEST_F(Authorize, ATokenForAnotherAudienceIsA401InvalidToken) {
  json::object payload = claims();
  payload["aud"] = "payroll-api";
  const auto result = beast::authorize(*verifier_, request(bearer(payload)), "finance:read");
  ASSERT_FALSE(result.has_value());
  ExpectRefusal(
      result.error(), http::status::unauthorized,
      R"(Bearer error="invalid_token", error_description="the token is not meant for this service")",
      R"({"error":"invalid_token","error_description":"the token is not meant for this service"})");
}

TEST_F(Authorize, AValidTokenWithoutTheScopeIsA403InsufficientScopeNamingIt) {
  json::object payload = claims();
  payload["scope"] = "openid finance:write";
  const auto result = beast::authorize(*verifier_, request(bearer(payload)), "finance:read");
  ASSERT_FALSE(result.has_value());
  ExpectRefusal(result.error(), http::status::forbidden,
                R"(Bearer error="insufficient_scope", )"
                R"(error_description="the token lacks the scope this needs", scope="finance:read")",
                R"({"error":"insufficient_scope",)"
                R"("error_description":"the token lacks the scope this needs"})");
}

TEST_F(Authorize, AValidTokenWithTheScopeGivesItsClaims) {
  const auto result = beast::authorize(*verifier_, request(bearer(claims())), "finance:read");
  ASSERT_TRUE(result.has_value()) << result.error().body();
  EXPECT_EQ(result->subject(), "alice");
  EXPECT_EQ(result->client_id(), "finance-app");
  EXPECT_TRUE(result->has_scope("finance:read"));
}

TEST_F(Authorize, AnySchemeCaseAndSurroundingSpacesAreAccepted) {
  const std::string t = token(claims());
  for (const std::string& header : {"bearer " + t, "BEARER " + t, "bEaReR   " + t + "  "}) {
    const auto result = beast::authorize(*verifier_, request(header), "finance:read");
    EXPECT_TRUE(result.has_value()) << header;
  }
}

TEST_F(Authorize, WithoutARequiredScopeAnyValidTokenIsAccepted) {
  json::object payload = claims();
  payload.erase("scope");
  const auto result = beast::authorize(*verifier_, request(bearer(payload)));
  ASSERT_TRUE(result.has_value()) << result.error().body();
  EXPECT_TRUE(result->scopes().empty());
}

TEST_F(Authorize, AnswersInTheRequestsHttpVersion) {
  const auto result = beast::authorize(*verifier_, request(std::nullopt, 10), "finance:read");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().version(), 10u);
}

// --- bearer_token ----------------------------------------------------------------------------

TEST(BearerToken, IsTheCredentialsAfterTheSchemeInAnyCase) {
  EXPECT_EQ(beast::bearer_token("Bearer abc.def.ghi"), "abc.def.ghi");
  EXPECT_EQ(beast::bearer_token("bearer abc"), "abc");
  EXPECT_EQ(beast::bearer_token("BEARER abc"), "abc");
  EXPECT_EQ(beast::bearer_token("BeArEr abc"), "abc");
}

TEST(BearerToken, TrimsSpacesAroundTheCredentials) {
  EXPECT_EQ(beast::bearer_token("Bearer    abc"), "abc");
  EXPECT_EQ(beast::bearer_token("Bearer abc   "), "abc");
}

TEST(BearerToken, IsNothingWithoutCredentialsOrForAnotherScheme) {
  for (const std::string_view header :
       {"", "Bearer", "Bearer ", "Bearer      ", "Bearerabc", "Basic YWxpY2U6c2VjcmV0",
        "Bearer\tabc", " Bearer abc", "Bear abc", "Bearer-abc"}) {
    EXPECT_EQ(beast::bearer_token(header), std::nullopt) << "'" << header << "'";
  }
}

// --- bearer_error -----------------------------------------------------------------------------

TEST(BearerError, WithoutAnErrorIsTheBareChallenge) {
  const beast::Response res =
      beast::bearer_error(11, http::status::unauthorized, "", "a bearer token is required");
  ExpectRefusal(res, http::status::unauthorized, "Bearer",
                R"({"error":"unauthorized","error_description":"a bearer token is required"})");
}

TEST(BearerError, NamesTheScopeOnlyWhenGiven) {
  const beast::Response res =
      beast::bearer_error(11, http::status::unauthorized, "invalid_token", "the token has expired");
  EXPECT_EQ(res[http::field::www_authenticate],
            R"(Bearer error="invalid_token", error_description="the token has expired")");
  const beast::Response scoped =
      beast::bearer_error(11, http::status::forbidden, "insufficient_scope", "more", "a b");
  EXPECT_EQ(scoped[http::field::www_authenticate],
            R"(Bearer error="insufficient_scope", error_description="more", scope="a b")");
}

}  // namespace
}  // namespace tessera

namespace tessera {
namespace {

// RFC 9728 section 5.1: with GuardOptions::resource_metadata every 401 names the document, and
// a 403 does not (the client has a token; more metadata will not help it).
TEST_F(Authorize, EveryRefusalWithA401NamesTheResourceMetadata) {
  const beast::GuardOptions options{.resource_metadata =
                                        "https://finance.example.com/.well-known/"
                                        "oauth-protected-resource"};
  const auto bare = beast::authorize(*verifier_, request(std::nullopt), "finance:read", options);
  ASSERT_FALSE(bare.has_value());
  EXPECT_EQ(bare.error()[http::field::www_authenticate],
            R"(Bearer resource_metadata="https://finance.example.com/.well-known/)"
            R"(oauth-protected-resource")");
  const auto bad = beast::authorize(*verifier_, request("Bearer a.b.c"), "finance:read", options);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error()[http::field::www_authenticate],
            R"(Bearer error="invalid_token", error_description="the token is malformed", )"
            R"(resource_metadata="https://finance.example.com/.well-known/)"
            R"(oauth-protected-resource")");
  json::object payload = claims();
  payload["scope"] = "finance:write";
  const auto scope =
      beast::authorize(*verifier_, request(bearer(payload)), "finance:read", options);
  ASSERT_FALSE(scope.has_value());
  EXPECT_EQ(scope.error()[http::field::www_authenticate].find("resource_metadata"),
            std::string_view::npos);
}

TEST(ResourceAudience, ATokenForTheResourceUrlIsAsGoodAsOneForTheAudience) {
  test::JwksServer server;
  server.set_jwks(test::jwks({&test::key_for(Algorithm::kEdDSA)}));
  auto made = Verifier::create({.issuer = server.base_url(),
                                .audience = std::string(kAudience),
                                .resource = "https://finance.example.com",
                                .jwks_uri = server.jwks_url()});
  ASSERT_TRUE(test::Accepted(made));
  ASSERT_TRUE((*made)->wait_for_keys(test::kPatience));
  for (const json::value& aud :
       {json::value("finance-api"), json::value("https://finance.example.com"),
        json::value(json::array{"x", "https://finance.example.com"})}) {
    json::object payload = test::access_claims(server.base_url(), kAudience, test::unix_now());
    payload["aud"] = aud;
    EXPECT_TRUE((*made)->verify(test::sign(test::key_for(Algorithm::kEdDSA), payload)).has_value())
        << json::serialize(aud);
  }
  for (const json::value& aud :
       {json::value("https://finance.example.com/"), json::value("https://other.example.com"),
        json::value(json::array{"x", "y"})}) {
    json::object payload = test::access_claims(server.base_url(), kAudience, test::unix_now());
    payload["aud"] = aud;
    auto refused = (*made)->verify(test::sign(test::key_for(Algorithm::kEdDSA), payload));
    ASSERT_FALSE(refused.has_value()) << json::serialize(aud);
    EXPECT_EQ(refused.error(), VerifyError::kWrongAudience);
  }
}

TEST(ResourceMetadata, TheDocumentAndItsUrl) {
  const std::string doc = resource_metadata_json({.resource = "https://finance.example.com",
                                                  .authorization_servers = {"https://auth.example"},
                                                  .scopes_supported = {"finance:read"},
                                                  .dpop = false});
  EXPECT_EQ(json::parse(doc), json::parse(R"({"resource":"https://finance.example.com",
      "authorization_servers":["https://auth.example"],"scopes_supported":["finance:read"],
      "bearer_methods_supported":["header"]})"));
  EXPECT_EQ(resource_metadata_url("https://finance.example.com"),
            "https://finance.example.com/.well-known/oauth-protected-resource");
  // Section 3.1: the well-known path goes between the host and the resource's path.
  EXPECT_EQ(resource_metadata_url("https://api.example.com:8443/finance/"),
            "https://api.example.com:8443/.well-known/oauth-protected-resource/finance");
}

}  // namespace
}  // namespace tessera
