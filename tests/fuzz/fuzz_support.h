// Shared by the libFuzzer harnesses: the input as text, and the one way a harness reports a
// broken property (libFuzzer keeps the input that made it abort).
//
//   extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
//     const std::string_view input = tessera::fuzz::text(data, size);
//     if (!holds(input)) tessera::fuzz::fail("property broken", input);
//     return 0;
//   }
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace tessera::fuzz {

inline std::string_view text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Prints what broke (and the value concerned, escaped and cut at 512 bytes), then aborts.
[[noreturn]] inline void fail(std::string_view what, std::string_view detail = {}) {
  std::fprintf(stderr, "\n==== tessera fuzz: %.*s\n", static_cast<int>(what.size()), what.data());
  if (!detail.empty()) {
    std::fputs("     detail: ", stderr);
    for (const char c : detail.substr(0, 512)) {
      const auto u = static_cast<unsigned char>(c);
      if (u >= 0x20 && u < 0x7f && c != '\\') {
        std::fputc(c, stderr);
      } else {
        std::fprintf(stderr, "\\x%02x", u);
      }
    }
    std::fputc('\n', stderr);
  }
  std::abort();
}

}  // namespace tessera::fuzz
