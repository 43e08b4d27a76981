#include "core/base64.h"

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

namespace tessera::core {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view kStandardAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Four tables per alphabet, one per position in a group of four characters, holding each
// character's six bits already shifted into place: a group decodes with four loads and three
// ORs. An invalid character has the top byte set, which no valid group reaches (24 bits).
constexpr std::uint32_t kInvalid = 0xff000000;
using DecodeTable = std::array<std::array<std::uint32_t, 256>, 4>;

constexpr DecodeTable make_decode_table(std::string_view alphabet) {
  DecodeTable table{};
  for (auto& position : table) position.fill(kInvalid);
  for (std::size_t i = 0; i < alphabet.size(); ++i) {
    const auto c = static_cast<unsigned char>(alphabet[i]);
    table[0][c] = static_cast<std::uint32_t>(i) << 18;
    table[1][c] = static_cast<std::uint32_t>(i) << 12;
    table[2][c] = static_cast<std::uint32_t>(i) << 6;
    table[3][c] = static_cast<std::uint32_t>(i);
  }
  return table;
}

constexpr DecodeTable kDecode = make_decode_table(kAlphabet);
constexpr DecodeTable kStandardDecode = make_decode_table(kStandardAlphabet);

// The number of bytes `size` characters of unpadded base64 decode to; std::nullopt for a
// length that leaves one character in the last group, which cannot encode a whole byte.
std::optional<std::size_t> decoded_size(std::size_t size) {
  if (size % 4 == 1) return std::nullopt;
  return size / 4 * 3 + (size % 4 == 0 ? 0 : size % 4 - 1);
}

// Decodes `text` into `out`, which holds exactly decoded_size(text.size()) bytes. Every
// character is looked at even after a bad one, so the time does not depend on where it is.
bool decode_unpadded(std::string_view text, const DecodeTable& table, char* out) {
  const std::size_t rest = text.size() % 4;
  const std::size_t groups = text.size() / 4;
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  std::uint32_t seen = 0;
  bool canonical = true;
  char* o = out;
  const auto group = [&](const unsigned char* g) {
    const std::uint32_t v = table[0][g[0]] | table[1][g[1]] | table[2][g[2]] | table[3][g[3]];
    seen |= v;
    return v;
  };
  // All groups but the last store four bytes, the fourth overwritten by the next group:
  // one store instead of three.
  for (std::size_t g = 1; g < groups; ++g, in += 4, o += 3) {
    std::uint32_t bytes = group(in) << 8;
    if constexpr (std::endian::native == std::endian::little) bytes = std::byteswap(bytes);
    std::memcpy(o, &bytes, 4);
  }
  if (groups > 0) {
    const std::uint32_t v = group(in);
    o[0] = static_cast<char>(v >> 16 & 0xff);
    o[1] = static_cast<char>(v >> 8 & 0xff);
    o[2] = static_cast<char>(v & 0xff);
    in += 4;
    o += 3;
  }
  // Leftover bits must be zero, otherwise two encodings would decode to the same bytes.
  if (rest == 2) {
    const std::uint32_t v = table[0][in[0]] | table[1][in[1]];
    seen |= v;
    canonical = (v & 0xffff) == 0;
    o[0] = static_cast<char>(v >> 16 & 0xff);
  } else if (rest == 3) {
    const std::uint32_t v = table[0][in[0]] | table[1][in[1]] | table[2][in[2]];
    seen |= v;
    canonical = (v & 0xff) == 0;
    o[0] = static_cast<char>(v >> 16 & 0xff);
    o[1] = static_cast<char>(v >> 8 & 0xff);
  }
  return (seen & kInvalid) == 0 && canonical;
}

std::optional<std::string> decode_to_string(std::string_view text, const DecodeTable& table) {
  const std::optional<std::size_t> size = decoded_size(text.size());
  if (!size) return std::nullopt;
  // Not resize_and_overwrite: GCC 12's gets the size wrong when it leaves the small buffer.
  std::string out(*size, '\0');
  if (!decode_unpadded(text, table, out.data())) return std::nullopt;
  return out;
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  const std::size_t groups = bytes.size() / 3;
  const std::size_t rest = bytes.size() % 3;
  std::string out(groups * 4 + (rest == 0 ? 0 : rest + 1), '\0');
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
  char* o = out.data();
  for (std::size_t g = 0; g < groups; ++g, in += 3, o += 4) {
    const std::uint32_t n = std::uint32_t{in[0]} << 16 | std::uint32_t{in[1]} << 8 | in[2];
    o[0] = kAlphabet[n >> 18 & 63];
    o[1] = kAlphabet[n >> 12 & 63];
    o[2] = kAlphabet[n >> 6 & 63];
    o[3] = kAlphabet[n & 63];
  }
  if (rest == 1) {
    const std::uint32_t n = std::uint32_t{in[0]} << 16;
    o[0] = kAlphabet[n >> 18 & 63];
    o[1] = kAlphabet[n >> 12 & 63];
  } else if (rest == 2) {
    const std::uint32_t n = std::uint32_t{in[0]} << 16 | std::uint32_t{in[1]} << 8;
    o[0] = kAlphabet[n >> 18 & 63];
    o[1] = kAlphabet[n >> 12 & 63];
    o[2] = kAlphabet[n >> 6 & 63];
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  return decode_to_string(text, kDecode);
}

std::optional<std::string_view> base64url_decode_into(std::string_view text,
                                                      std::span<char> buffer) {
  const std::optional<std::size_t> size = decoded_size(text.size());
  if (!size || *size > buffer.size() || !decode_unpadded(text, kDecode, buffer.data())) {
    return std::nullopt;
  }
  return std::string_view(buffer.data(), *size);
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  return decode_to_string(text.substr(0, text.size() - pad), kStandardDecode);
}

}  // namespace tessera::core
