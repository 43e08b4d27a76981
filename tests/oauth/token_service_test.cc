// The token endpoint's pipeline (token_service.h): repeated parameters, then the grant type,
// then client authentication, then whether the client may use the grant, then the grant.
// Each step is checked with the real password grant, and the order of the steps with
// requests that fail more than one of them.
#include "oauth/token_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "core/metrics.h"
#include "oauth/oauth_test_support.h"

namespace tessera::oauth {
namespace {

using test::form;
using ::testing::ElementsAre;

constexpr std::string_view kPassword = "correct horse";
constexpr std::string_view kClientAuthFailed = "client authentication failed";
constexpr std::string_view kCountingGrant = "urn:tessera:test:counting";

// A grant the built-in client may not use. It only counts its calls: the service must turn
// the request away before reaching it.
class CountingGrant final : public Grant {
 public:
  explicit CountingGrant(std::atomic<int>& calls) : calls_(calls) {}
  std::string_view grant_type() const override { return kCountingGrant; }
  std::expected<TokenResponse, OAuthError> exchange(const TokenRequest&,
                                                    const Client&) const override {
    ++calls_;
    return TokenResponse{};
  }

 private:
  std::atomic<int>& calls_;
};

class TokenServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    world_.add_user("alice", kPassword, {"a", "b"});
    world_.service.add(std::make_unique<CountingGrant>(other_grant_calls_));
  }

  // alice's password grant plus `extra` pairs.
  TokenRequest alice_with(std::initializer_list<std::pair<std::string, std::string>> extra) {
    std::vector<std::pair<std::string, std::string>> pairs = {
        {"grant_type", "password"}, {"username", "alice"}, {"password", std::string(kPassword)}};
    pairs.insert(pairs.end(), extra.begin(), extra.end());
    return TokenRequest{
        .params = Parameters(std::move(pairs)), .credentials = {}, .remote_address = ""};
  }

  static ClientCredentials basic(std::string id, std::string secret) {
    return {.method = ClientCredentials::Method::kSecretBasic,
            .id = std::move(id),
            .secret = std::move(secret)};
  }

  std::atomic<int> other_grant_calls_{0};
  test::OAuthWorld world_;
};

TEST_F(TokenServiceTest, ListsGrantTypesInRegistrationOrder) {
  EXPECT_THAT(world_.service.grant_types(),
              ElementsAre("password", "client_credentials", "refresh_token", kCountingGrant));
}

// RFC 6749 section 3.2: request parameters must not be included more than once.
TEST_F(TokenServiceTest, RepeatedParameterIsInvalidRequest) {
  EXPECT_TRUE(fails_with(world_.service.handle(alice_with({{"username", "bob"}})),
                         ErrorCode::kInvalidRequest, "username is repeated"));
  EXPECT_TRUE(fails_with(world_.service.handle(alice_with({{"scope", "a"}, {"scope", "b"}})),
                         ErrorCode::kInvalidRequest, "scope is repeated"));
}

// RFC 6749 section 3.1: an empty value counts as omitted, so it repeats nothing.
TEST_F(TokenServiceTest, EmptyRepetitionIsNotARepetition) {
  const auto response = world_.service.handle(alice_with({{"username", ""}, {"scope", ""}}));
  EXPECT_TRUE(response.has_value()) << describe(response);
}

TEST_F(TokenServiceTest, RepetitionIsCheckedBeforeTheGrantType) {
  const auto response =
      world_.service.handle(form({{"grant_type", "magic"}, {"grant_type", "password"}}));
  EXPECT_TRUE(fails_with(response, ErrorCode::kInvalidRequest, "grant_type is repeated"));
}

TEST_F(TokenServiceTest, UnknownGrantTypeIsUnsupportedGrantType) {
  const auto response = world_.service.handle(
      form({{"grant_type", "authorization_code"}, {"code", "xyz"}, {"redirect_uri", "https://x"}}));
  EXPECT_TRUE(
      fails_with(response, ErrorCode::kUnsupportedGrantType, "this grant_type is not supported"));
}

