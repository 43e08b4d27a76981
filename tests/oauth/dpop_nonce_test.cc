// Server nonces for DPoP proofs (RFC 9449 section 8): current for one step, accepted for two,
// made and accepted alike by every instance sharing the key-encryption key, by nobody else.
#include <gtest/gtest.h>

#include "oauth/dpop.h"
#include "oauth_test_support.h"

namespace tessera::oauth {
namespace {

constexpr std::string_view kKek = "a key-encryption key of 32 bytes or more";

jose::KeySealer sealer(std::string_view secret = kKek) {
  return jose::KeySealer::from_secret(secret).value();
}

class DpopNonceTest : public ::testing::Test {
 protected:
  core::ManualClock clock_{test::kStart};
  core::SystemRandom random_;
  DpopNonces nonces_{sealer(), random_, clock_};
};

TEST_F(DpopNonceTest, ANonceIsCurrentForAStepAndAcceptedForTwo) {
  const std::string nonce = nonces_.current();
  EXPECT_FALSE(nonce.empty());
  EXPECT_EQ(
      nonce.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos)
      << "a nonce is base64url: " << nonce;
  EXPECT_TRUE(nonces_.accepts(nonce));
  clock_.advance(DpopNonces::kStep);
  EXPECT_NE(nonces_.current(), nonce);
  EXPECT_TRUE(nonces_.accepts(nonce)) << "the step before is still accepted";
  clock_.advance(DpopNonces::kStep);
  EXPECT_FALSE(nonces_.accepts(nonce));
}

TEST_F(DpopNonceTest, TheSameNonceServesTheWholeStep) {
  const std::string nonce = nonces_.current();
  clock_.advance(std::chrono::seconds(1));
  EXPECT_EQ(nonces_.current(), nonce);
}

TEST_F(DpopNonceTest, AnotherInstanceWithTheSameKeyAcceptsItAndNoOtherDoes) {
  const DpopNonces same_kek(sealer(), random_, clock_);
  const DpopNonces other_kek(sealer("another key-encryption key, 32 bytes+"), random_, clock_);
  const std::string nonce = nonces_.current();
  EXPECT_TRUE(same_kek.accepts(nonce));
  EXPECT_FALSE(other_kek.accepts(nonce));
  EXPECT_TRUE(nonces_.accepts(same_kek.current()));
}

TEST_F(DpopNonceTest, ForgedOrMangledNoncesAreRefused) {
  std::string nonce = nonces_.current();
  for (const std::string_view forged : {"", "abc", "not base64 !", "AAAAAAAAAAAAAAAAAAAAAAAA"}) {
    EXPECT_FALSE(nonces_.accepts(forged)) << forged;
  }
  nonce[nonce.size() / 2] = nonce[nonce.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(nonces_.accepts(nonce));
  EXPECT_FALSE(nonces_.accepts(std::string(4096, 'A')));
}

}  // namespace
}  // namespace tessera::oauth
