// application/x-www-form-urlencoded bodies (the token endpoint's request format, RFC 6749
// Appendix B; HTML's URL-encoded form parsing), and the same decoding for HTTP Basic
// credentials (RFC 6749 section 2.3.1).
//
//   auto pairs = tessera::http::parse_form("grant_type=password&username=alice&password=p%40ss");
//   // [("grant_type","password"), ("username","alice"), ("password","p@ss")]
//
// '+' is a space; %XX must be two hex digits (a bad escape is an error, not kept as text, so
// a mangled password is refused instead of checked); a NUL byte is an error; other bytes pass
// as they are. Pairs
// keep their order and repetitions; deciding what a repetition means is the caller's.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::http {

enum class FormError {
  kBadEscape,      // '%' not followed by two hex digits
  kTooManyFields,  // more than kMaxFormFields pairs
  kNulByte,        // a NUL byte, raw or as %00, in a name or a value
};

std::string_view to_string(FormError e);

inline constexpr std::size_t kMaxFormFields = 64;

using FormPairs = std::vector<std::pair<std::string, std::string>>;

std::expected<FormPairs, FormError> parse_form(std::string_view body);

// Decodes one component: '+' to space and %XX escapes.
std::expected<std::string, FormError> form_decode(std::string_view text);

}  // namespace tessera::http
