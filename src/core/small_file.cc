#include "core/small_file.h"

#include <fstream>

namespace tessera::core {

std::expected<std::string, std::string> read_small_file(const std::string& path,
                                                        std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected("cannot read " + path);
  std::string text(max_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return std::unexpected("cannot read " + path);
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > max_bytes) {
    return std::unexpected(path + " is larger than " + std::to_string(max_bytes) + " bytes");
  }
  return text;
}

}  // namespace tessera::core
