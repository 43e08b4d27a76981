#include "http/authorization_header.h"

#include <strings.h>

#include <boost/beast/http/field.hpp>

namespace tessera::http {

namespace bhttp = boost::beast::http;

bool starts_with_ignore_case(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && strncasecmp(s.data(), prefix.data(), prefix.size()) == 0;
}

std::expected<PresentedToken, BearerError> presented_token(const Request& req, bool dpop_too) {
  const auto count = req.count(bhttp::field::authorization);
  if (count == 0) return std::unexpected(BearerError::kMissing);
  if (count > 1) return std::unexpected(BearerError::kInvalidRequest);
  std::string_view value = req[bhttp::field::authorization];
  PresentedToken out;
  if (starts_with_ignore_case(value, "Bearer ")) {
    value.remove_prefix(7);
  } else if (dpop_too && starts_with_ignore_case(value, "DPoP ")) {
    value.remove_prefix(5);
    out.dpop = true;
  } else {
    return std::unexpected(BearerError::kMissing);
  }
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::unexpected(BearerError::kInvalidToken);
  out.token = value;
  return out;
}

std::expected<std::string_view, BearerError> bearer_token(const Request& req) {
  auto presented = presented_token(req, false);
  if (!presented) return std::unexpected(presented.error());
  return presented->token;
}

}  // namespace tessera::http
