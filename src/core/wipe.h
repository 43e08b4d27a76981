// Erasing secrets from memory once they are no longer needed, in a way the compiler may not
// optimise away (glibc's explicit_bzero).
#pragma once

#include <string.h>

#include <string>

namespace tessera::core {

inline void wipe(std::string& secret) {
  explicit_bzero(secret.data(), secret.size());
  secret.clear();
}

}  // namespace tessera::core
