// Building responses, and the one place where every error becomes status, headers and a
// JSON body: OAuth token-endpoint errors (RFC 6749 section 5.2), bearer-token errors
// (RFC 6750 section 3) and the HTTP layer's own (404, 405, 413, 431, ...).
//
//   return json_response(Status::ok, claims);
//   return oauth_error_response(error);        // e.g. 400 {"error":"invalid_grant",...}
//   return bearer_error_response(BearerError::kInvalidToken, "token has expired");
#pragma once

#include <boost/json/object.hpp>
#include <string_view>

#include "http/message.h"
#include "oauth/errors.h"

namespace tessera::http {

// A JSON body; Cache-Control: no-store, since almost everything here carries tokens or
// claims (RFC 6749 section 5.1).
Response json_response(Status status, const boost::json::object& body);

// Whether the request's Content-Type is `type` (compared without case, parameters such as
// charset ignored).
bool has_media_type(const Request& req, std::string_view type);
// The same with a body already serialized.
Response json_text_response(Status status, std::string body);

// {"error": error, "error_description": description} with `status`.
Response error_response(Status status, std::string_view error, std::string_view description);

// RFC 6749 section 5.2 with the status and headers of each code: invalid_client is 401 with
// WWW-Authenticate: Basic; temporarily_unavailable is 503 with Retry-After.
Response oauth_error_response(const oauth::OAuthError& error);

enum class BearerError {
  kMissing,            // no bearer credentials: 401, WWW-Authenticate: Bearer, no error code
  kInvalidRequest,     // 400 invalid_request
  kInvalidToken,       // 401 invalid_token
  kInsufficientScope,  // 403 insufficient_scope
};

// RFC 6750 section 3: the challenge in WWW-Authenticate, and the same in a JSON body.
Response bearer_error_response(BearerError error, std::string_view description);

// 401 with a DPoP challenge (RFC 9449 section 7.1): `code` is invalid_token or
// invalid_dpop_proof; `algs` the proof algorithms accepted, space-separated.
Response dpop_error_response(std::string_view code, std::string_view description,
                             std::string_view algs);

// 503 with Retry-After, when the database or a worker pool cannot take the request now.
Response unavailable_response();

}  // namespace tessera::http
