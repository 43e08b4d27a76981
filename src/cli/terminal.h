// Reading secrets from the user without putting them on argv: from stdin for scripts
// (--password-stdin), or from the terminal with echo off.
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace tessera::cli {

// All of stdin, less one trailing newline ("\n" or "\r\n"). Refuses more than one line and
// more than `max_bytes`.
std::expected<std::string, std::string> read_secret_from_stdin(std::size_t max_bytes);

// Prompts on /dev/tty with echo off, twice, and requires both answers to match.
std::expected<std::string, std::string> prompt_new_secret(std::string_view what,
                                                          std::size_t max_bytes);

}  // namespace tessera::cli
