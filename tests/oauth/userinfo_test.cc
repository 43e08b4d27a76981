// UserInfo: what /userinfo answers for the user a token names, as users come and go.
#include "oauth/userinfo.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "oauth/oauth_test_support.h"

namespace tessera::oauth {
namespace {

class UserInfoTest : public ::testing::Test {
 protected:
  void SetUp() override { world_.add_user("alice", "password", {"a", "b"}); }

  test::OAuthWorld world_;
  const boost::json::object claims_{{"sub", "alice"}, {"scope", "a"}, {"client_id", "default"}};
};

TEST_F(UserInfoTest, ExistingUserGetsSubAndPreferredUsername) {
  const auto info = world_.userinfo.lookup(claims_);
  ASSERT_TRUE(info.has_value());
  const boost::json::object expected{
      {"sub", "alice"}, {"preferred_username", "alice"}, {"scope", "a"}};
  EXPECT_EQ(*info, expected) << boost::json::serialize(*info);
}

TEST_F(UserInfoTest, DisabledUserIsNoSuchUser) {
  ASSERT_TRUE(world_.admin.set_disabled("alice", true).has_value());
  const auto info = world_.userinfo.lookup(claims_);
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error(), UserInfoError::kNoSuchUser);
}

TEST_F(UserInfoTest, DeletedUserIsNoSuchUser) {
  ASSERT_TRUE(world_.admin.remove("alice").has_value());
  const auto info = world_.userinfo.lookup(claims_);
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error(), UserInfoError::kNoSuchUser);
}

TEST_F(UserInfoTest, ClaimsWithoutAStringSubjectAreNoSuchUser) {
  for (const boost::json::object& claims :
       {boost::json::object{{"scope", "a"}}, boost::json::object{{"sub", 7}}}) {
    const auto info = world_.userinfo.lookup(claims);
    ASSERT_FALSE(info.has_value()) << boost::json::serialize(claims);
    EXPECT_EQ(info.error(), UserInfoError::kNoSuchUser);
  }
}

}  // namespace
}  // namespace tessera::oauth