// Grant type names are matched exactly (RFC 6749 section 4.3.2 spells it "password").
TEST_F(TokenServiceTest, GrantTypeIsCaseSensitive) {
  const auto response = world_.service.handle(form(
      {{"grant_type", "Password"}, {"username", "alice"}, {"password", std::string(kPassword)}}));
  EXPECT_TRUE(
      fails_with(response, ErrorCode::kUnsupportedGrantType, "this grant_type is not supported"));
}

TEST_F(TokenServiceTest, MissingGrantTypeWithoutCredentialsIsInvalidRequest) {
  EXPECT_TRUE(fails_with(world_.service.handle(form({})), ErrorCode::kInvalidRequest,
                         "grant_type is required"));
  EXPECT_TRUE(fails_with(world_.service.handle(form({{"username", "alice"}})),
                         ErrorCode::kInvalidRequest, "grant_type is required"));
  EXPECT_TRUE(fails_with(world_.service.handle(form({{"password", std::string(kPassword)}})),
                         ErrorCode::kInvalidRequest, "grant_type is required"));
}

TEST_F(TokenServiceTest, ClientIdDefaultIsAccepted) {
  const auto response = world_.service.handle(alice_with({{"client_id", "default"}}));
  ASSERT_TRUE(response.has_value()) << describe(response);
  const auto claims = world_.tokens.verify(response->access_token);
  ASSERT_TRUE(claims.has_value()) << jose::describe(claims);
  EXPECT_EQ(claims->at("client_id"), "default");
}

TEST_F(TokenServiceTest, UnknownClientIdIsInvalidClient) {
  EXPECT_TRUE(fails_with(world_.service.handle(alice_with({{"client_id", "other"}})),
                         ErrorCode::kInvalidClient, kClientAuthFailed));
}

// The built-in client is public: one that presents a secret is not who it claims to be.
TEST_F(TokenServiceTest, SecretForThePublicDefaultClientIsInvalidClient) {
  EXPECT_TRUE(fails_with(
      world_.service.handle(alice_with({{"client_id", "default"}, {"client_secret", "s3cret"}})),
      ErrorCode::kInvalidClient, kClientAuthFailed));
}

TEST_F(TokenServiceTest, SecretWithoutClientIdIsInvalidClient) {
  EXPECT_TRUE(fails_with(world_.service.handle(alice_with({{"client_secret", "s3cret"}})),
                         ErrorCode::kInvalidClient, kClientAuthFailed));
}

// The built-in client is public: a secret for it is a false claim.
TEST_F(TokenServiceTest, BasicCredentialsWithASecretForTheDefaultClientAreInvalidClient) {
  TokenRequest request = alice_with({});
  request.credentials = basic("default", "anything");
  EXPECT_TRUE(
      fails_with(world_.service.handle(request), ErrorCode::kInvalidClient, kClientAuthFailed));
}

// oauthlib sends public clients as Basic with an empty password: that is no secret at all.
TEST_F(TokenServiceTest, BasicWithAnEmptyPasswordAuthenticatesAPublicClient) {
  TokenRequest request = alice_with({});
  request.credentials = basic("default", "");
  const auto response = world_.service.handle(request);
  ASSERT_TRUE(response.has_value()) << describe(response);
}

// Each refusal of a presented secret costs one hash, whether the client is unknown, public
// or confidential with another secret: the time taken does not tell which ids exist.
TEST_F(TokenServiceTest, EveryRefusedSecretCostsOneHash) {
  world_.add_client("billing", "the-right-secret", {"client_credentials"});
  world_.add_client("spa", "", {"refresh_token"});
  const core::Counter& hashes = core::metrics().counter(
      "tessera_password_verifications_total",
      "Password and client-secret hashes checked, those spent on unknown names included");
  for (const char* id : {"nobody", "default", "spa", "billing"}) {
    TokenRequest request = form({{"grant_type", "client_credentials"}});
    request.credentials = basic(id, "a-wrong-secret");
    const auto before = hashes.value();
    EXPECT_TRUE(
        fails_with(world_.service.handle(request), ErrorCode::kInvalidClient, kClientAuthFailed))
        << id;
    EXPECT_EQ(hashes.value() - before, 1u) << id;
  }
}

