// A one-line guard for Boost.Beast handlers, on top of tessera::Verifier: the token from the
// Authorization header, verified, with the scope the handler needs, or a ready RFC 6750
// answer to send back.
//
//   auto claims = tessera::beast::authorize(*verifier, request, "finance:read");
//   if (!claims) return std::move(claims.error());   // 401 invalid_token or 403 insufficient_scope
//   use(claims->subject());
//
// Answers: no bearer token: 401 with `WWW-Authenticate: Bearer`; a token that does not
// verify: 401 `Bearer error="invalid_token"`; a valid token without the scope: 403
// `Bearer error="insufficient_scope", scope="..."` (RFC 6750 section 3). Each carries a small
// JSON body and Cache-Control: no-store.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "tessera/verify.h"

namespace tessera::beast {

using Response = boost::beast::http::response<boost::beast::http::string_body>;

// The b64token of "Authorization: Bearer <token>" (RFC 6750 section 2.1; the scheme is
// case-insensitive), or std::nullopt when the header holds no bearer token.
inline std::optional<std::string_view> bearer_token(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    const char c = authorization[i];
    if ((c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c) != kScheme[i]) return std::nullopt;
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return std::nullopt;
  return token;
}

// An RFC 6750 error answer. `error` empty: the bare challenge for a request without a token.
// `description` and `scope` are fixed phrases and scope tokens: nothing to escape.
inline Response bearer_error(unsigned version, boost::beast::http::status status,
                             std::string_view error, std::string_view description,
                             std::string_view scope = {}) {
  Response res{status, version};
  std::string challenge = "Bearer";
  if (!error.empty()) {
    challenge += " error=\"" + std::string(error) + "\", error_description=\"" +
                 std::string(description) + "\"";
    if (!scope.empty()) challenge += ", scope=\"" + std::string(scope) + "\"";
  }
  res.set(boost::beast::http::field::www_authenticate, challenge);
  res.set(boost::beast::http::field::content_type, "application/json");
  res.set(boost::beast::http::field::cache_control, "no-store");
  res.body() = "{\"error\":\"" + std::string(error.empty() ? "unauthorized" : error) +
               "\",\"error_description\":\"" + std::string(description) + "\"}";
  res.prepare_payload();
  return res;
}

template <class Body, class Fields>
std::expected<Claims, Response> authorize(const Verifier& verifier,
                                          const boost::beast::http::request<Body, Fields>& request,
                                          std::string_view required_scope = {}) {
  namespace http = boost::beast::http;
  const auto token = bearer_token(request[http::field::authorization]);
  if (!token) {
    return std::unexpected(bearer_error(request.version(), http::status::unauthorized, "",
                                        "a bearer token is required"));
  }
  auto claims = verifier.verify(*token);
  if (!claims) {
    return std::unexpected(bearer_error(request.version(), http::status::unauthorized,
                                        "invalid_token", to_string(claims.error())));
  }
  if (!required_scope.empty() && !claims->has_scope(required_scope)) {
    return std::unexpected(bearer_error(request.version(), http::status::forbidden,
                                        "insufficient_scope",
                                        "the token lacks the scope this needs", required_scope));
  }
  return std::move(*claims);
}

}  // namespace tessera::beast
