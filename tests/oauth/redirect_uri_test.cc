// Which redirect URIs a client may register (redirect_uri.h), and how an authorization
// response is added to one.
#include "oauth/redirect_uri.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace tessera::oauth {
namespace {

using ::testing::HasSubstr;
using ::testing::Optional;

TEST(CheckRedirectUri, AcceptsHttpsLoopbackHttpAndPrivateUseSchemes) {
  for (const std::string_view uri :
       {"https://app.example.test/callback", "https://app.example.test:8443/cb?tenant=7",
        "http://127.0.0.1:8400/cb", "http://[::1]/cb", "http://localhost:3000/auth/callback",
        "com.example.app:/oauth2redirect", "https://xn--9n2bp8q.example/cb"}) {
    EXPECT_EQ(check_redirect_uri(uri), std::nullopt) << uri;
  }
}

TEST(CheckRedirectUri, RefusesFragments) {
  EXPECT_THAT(check_redirect_uri("https://app.example.test/cb#top"),
              Optional(std::string("a redirect URI must not have a fragment")));
}

TEST(CheckRedirectUri, RefusesPlainHttpOffLoopback) {
  for (const std::string_view uri :
       {"http://app.example.test/cb", "http://10.0.0.1/cb", "http://localhost.example.test/cb"}) {
    EXPECT_THAT(check_redirect_uri(uri), Optional(HasSubstr("only for a loopback host"))) << uri;
  }
}

TEST(CheckRedirectUri, RefusesSchemesThatRunOrReadThingsAndRelativeUris) {
  for (const std::string_view uri : {"javascript:alert(1)", "data:text/html,x",
                                     "file:///etc/passwd", "myapp:/cb", "vbscript:x"}) {
    EXPECT_THAT(check_redirect_uri(uri), Optional(HasSubstr("private-use scheme"))) << uri;
  }
  for (const std::string_view uri : {"/callback", "app.example.test/cb", "https://a b/", ""}) {
    EXPECT_NE(check_redirect_uri(uri), std::nullopt) << uri;
  }
}

TEST(CheckRedirectUri, AcceptsAtMost2048Bytes) {
  const std::string base = "https://app.example.test/";
  EXPECT_EQ(check_redirect_uri(base + std::string(2048 - base.size(), 'a')), std::nullopt);
  EXPECT_NE(check_redirect_uri(base + std::string(2049 - base.size(), 'a')), std::nullopt);
}

TEST(WithParameters, AppendsEncodedParametersAndKeepsTheQuery) {
  EXPECT_EQ(with_parameters("https://app.example.test/cb", {{"code", "abc"}, {"state", "x y&z"}}),
            "https://app.example.test/cb?code=abc&state=x%20y%26z");
  EXPECT_EQ(with_parameters("https://app.example.test/cb?tenant=7", {{"code", "abc"}}),
            "https://app.example.test/cb?tenant=7&code=abc");
  EXPECT_EQ(with_parameters("com.example.app:/cb", {{"iss", "https://auth.example.test"}}),
            "com.example.app:/cb?iss=https://auth.example.test");
}

}  // namespace
}  // namespace tessera::oauth
