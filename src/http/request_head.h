// What RFC 9112 requires of a request's head, checked as soon as the header block is parsed and
// before any body is read: a framing the server does not understand must not be guessed at,
// or the bytes of one request could be read as another (request smuggling).
//
//   if (auto refused = check_request_head(parser.get())) return refusal_response(*refused);
//
// Each refusal closes the connection: after it, the server cannot know where the next request
// would begin.
#pragma once

#include <cstddef>
#include <optional>

#include "http/message.h"

namespace tessera::http {

enum class HeadRefusal {
  // RFC 9112 section 6.1: a transfer coding other than chunked (gzip, identity, ...). 501.
  kUnknownTransferCoding,
  // Chunked applied twice, an empty Transfer-Encoding, or one on an HTTP/1.0 request (RFC
  // 9112 sections 6.1 and 7). 400.
  kBadTransferEncoding,
  // RFC 9112 section 3.2: an HTTP/1.1 request without Host, with more than one, or with one
  // that is not a uri-host [":" port]. 400.
  kBadHost,
  // Trailer fields after a chunked body: Beast merges them into the header fields, where a
  // trailer could pose as a header read after the body (X-Forwarded-For). RFC 9110 section
  // 6.5.1 forbids that merging; Tessera takes no trailer at all. 400.
  kTrailerFields,
};

// The refusal `head` earns, or std::nullopt when it may be read on.
std::optional<HeadRefusal> check_request_head(const Request& head);

// How many header fields `message` holds: taken once the head is checked and again after the
// body, a difference means trailer fields came.
std::size_t field_count(const Request& message);

// The 400 or 501 answer, with a JSON body that says what was wrong.
Response refusal_response(HeadRefusal refusal);

}  // namespace tessera::http
