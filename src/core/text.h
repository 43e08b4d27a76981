// Small text helpers shared by error messages.
#pragma once

#include <string>
#include <string_view>

namespace tessera::core {

// `text` as it may be quoted inside a one-line message: control characters (a newline in an
// environment variable, say) are written as \xNN.
std::string printable(std::string_view text);

bool has_control_character(std::string_view text);

}  // namespace tessera::core
