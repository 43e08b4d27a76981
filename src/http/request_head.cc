#include "http/request_head.h"

#include <strings.h>

#include <boost/url/parse.hpp>
#include <iterator>
#include <string_view>

#include "http/response.h"

namespace tessera::http {
namespace {

namespace bhttp = boost::beast::http;

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// RFC 9112 section 6.1: every Transfer-Encoding field line, as one list. Only "chunked", once,
// is understood; empty list elements are skipped (RFC 9110 section 5.6.1).
std::optional<HeadRefusal> check_transfer_encoding(const Request& head) {
  const auto [first, last] = head.equal_range(bhttp::field::transfer_encoding);
  if (first == last) return std::nullopt;
  // An HTTP/1.0 recipient cannot be trusted to have framed the body the same way.
  if (head.version() < 11) return HeadRefusal::kBadTransferEncoding;
  int chunked = 0;
  bool unknown = false;
  for (auto field = first; field != last; ++field) {
    std::string_view list = field->value();
    while (!list.empty()) {
      const std::size_t comma = list.find(',');
      const std::string_view coding = trim(list.substr(0, comma));
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      if (coding.empty()) continue;
      if (equals_ignore_case(coding, "chunked")) {
        ++chunked;
      } else {
        unknown = true;
      }
    }
  }
  if (unknown) return HeadRefusal::kUnknownTransferCoding;
  if (chunked != 1) return HeadRefusal::kBadTransferEncoding;
  return std::nullopt;
}

// RFC 9112 section 3.2: Host = uri-host [ ":" port ], exactly once on HTTP/1.1. An empty
// value is allowed (a target URI without an authority).
std::optional<HeadRefusal> check_host(const Request& head) {
  const auto [first, last] = head.equal_range(bhttp::field::host);
  const auto count = std::distance(first, last);
  if (count == 0) {
    if (head.version() >= 11) return HeadRefusal::kBadHost;
    return std::nullopt;
  }
  if (count > 1) return HeadRefusal::kBadHost;
  const std::string_view host = first->value();
  if (host.empty()) return std::nullopt;
  const auto authority = boost::urls::parse_authority(host);
  if (!authority || authority->has_userinfo()) return HeadRefusal::kBadHost;
  return std::nullopt;
}

}  // namespace

std::optional<HeadRefusal> check_request_head(const Request& head) {
  if (auto refused = check_transfer_encoding(head)) return refused;
  return check_host(head);
}

std::size_t field_count(const Request& message) {
  return static_cast<std::size_t>(std::distance(message.begin(), message.end()));
}

Response refusal_response(HeadRefusal refusal) {
  switch (refusal) {
    case HeadRefusal::kUnknownTransferCoding:
      return error_response(Status::not_implemented, "not_implemented",
                            "the only transfer coding understood is chunked");
    case HeadRefusal::kBadTransferEncoding:
      return error_response(Status::bad_request, "invalid_request", "malformed Transfer-Encoding");
    case HeadRefusal::kBadHost:
      return error_response(Status::bad_request, "invalid_request",
                            "an HTTP/1.1 request needs exactly one valid Host header");
    case HeadRefusal::kTrailerFields:
      return error_response(Status::bad_request, "invalid_request",
                            "trailer fields are not accepted");
  }
  return error_response(Status::bad_request, "invalid_request", "malformed HTTP request");
}

}  // namespace tessera::http