TEST_F(TokenServiceTest, BasicCredentialsForAnUnknownClientAreInvalidClient) {
  TokenRequest request = alice_with({});
  request.credentials = basic("other", "s3cret");
  EXPECT_TRUE(
      fails_with(world_.service.handle(request), ErrorCode::kInvalidClient, kClientAuthFailed));
}

// RFC 6749 section 2.3: one authentication method per request.
TEST_F(TokenServiceTest, BasicAndAFormClientSecretTogetherIsInvalidRequest) {
  TokenRequest request = alice_with({{"client_secret", "s3cret-s3cret-s3cret"}});
  request.credentials = basic("svc", "s3cret-s3cret-s3cret");
  EXPECT_TRUE(fails_with(world_.service.handle(request), ErrorCode::kInvalidRequest,
                         "use one client authentication method, not two"));
}

// A form client_id beside Basic credentials is allowed when it names the same client, and
// refused when it names another.
TEST_F(TokenServiceTest, BasicAndADifferentFormClientIdIsInvalidRequest) {
  TokenRequest request = alice_with({{"client_id", "other"}});
  request.credentials = basic("default", "");
  EXPECT_TRUE(fails_with(world_.service.handle(request), ErrorCode::kInvalidRequest,
                         "client_id does not match the Authorization header"));
}

TEST_F(TokenServiceTest, BasicAndFormClientSecretTogetherIsInvalidRequest) {
  TokenRequest request = alice_with({{"client_secret", "s3cret"}});
  request.credentials = basic("other", "s3cret");
  EXPECT_TRUE(fails_with(world_.service.handle(request), ErrorCode::kInvalidRequest,
                         "use one client authentication method, not two"));
}

TEST_F(TokenServiceTest, UnsupportedGrantTypeIsCheckedBeforeTheClient) {
  const auto response =
      world_.service.handle(form({{"grant_type", "magic"}, {"client_id", "other"}}));
  EXPECT_TRUE(
      fails_with(response, ErrorCode::kUnsupportedGrantType, "this grant_type is not supported"));
}

// The default client has the password and refresh_token grants only (docs/reference.md, Commands).
TEST_F(TokenServiceTest, GrantTheClientMayNotUseIsUnauthorizedClient) {
  for (const std::string_view grant : {std::string_view("client_credentials"), kCountingGrant}) {
    const auto response = world_.service.handle(form({{"grant_type", std::string(grant)}}));
    EXPECT_TRUE(fails_with(response, ErrorCode::kUnauthorizedClient,
                           "the client may not use this grant_type"))
        << grant;
  }
  const auto response = world_.service.handle(form({{"grant_type", std::string(kCountingGrant)}}));
  EXPECT_TRUE(fails_with(response, ErrorCode::kUnauthorizedClient,
                         "the client may not use this grant_type"));
  EXPECT_EQ(other_grant_calls_.load(), 0);
}

TEST_F(TokenServiceTest, ClientIsAuthenticatedBeforeItsGrantsAreChecked) {
  const auto response = world_.service.handle(
      form({{"grant_type", std::string(kCountingGrant)}, {"client_id", "other"}}));
  EXPECT_TRUE(fails_with(response, ErrorCode::kInvalidClient, kClientAuthFailed));
  EXPECT_EQ(other_grant_calls_.load(), 0);
}

// A bad client gets invalid_client even with the right password: the user's credentials are
// not looked at for a client that failed to authenticate.
TEST_F(TokenServiceTest, ClientIsAuthenticatedBeforeThePasswordIsChecked) {
  const auto response = world_.service.handle(form({{"grant_type", "password"},
                                                    {"username", "alice"},
                                                    {"password", "wrong"},
                                                    {"client_id", "other"}}));
  EXPECT_TRUE(fails_with(response, ErrorCode::kInvalidClient, kClientAuthFailed));
}

