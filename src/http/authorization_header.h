// The access token a request's Authorization header presents: "Bearer" (RFC 6750 section 2.1)
// or, where the endpoint takes it, "DPoP" (RFC 9449 section 7.1). Schemes are matched without
// regard to case (RFC 9110 section 11.1); a header sent twice is a malformed request.
//
//   auto token = bearer_token(req);          // the metrics token, a registration access token
//   auto presented = presented_token(req, true);
#pragma once

#include <expected>
#include <string_view>

#include "http/message.h"
#include "http/response.h"

namespace tessera::http {

struct PresentedToken {
  std::string_view token;  // a view into the request
  bool dpop = false;
};

std::expected<PresentedToken, BearerError> presented_token(const Request& req, bool dpop_too);

std::expected<std::string_view, BearerError> bearer_token(const Request& req);

// Whether `s` begins with `prefix`, ASCII letters compared without regard to case.
bool starts_with_ignore_case(std::string_view s, std::string_view prefix);

}  // namespace tessera::http
