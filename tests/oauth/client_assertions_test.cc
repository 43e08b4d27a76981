// private_key_jwt clients whose keys are at a jwks_uri (RFC 7591 section 2): when the document
// is fetched, how long it is kept, and what happens when the client rotates or its server is
// down. The fetch is a function given to ClientAssertions; the server's real one (an HTTP GET)
// is exercised by tests/e2e/test_private_key_jwt.py.
#include "oauth/client_assertions.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "jose/evp_key.h"
#include "jose/jws.h"
#include "oauth_test_support.h"

namespace tessera::oauth {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::string_view kUri = "https://billing.example/jwks.json";

class JwksUriTest : public ::testing::Test {
 protected:
  JwksUriTest() : store_(test::open_store(dir_, clock_)) { serve({first_}); }

  // What the client's server answers from now on.
  void serve(std::vector<std::shared_ptr<jose::EvpKey>> keys,
             std::optional<std::chrono::seconds> max_age = std::nullopt) {
    json::array list;
    for (const auto& key : keys) list.push_back(key->public_jwk());
    document_ = json::serialize(json::object{{"keys", std::move(list)}});
    max_age_ = max_age;
    down_ = false;
  }

  std::string assertion(const jose::EvpKey& key) {
    const auto now = core::unix_seconds(clock_.now());
    const json::object claims{{"iss", "billing"},     {"sub", "billing"},
                              {"aud", test::kIssuer}, {"exp", now + 60},
                              {"iat", now},           {"jti", "j" + std::to_string(++jti_)}};
    return jose::sign_compact(key, "", json::serialize(claims)).value();
  }

  std::expected<void, OAuthError> verify(const jose::EvpKey& key) {
    return assertions_.verify(assertion(key), "billing", {.jwks = "", .jwks_uri = kUri});
  }

  test::TempDir dir_;
  core::ManualClock clock_{test::kStart};
  std::unique_ptr<store::Store> store_;
  std::shared_ptr<jose::EvpKey> first_ = jose::EvpKey::generate(jose::Algorithm::kES256).value();
  std::shared_ptr<jose::EvpKey> second_ = jose::EvpKey::generate(jose::Algorithm::kEdDSA).value();
  std::string document_;
  std::optional<std::chrono::seconds> max_age_;
  bool down_ = false;
  int fetches_ = 0;
  int jti_ = 0;
  ClientAssertions assertions_{
      store_->replays(), std::string(test::kIssuer), clock_,
      [this](std::string_view uri) -> std::expected<FetchedJwks, std::string> {
        EXPECT_EQ(uri, kUri);
        ++fetches_;
        if (down_) return std::unexpected("GET " + std::string(uri) + ": connection refused");
        return FetchedJwks{.body = document_, .max_age = max_age_};
      }};
};

TEST_F(JwksUriTest, TheDocumentIsFetchedOnceAndKeptForItsMaxAge) {
  serve({first_}, 600s);
  ASSERT_TRUE(verify(*first_));
  ASSERT_TRUE(verify(*first_));
  EXPECT_EQ(fetches_, 1);
  clock_.advance(599s);
  ASSERT_TRUE(verify(*first_));
  EXPECT_EQ(fetches_, 1);
  clock_.advance(2s);
  ASSERT_TRUE(verify(*first_));
  EXPECT_EQ(fetches_, 2);
}

TEST_F(JwksUriTest, MaxAgeIsHeldBetweenFiveMinutesAndADay) {
  serve({first_}, 0s);
  ASSERT_TRUE(verify(*first_));
  clock_.advance(ClientAssertions::kMinKeep - 1s);
  ASSERT_TRUE(verify(*first_));
  EXPECT_EQ(fetches_, 1) << "max-age=0 must not make every assertion fetch";
  serve({first_}, std::chrono::seconds(365 * 24 * 3600));
  clock_.advance(2s);
  ASSERT_TRUE(verify(*first_));
  EXPECT_EQ(fetches_, 2);
  clock_.advance(ClientAssertions::kMaxKeep + 1s);
  ASSERT_TRUE(verify(*first_));
  EXPECT_EQ(fetches_, 3);
}

TEST_F(JwksUriTest, AKeyTheClientAddedIsFetchedAtOnceButNotOverAndOver) {
  ASSERT_TRUE(verify(*first_));
  clock_.advance(ClientAssertions::kRefetchGap);
  serve({first_, second_});
  ASSERT_TRUE(verify(*second_)) << "an unknown kid fetches the document again";
  EXPECT_EQ(fetches_, 2);
  // Assertions signed by keys the client never published fetch at most once a gap.
  const auto stranger = jose::EvpKey::generate(jose::Algorithm::kEdDSA).value();
  for (int i = 0; i < 5; ++i) {
    auto refused = verify(*stranger);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidClient);
  }
  EXPECT_EQ(fetches_, 2);
  clock_.advance(ClientAssertions::kRefetchGap);
  EXPECT_FALSE(verify(*stranger));
  EXPECT_EQ(fetches_, 3);
}

TEST_F(JwksUriTest, TheKeysKeptServeWhileTheClientsServerIsDown) {
  serve({first_}, 300s);
  ASSERT_TRUE(verify(*first_));
  clock_.advance(301s);
  down_ = true;
  EXPECT_TRUE(verify(*first_));
  EXPECT_EQ(fetches_, 2);
}

TEST_F(JwksUriTest, NoDocumentIsInvalidClientAndRetriedOnlyAfterAPause) {
  down_ = true;
  auto refused = verify(*first_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidClient);
  EXPECT_NE(refused.error().description.find("connection refused"), std::string::npos)
      << refused.error().description;
  EXPECT_FALSE(verify(*first_));
  EXPECT_EQ(fetches_, 1);
  serve({first_});
  clock_.advance(11s);
  EXPECT_TRUE(verify(*first_));
  EXPECT_EQ(fetches_, 2);
}

TEST_F(JwksUriTest, ADocumentWithoutAUsableKeyIsRefused) {
  document_ = R"({"keys":[{"kty":"oct","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"}]})";
  auto refused = verify(*first_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidClient);
  document_ = "<html>not json</html>";
  clock_.advance(11s);
  EXPECT_FALSE(verify(*first_));
  EXPECT_EQ(fetches_, 2);
}

TEST_F(JwksUriTest, WithoutAFetcherAJwksUriClientCannotAuthenticate) {
  ClientAssertions no_fetch(store_->replays(), std::string(test::kIssuer), clock_);
  auto refused = no_fetch.verify(assertion(*first_), "billing", {.jwks = "", .jwks_uri = kUri});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidClient);
}

}  // namespace
}  // namespace tessera::oauth
