// Base64 (RFC 4648): base64url without padding, the encoding JOSE uses (RFC 7515 section 2),
// and standard padded base64, the encoding of HTTP Basic credentials (RFC 7617).
//
//   std::string text = tessera::core::base64url_encode("hello");   // "aGVsbG8"
//   std::optional<std::string> bytes = tessera::core::base64url_decode(text);
//   auto basic = tessera::core::base64_decode("YWxpY2U6c2VjcmV0");   // "alice:secret"
//
// Decoding is strict so that one byte string has exactly one encoding: characters outside
// the alphabet, whitespace, wrong padding, an impossible length and non-zero trailing bits
// are all rejected.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tessera::core {

std::string base64url_encode(std::string_view bytes);

// Returns std::nullopt for anything that is not canonical unpadded base64url.
std::optional<std::string> base64url_decode(std::string_view text);

// The same, into the caller's buffer (a stack array for a token's segments): the bytes
// decoded, at the start of `buffer`, or std::nullopt when the text is not canonical unpadded
// base64url or decodes to more than buffer.size() bytes. A text of n characters decodes to at
// most n / 4 * 3 + 2 bytes.
std::optional<std::string_view> base64url_decode_into(std::string_view text,
                                                      std::span<char> buffer);

// Standard alphabet (+ and /) with the padding RFC 4648 section 4 requires.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace tessera::core
