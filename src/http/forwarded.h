// The client's address for a request that may have come through a reverse proxy (nginx, a
// load balancer). Only proxies named in TESSERA_TRUSTED_PROXIES are believed: when the peer
// is one of them, X-Forwarded-For is read from its right end, each trusted proxy's entry
// skipped, and the first address no trusted proxy vouches for is the client. Anyone can
// send X-Forwarded-For, so from any other peer the header is ignored; a malformed entry stops
// the walk at the last address known good.
//
//   client_address("127.0.0.1", "203.0.113.7, 10.0.0.2", {127.0.0.1, 10.0.0.2})  // 203.0.113.7
//   client_address("198.51.100.4", "203.0.113.7", {127.0.0.1})                    // 198.51.100.4
#pragma once

#include <boost/asio/ip/address.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::http {

std::string client_address(std::string_view peer, std::string_view x_forwarded_for,
                           const std::vector<boost::asio::ip::address>& trusted_proxies);

}  // namespace tessera::http
