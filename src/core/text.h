// Small text helpers shared by error messages.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::core {

// `text` as it may be quoted inside a one-line message: control characters (a newline in an
// environment variable, say) are written as \xNN.
std::string printable(std::string_view text);

bool has_control_character(std::string_view text);

// One UTF-8 sequence as RFC 3629 allows it: its code point and length in bytes.
struct Utf8Char {
  char32_t code_point = 0;
  std::size_t length = 0;
};
// The well-formed sequence starting at text[at], or std::nullopt for an invalid one (a stray
// continuation byte, a truncated sequence, an overlong form, a surrogate, beyond U+10FFFF).
std::optional<Utf8Char> decode_utf8(std::string_view text, std::size_t at);

// `text` with each byte that does not begin a well-formed sequence replaced by U+FFFD, so that
// it is valid UTF-8 for strict readers (JSON log lines with a user name typed as %FF).
std::string replace_invalid_utf8(std::string_view text);

}  // namespace tessera::core
