// A small HTTP(S) client for documents and APIs at fixed URLs: the verifier's background thread
// reads an issuer's metadata and JWKS with it, the server a private_key_jwt client's jwks_uri,
// the finance API example its onward calls. Blocking, with a deadline, a cap on the body,
// certificate and host name checks for https (the system's CA store), and no redirects (such
// documents are at fixed URLs).
#pragma once

#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::fetch {

struct FetchResult {
  unsigned status = 0;
  std::string body;
  // The max-age of Cache-Control, if the response has one.
  std::optional<std::chrono::seconds> max_age;
};

// `url`: http:// or https://. The error is one line.
std::expected<FetchResult, std::string> http_get(std::string_view url, std::chrono::seconds timeout,
                                                 std::size_t max_body_bytes);

struct FetchRequest {
  std::string_view url;
  // The Authorization header's value; empty: none.
  std::string_view authorization = {};
  // When set, the request is a POST of this application/x-www-form-urlencoded body.
  std::optional<std::string_view> form = std::nullopt;
};

// A GET, or a POST of a form, as http_get.
std::expected<FetchResult, std::string> http_fetch(const FetchRequest& request,
                                                   std::chrono::seconds timeout,
                                                   std::size_t max_body_bytes);

// Whether `url` is an absolute http(s) URL with a host.
bool is_http_url(std::string_view url);
// Whether it is one with the https scheme.
bool is_https_url(std::string_view url);

}  // namespace tessera::fetch