// plan() answers from memory what needs neither the store nor a hash, on the I/O thread.
TEST_F(TokenServiceTest, PlanRefusesWhatNeedsNoStoreNorHash) {
  EXPECT_TRUE(
      fails_with(world_.service.plan(form({{"grant_type", "password"}, {"grant_type", "x"}})),
                 ErrorCode::kInvalidRequest, "grant_type is repeated"));
  EXPECT_TRUE(fails_with(world_.service.plan(form({})), ErrorCode::kInvalidRequest,
                         "grant_type is required"));
  EXPECT_TRUE(fails_with(world_.service.plan(form({{"grant_type", "urn:unknown"}})),
                         ErrorCode::kUnsupportedGrantType, "this grant_type is not supported"));
  TokenRequest two_methods = form({{"grant_type", "client_credentials"}, {"client_secret", "s"}});
  two_methods.credentials = basic("svc", "s");
  EXPECT_TRUE(fails_with(world_.service.plan(two_methods), ErrorCode::kInvalidRequest,
                         "use one client authentication method, not two"));
}

TEST_F(TokenServiceTest, APlanNamesTheGrantAndTheClientForTheExchange) {
  const TokenRequest request = alice_with({{"client_id", "default"}});
  const auto plan = world_.service.plan(request);
  ASSERT_TRUE(plan.has_value()) << describe(plan);
  EXPECT_EQ(plan->grant_type, "password");
  EXPECT_EQ(plan->client.credentials.id, "default");
  EXPECT_TRUE(world_.service.exchange(request, *plan).has_value());
}

// TokenPlan::may_hash: the HTTP layer's hint for choosing the pool. It must say "may hash"
// whenever exchange() might hash, and exchange() must stay right whatever it said. A request
// plan() refuses needs no pool at all.
class TokenServiceMayHashTest : public TokenServiceTest {
 protected:
  static constexpr std::string_view kServiceSecret = "service-secret-0123456789";

  bool may_hash(const TokenRequest& request) const {
    const auto plan = world_.service.plan(request);
    return plan.has_value() && plan->may_hash;
  }

  void SetUp() override {
    TokenServiceTest::SetUp();
    world_.add_client("svc", kServiceSecret, {"client_credentials"}, {"a"});
  }

  static TokenRequest service_request(std::string_view secret) {
    TokenRequest request = form({{"grant_type", "client_credentials"}});
    request.credentials = basic("svc", std::string(secret));
    return request;
  }
};

TEST_F(TokenServiceMayHashTest, ThePasswordGrantAlwaysMayHash) {
  EXPECT_TRUE(may_hash(alice_with({})));
  EXPECT_TRUE(may_hash(form({{"username", "alice"}, {"password", "x"}})));
  ASSERT_TRUE(world_.service.handle(alice_with({})).has_value());
  EXPECT_TRUE(may_hash(alice_with({})));
}

TEST_F(TokenServiceMayHashTest, RequestsWithoutASecretToCheckNeedNoHash) {
  EXPECT_FALSE(may_hash(
      form({{"grant_type", "refresh_token"}, {"refresh_token", "x"}, {"client_id", "default"}})));
  EXPECT_FALSE(may_hash(form({{"grant_type", "urn:unknown"}})));
  EXPECT_FALSE(may_hash(form({})));
}

// A refused secret costs a hash like a checked one (client_authenticator.h): the hint says so.
TEST_F(TokenServiceMayHashTest, ASecretForAPublicOrUnknownClientMayHash) {
  for (const char* id : {"default", "nobody"}) {
    EXPECT_TRUE(may_hash(
        form({{"grant_type", "client_credentials"}, {"client_id", id}, {"client_secret", "x"}})))
        << id;
  }
}

