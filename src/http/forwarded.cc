#include "http/forwarded.h"

#include <algorithm>

namespace tessera::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_trusted(const boost::asio::ip::address& address,
                const std::vector<boost::asio::ip::address>& trusted) {
  const auto plain = address.is_v6() && address.to_v6().is_v4_mapped()
                         ? boost::asio::ip::address(boost::asio::ip::make_address_v4(
                               boost::asio::ip::v4_mapped, address.to_v6()))
                         : address;
  return std::find(trusted.begin(), trusted.end(), plain) != trusted.end();
}

}  // namespace

std::string client_address(std::string_view peer, std::string_view x_forwarded_for,
                           const std::vector<boost::asio::ip::address>& trusted_proxies) {
  boost::system::error_code ec;
  auto current = boost::asio::ip::make_address(peer, ec);
  if (ec || trusted_proxies.empty()) return std::string(peer);
  std::string_view rest = x_forwarded_for;
  while (is_trusted(current, trusted_proxies) && !rest.empty()) {
    const auto comma = rest.rfind(',');
    const std::string_view entry =
        trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
    const auto next = boost::asio::ip::make_address(entry, ec);
    if (ec) break;
    current = next;
  }
  return current.to_string();
}

}  // namespace tessera::http
