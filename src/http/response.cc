#include "http/response.h"

#include <strings.h>

#include <algorithm>
#include <boost/json/serialize.hpp>

namespace tessera::http {

namespace json = boost::json;
namespace bhttp = boost::beast::http;

Response json_response(Status status, const json::object& body) {
  return json_text_response(status, json::serialize(body));
}

Response json_text_response(Status status, std::string body) {
  Response res{status, 11};
  res.set(bhttp::field::content_type, "application/json");
  res.set(bhttp::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response error_response(Status status, std::string_view error, std::string_view description) {
  json::object body;
  body["error"] = error;
  body["error_description"] = description;
  return json_response(status, body);
}

bool has_media_type(const Request& req, std::string_view type) {
  std::string_view value = req[bhttp::field::content_type];
  value = value.substr(0, value.find(';'));
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  return value.size() == type.size() && strncasecmp(value.data(), type.data(), type.size()) == 0;
}

Response oauth_error_response(const oauth::OAuthError& error) {
  using oauth::ErrorCode;
  Status status = Status::bad_request;
  switch (error.code) {
    case ErrorCode::kInvalidClient: status = Status::unauthorized; break;
    case ErrorCode::kTemporarilyUnavailable: status = Status::service_unavailable; break;
    case ErrorCode::kTooManyAttempts: status = Status::too_many_requests; break;
    case ErrorCode::kServerError: status = Status::internal_server_error; break;
    default: break;
  }
  Response res = error_response(status, oauth::error_name(error.code), error.description);
  // RFC 6749 section 5.2: with 401 the WWW-Authenticate header matches the scheme used.
  if (error.code == ErrorCode::kInvalidClient) {
    res.set(bhttp::field::www_authenticate, "Basic realm=\"tessera\"");
  }
  if (error.code == ErrorCode::kTemporarilyUnavailable) res.set(bhttp::field::retry_after, "1");
  if (error.retry_after)
    res.set(bhttp::field::retry_after, std::to_string(error.retry_after->count()));
  res.set(bhttp::field::pragma, "no-cache");
  return res;
}

Response bearer_error_response(BearerError error, std::string_view description) {
  std::string_view code;
  Status status = Status::unauthorized;
  switch (error) {
    case BearerError::kMissing: break;
    case BearerError::kInvalidRequest:
      code = "invalid_request";
      status = Status::bad_request;
      break;
    case BearerError::kInvalidToken: code = "invalid_token"; break;
    case BearerError::kInsufficientScope:
      code = "insufficient_scope";
      status = Status::forbidden;
      break;
  }
  // RFC 6750 section 3.1: a request without credentials gets a challenge without an error.
  Response res = error_response(status, code.empty() ? "unauthorized" : code, description);
  std::string challenge = "Bearer";
  if (!code.empty()) {
    // Descriptions are our own fixed phrases: no quote or backslash to escape.
    challenge += " error=\"" + std::string(code) + "\", error_description=\"" +
                 std::string(description) + "\"";
  }
  res.set(bhttp::field::www_authenticate, challenge);
  return res;
}

Response dpop_error_response(std::string_view code, std::string_view description,
                             std::string_view algs) {
  Response res = error_response(Status::unauthorized, code, description);
  // A quoted-string (RFC 9110 section 5.6.4) without the characters that would need escaping.
  std::string quoted(description);
  std::replace_if(
      quoted.begin(), quoted.end(), [](char c) { return c == '"' || c == '\\'; }, '\'');
  res.set(bhttp::field::www_authenticate, "DPoP error=\"" + std::string(code) +
                                              "\", error_description=\"" + quoted + "\", algs=\"" +
                                              std::string(algs) + "\"");
  return res;
}

Response unavailable_response() {
  Response res = error_response(Status::service_unavailable, "temporarily_unavailable",
                                "the service is temporarily unavailable; retry shortly");
  res.set(bhttp::field::retry_after, "1");
  return res;
}

}  // namespace tessera::http
