// JSON parsing for untrusted input (JWT headers and claims, JWKS, request bodies).
//
//   auto value = tessera::core::parse_strict_json(R"({"alg":"EdDSA"})");
//   if (!value) return reject(value.error());   // e.g. JsonError::kDuplicateKey
//
// Stricter than boost::json::parse, which keeps the last of two equal keys: a document that
// names a key twice is ambiguous (two parsers may read different values), so it is refused
// (RFC 7515 section 5.2, RFC 8259 section 4). Also refused: trailing data, invalid UTF-8,
// comments, trailing commas, numbers too large for a double (1e400 would read as infinity),
// nesting deeper than `max_depth`, objects with more than `max_object_keys` members, and
// text longer than `max_size`.
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <expected>
#include <string_view>

namespace tessera::core {

enum class JsonError {
  kTooLarge,
  kTooDeep,
  kDuplicateKey,
  kSyntax,
};

std::string_view to_string(JsonError e);

struct JsonLimits {
  std::size_t max_size = 64 * 1024;
  std::size_t max_depth = 16;
  // Keeps duplicate detection (a scan of the keys seen so far) cheap.
  std::size_t max_object_keys = 256;
};

std::expected<boost::json::value, JsonError> parse_strict_json(std::string_view text,
                                                               JsonLimits limits = {});

}  // namespace tessera::core
