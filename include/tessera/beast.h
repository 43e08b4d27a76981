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
// JSON body and Cache-Control: no-store. DPoP-bound tokens (RFC 9449) are accepted with their
// proof when GuardOptions names the service's public origin, and answered with DPoP
// challenges; used as bearer tokens they are refused (`DPoP error="invalid_token"`).
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

// The token after `scheme` (lower-case, with its trailing space) in an Authorization header
// value, the scheme compared case-insensitively; std::nullopt when it is not there.
inline std::optional<std::string_view> scheme_token(std::string_view authorization,
                                                    std::string_view scheme) {
  if (authorization.size() <= scheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    const char c = authorization[i];
    if ((c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c) != scheme[i]) return std::nullopt;
  }
  std::string_view token = authorization.substr(scheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return std::nullopt;
  return token;
}

// The b64token of "Authorization: Bearer <token>" (RFC 6750 section 2.1).
inline std::optional<std::string_view> bearer_token(std::string_view authorization) {
  return scheme_token(authorization, "bearer ");
}

// The token of "Authorization: DPoP <token>" (RFC 9449 section 7.1).
inline std::optional<std::string_view> dpop_token(std::string_view authorization) {
  return scheme_token(authorization, "dpop ");
}

// An RFC 6750 (or, with `scheme` "DPoP", RFC 9449 section 7.1) error answer. `error` empty:
// the bare challenge for a request without a token. `description` and `scope` are fixed
// phrases and scope tokens: nothing to escape.
inline Response challenge_error(unsigned version, boost::beast::http::status status,
                                std::string_view scheme, std::string_view error,
                                std::string_view description, std::string_view scope = {},
                                std::string_view resource_metadata = {}) {
  Response res{status, version};
  std::string challenge(scheme);
  const auto param = [&](std::string_view name, std::string_view value) {
    challenge += challenge.size() == scheme.size() ? " " : ", ";
    challenge += std::string(name) + "=\"" + std::string(value) + "\"";
  };
  if (!error.empty()) {
    param("error", error);
    param("error_description", description);
    if (!scope.empty()) param("scope", scope);
  }
  if (scheme == "DPoP") param("algs", "EdDSA Ed25519 ES256 RS256 PS256");
  // RFC 9728 section 5.1: where a client that meets this 401 learns how to get a token.
  if (!resource_metadata.empty() && status == boost::beast::http::status::unauthorized) {
    param("resource_metadata", resource_metadata);
  }
  res.set(boost::beast::http::field::www_authenticate, challenge);
  res.set(boost::beast::http::field::content_type, "application/json");
  res.set(boost::beast::http::field::cache_control, "no-store");
  res.body() = "{\"error\":\"" + std::string(error.empty() ? "unauthorized" : error) +
               "\",\"error_description\":\"" + std::string(description) + "\"}";
  res.prepare_payload();
  return res;
}

inline Response bearer_error(unsigned version, boost::beast::http::status status,
                             std::string_view error, std::string_view description,
                             std::string_view scope = {}) {
  return challenge_error(version, status, "Bearer", error, description, scope);
}

struct GuardOptions {
  // This service's origin as its clients address it ("https://api.example.com", no path):
  // with it, DPoP-bound tokens are accepted as "Authorization: DPoP" with a proof whose htu is
  // this origin and the request's path (RFC 9449 section 7). Without it, bearer tokens only.
  std::string_view public_origin{};
  // The URL of this service's protected-resource metadata (RFC 9728; tessera::
  // resource_metadata_url): with it, every 401 challenge names it as resource_metadata.
  std::string_view resource_metadata{};
};

namespace detail {

template <class Body, class Fields>
std::expected<Claims, Response> verify_dpop_request(
    const Verifier& verifier, const boost::beast::http::request<Body, Fields>& request,
    std::string_view token, const GuardOptions& options) {
  namespace http = boost::beast::http;
  const auto refuse = [&](std::string_view error, std::string_view description) {
    return std::unexpected(challenge_error(request.version(), http::status::unauthorized, "DPoP",
                                           error, description, {}, options.resource_metadata));
  };
  if (options.public_origin.empty()) {
    return refuse("invalid_token", "this service accepts bearer tokens only");
  }
  if (request.count("DPoP") != 1) return refuse("invalid_dpop_proof", "one DPoP proof is required");
  const std::string_view target = request.target();
  std::string url(options.public_origin);
  url += target.substr(0, target.find('?'));
  auto claims = verifier.verify_dpop(
      token, {.proof = request["DPoP"], .method = request.method_string(), .url = url});
  if (!claims) {
    const VerifyError e = claims.error();
    const bool proof = e == VerifyError::kInvalidDpopProof || e == VerifyError::kDpopReplayed;
    return refuse(proof ? "invalid_dpop_proof" : "invalid_token", to_string(e));
  }
  return std::move(*claims);
}

}  // namespace detail

// The guard: a bearer token, or with options.public_origin a DPoP-bound token and its proof,
// verified, with the scope the handler needs; else the answer to send back.
template <class Body, class Fields>
std::expected<Claims, Response> authorize(const Verifier& verifier,
                                          const boost::beast::http::request<Body, Fields>& request,
                                          std::string_view required_scope = {},
                                          const GuardOptions& options = {}) {
  namespace http = boost::beast::http;
  const std::string_view authorization = request[http::field::authorization];
  const auto bearer = bearer_token(authorization);
  const auto dpop = bearer ? std::nullopt : dpop_token(authorization);
  std::expected<Claims, Response> claims = std::unexpected(Response{});
  if (dpop) {
    claims = detail::verify_dpop_request(verifier, request, *dpop, options);
  } else if (!bearer) {
    return std::unexpected(challenge_error(request.version(), http::status::unauthorized, "Bearer",
                                           "", "a bearer token is required", {},
                                           options.resource_metadata));
  } else if (auto checked = verifier.verify(*bearer); checked) {
    claims = std::move(*checked);
  } else {
    // RFC 9449 section 7.2: a bound token used as a bearer token is answered in DPoP's terms.
    const bool bound = checked.error() == VerifyError::kDpopRequired;
    return std::unexpected(challenge_error(
        request.version(), http::status::unauthorized, bound ? "DPoP" : "Bearer", "invalid_token",
        to_string(checked.error()), {}, options.resource_metadata));
  }
  if (!claims) return claims;
  if (!required_scope.empty() && !claims->has_scope(required_scope)) {
    return std::unexpected(challenge_error(request.version(), http::status::forbidden,
                                           dpop ? "DPoP" : "Bearer", "insufficient_scope",
                                           "the token lacks the scope this needs", required_scope));
  }
  return claims;
}

}  // namespace tessera::beast
