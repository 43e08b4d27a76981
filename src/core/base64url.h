// Base64url without padding (RFC 4648 section 5), the encoding JOSE uses (RFC 7515 section 2).
//
//   std::string text = tessera::core::base64url_encode("hello");   // "aGVsbG8"
//   std::optional<std::string> bytes = tessera::core::base64url_decode(text);
//
// Decoding is strict so that one byte string has exactly one encoding: padding, characters
// outside the url-safe alphabet, whitespace, an impossible length and non-zero trailing bits
// are all rejected.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tessera::core {

std::string base64url_encode(std::string_view bytes);

// Returns std::nullopt for anything that is not canonical unpadded base64url.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace tessera::core
