#include "http/forwarded.h"

#include <gtest/gtest.h>

namespace tessera::http {
namespace {

using boost::asio::ip::make_address;

const std::vector<boost::asio::ip::address> kProxies = {make_address("127.0.0.1"),
                                                        make_address("10.0.0.2")};

TEST(ClientAddressTest, WithoutTrustedProxiesThePeerIsTheClientWhateverTheHeaderSays) {
  EXPECT_EQ(client_address("127.0.0.1", "203.0.113.7", {}), "127.0.0.1");
}

TEST(ClientAddressTest, AnUntrustedPeerCannotChooseItsAddress) {
  EXPECT_EQ(client_address("198.51.100.4", "203.0.113.7", kProxies), "198.51.100.4");
}

TEST(ClientAddressTest, ATrustedProxyNamesTheClient) {
  EXPECT_EQ(client_address("127.0.0.1", "203.0.113.7", kProxies), "203.0.113.7");
  EXPECT_EQ(client_address("127.0.0.1", " 2001:db8::7 ", kProxies), "2001:db8::7");
}

TEST(ClientAddressTest, TheRightmostAddressNoTrustedProxyVouchesForWins) {
  // The client put "1.2.3.4" in its own header; nginx appended the address it saw.
  EXPECT_EQ(client_address("127.0.0.1", "1.2.3.4, 203.0.113.7", kProxies), "203.0.113.7");
  // Through two trusted proxies.
  EXPECT_EQ(client_address("127.0.0.1", "1.2.3.4, 203.0.113.7, 10.0.0.2", kProxies), "203.0.113.7");
}

TEST(ClientAddressTest, AMalformedEntryStopsTheWalkAtTheLastGoodAddress) {
  EXPECT_EQ(client_address("127.0.0.1", "203.0.113.7, unknown", kProxies), "127.0.0.1");
  EXPECT_EQ(client_address("127.0.0.1", "garbage, 10.0.0.2", kProxies), "10.0.0.2");
  EXPECT_EQ(client_address("127.0.0.1", "", kProxies), "127.0.0.1");
  EXPECT_EQ(client_address("127.0.0.1", ",,", kProxies), "127.0.0.1");
}

TEST(ClientAddressTest, AnIpv4MappedPeerMatchesItsIpv4Proxy) {
  EXPECT_EQ(client_address("::ffff:127.0.0.1", "203.0.113.7", kProxies), "203.0.113.7");
}

}  // namespace
}  // namespace tessera::http
