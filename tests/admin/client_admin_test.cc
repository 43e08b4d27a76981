// ClientAdmin: the rules a client's registration follows, browser sign-in's included
// (redirect URIs, default grants, names, id_token algorithms), and what deleting one ends.
#include "admin/client_admin.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "oauth/oauth_test_support.h"

namespace tessera::admin {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr std::string_view kCallback = "https://app.example.test/callback";

class ClientAdminTest : public ::testing::Test {
 protected:
  std::expected<ClientAdmin::Added, std::string> add(NewClient client) {
    return world_.client_admin.add(client);
  }

  static NewClient web(std::vector<std::string> redirect_uris = {std::string(kCallback)}) {
    return NewClient{.id = "web",
                     .is_public = true,
                     .secret = std::nullopt,
                     .grants = {},
                     .scopes = {"openid", "profile"},
                     .audience = "",
                     .redirect_uris = std::move(redirect_uris)};
  }

  store::ClientRecord stored(std::string_view id) {
    auto found = world_.store->clients().find_client(id);
    if (!found || !*found) throw std::runtime_error("no client " + std::string(id));
    return **found;
  }

  test::OAuthWorld world_;
};

TEST_F(ClientAdminTest, ARedirectUriMakesTheDefaultGrantsTheCodeAndRefreshGrants) {
  const auto added = add(web());
  ASSERT_TRUE(added.has_value()) << added.error();
  EXPECT_THAT(added->grants, ElementsAre("authorization_code", "refresh_token"));
  const auto record = stored("web");
  EXPECT_THAT(record.grants, ElementsAre("authorization_code", "refresh_token"));
  EXPECT_THAT(record.redirect_uris, ElementsAre(kCallback));
}

TEST_F(ClientAdminTest, EverySignInFieldIsStored) {
  NewClient client = web({std::string(kCallback), "http://127.0.0.1:8400/cb"});
  client.is_public = false;
  client.post_logout_redirect_uris = {"https://app.example.test/"};
  client.display_name = "Example App — 예시";
  client.skip_consent = true;
  client.id_token_alg = "ES256";
  const auto added = add(client);
  ASSERT_TRUE(added.has_value()) << added.error();
  EXPECT_TRUE(added->generated_secret.has_value());
  const auto record = stored("web");
  EXPECT_THAT(record.redirect_uris, ElementsAre(kCallback, "http://127.0.0.1:8400/cb"));
  EXPECT_THAT(record.post_logout_redirect_uris, ElementsAre("https://app.example.test/"));
  EXPECT_EQ(record.display_name, "Example App — 예시");
  EXPECT_TRUE(record.skip_consent);
  EXPECT_EQ(record.id_token_alg, "ES256");
}

TEST_F(ClientAdminTest, TheCodeGrantNeedsARedirectUriAndRedirectUrisNeedTheCodeGrant) {
  NewClient without = web({});
  without.grants = {"authorization_code"};
  EXPECT_EQ(add(without).error(), "the authorization_code grant needs at least one --redirect-uri");
  NewClient service = web();
  service.is_public = false;
  service.grants = {"client_credentials"};
  EXPECT_EQ(add(service).error(), "redirect URIs are for the authorization_code grant");
}

TEST_F(ClientAdminTest, UnsafeRedirectUrisAreRefusedAndNothingIsStored) {
  for (const std::string uri :
       {"javascript:alert(1)", "http://app.example.test/cb", "https://app.example.test/cb#x",
        "/relative/callback", "data:text/html,hi", "file:///etc/passwd", ""}) {
    const auto added = add(web({uri}));
    EXPECT_FALSE(added.has_value()) << uri;
  }
  auto all = world_.store->clients().list_clients();
  ASSERT_TRUE(all.has_value());
  EXPECT_TRUE(all->empty());
}

TEST_F(ClientAdminTest, BadNamesAndAlgorithmsAreRefused) {
  NewClient named = web();
  named.display_name = "tab\there";
  EXPECT_THAT(add(named).error(), HasSubstr("without control characters"));
  NewClient alg = web();
  alg.id_token_alg = "none";
  EXPECT_EQ(add(alg).error(), "'none' is not an id_token algorithm (EdDSA, ES256, RS256, PS256)");
  NewClient hs = web();
  hs.id_token_alg = "HS256";
  EXPECT_FALSE(add(hs).has_value());
}

TEST_F(ClientAdminTest, WithoutRedirectUrisTheDefaultsAreAsBefore) {
  NewClient service = web({});
  service.id = "billing";
  service.is_public = false;
  EXPECT_THAT(add(service)->grants, ElementsAre("client_credentials"));
  NewClient app = web({});
  app.id = "app";
  EXPECT_THAT(add(app)->grants, ElementsAre("password", "refresh_token"));
}

TEST_F(ClientAdminTest, DeletingAClientForgetsTheConsentsGivenToIt) {
  ASSERT_TRUE(add(web()).has_value());
  ASSERT_TRUE(world_.store->consents().add_consent("alice", "web", {"openid"}).has_value());
  ASSERT_TRUE(world_.client_admin.remove("web").has_value());
  auto consent = world_.store->consents().find_consent("alice", "web");
  ASSERT_TRUE(consent.has_value());
  EXPECT_TRUE(consent->empty());
}

}  // namespace
}  // namespace tessera::admin