TEST_F(TokenServiceMayHashTest, ASecretNeedsNoHashOnlyOnceItVerified) {
  EXPECT_TRUE(may_hash(service_request(kServiceSecret)));
  ASSERT_TRUE(world_.service.handle(service_request(kServiceSecret)).has_value());
  EXPECT_FALSE(may_hash(service_request(kServiceSecret)));
  // The same secret sent in the form is the same pair.
  EXPECT_FALSE(may_hash(form({{"grant_type", "client_credentials"},
                              {"client_id", "svc"},
                              {"client_secret", std::string(kServiceSecret)}})));
  // Only successes are remembered: a wrong secret always hashes.
  const TokenRequest wrong = service_request("service-secret-0123456788");
  EXPECT_TRUE(may_hash(wrong));
  EXPECT_TRUE(
      fails_with(world_.service.handle(wrong), ErrorCode::kInvalidClient, kClientAuthFailed));
  EXPECT_TRUE(may_hash(wrong));
}

TEST_F(TokenServiceMayHashTest, ARememberedSecretAboutToRunOutMayHash) {
  ASSERT_TRUE(world_.service.handle(service_request(kServiceSecret)).has_value());
  world_.clock.advance(std::chrono::seconds(60) - ClientAuthenticator::kHashFreeMargin);
  EXPECT_TRUE(may_hash(service_request(kServiceSecret)));
  ASSERT_TRUE(world_.service.handle(service_request(kServiceSecret)).has_value());
  world_.clock.advance(ClientAuthenticator::kHashFreeMargin);
  // Run out: hashed again, and remembered again.
  ASSERT_TRUE(world_.service.handle(service_request(kServiceSecret)).has_value());
  EXPECT_FALSE(may_hash(service_request(kServiceSecret)));
}

// The hint is taken before the store is read; the check against the stored hash still runs,
// so a client deleted and added again with another secret refuses the old one at once.
TEST_F(TokenServiceMayHashTest, AReplacedSecretIsRefusedThoughTheHintSaidNoHash) {
  ASSERT_TRUE(world_.service.handle(service_request(kServiceSecret)).has_value());
  ASSERT_TRUE(world_.client_admin.remove("svc").has_value());
  world_.add_client("svc", "another-secret-0123456789", {"client_credentials"}, {"a"});
  EXPECT_FALSE(may_hash(service_request(kServiceSecret)));
  EXPECT_TRUE(fails_with(world_.service.handle(service_request(kServiceSecret)),
                         ErrorCode::kInvalidClient, kClientAuthFailed));
  // The stale entry is gone: the old secret now counts as one to hash.
  EXPECT_TRUE(may_hash(service_request(kServiceSecret)));
  EXPECT_TRUE(world_.service.handle(service_request("another-secret-0123456789")).has_value());
}

TEST(Parameters, EmptyValueReadsAsOmitted) {
  const Parameters params({{"scope", ""}, {"username", "alice"}, {"flag", ""}});
  EXPECT_EQ(params.get("scope"), std::nullopt);
  EXPECT_EQ(params.get("username"), "alice");
  EXPECT_EQ(params.get("flag"), std::nullopt);
  EXPECT_EQ(params.get("missing"), std::nullopt);
}

TEST(Parameters, FirstNonEmptyValueIsRead) {
  const Parameters params({{"scope", ""}, {"scope", "a"}});
  EXPECT_EQ(params.get("scope"), "a");
  EXPECT_EQ(params.duplicate(), std::nullopt);
}

TEST(Parameters, DuplicateNamesTheFirstRepeatedParameter) {
  const Parameters params({{"a", "1"}, {"b", "1"}, {"b", "2"}, {"a", "2"}});
  EXPECT_EQ(params.duplicate(), "a");
  EXPECT_EQ(Parameters({{"a", "1"}, {"b", "2"}}).duplicate(), std::nullopt);
}

TEST(Parameters, NamesAreCaseSensitive) {
  const Parameters params({{"Username", "alice"}, {"username", "bob"}});
  EXPECT_EQ(params.get("username"), "bob");
  EXPECT_EQ(params.duplicate(), std::nullopt);
}

}  // namespace
}  // namespace tessera::oauth
