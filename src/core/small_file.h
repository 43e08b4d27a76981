// A whole file that must be small (a JWKS, an EnvironmentFile), read at once.
//
//   auto text = core::read_small_file("/etc/tessera/tessera.env", 1 << 20);
#pragma once

#include <cstddef>
#include <expected>
#include <string>

namespace tessera::core {

// The contents of the file at `path` if it holds at most `max_bytes`; a one-line error naming
// the file otherwise.
std::expected<std::string, std::string> read_small_file(const std::string& path,
                                                        std::size_t max_bytes);

}  // namespace tessera::core
