#include "jose/digest.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace tessera::jose {

std::string sha256(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  // EVP_Digest fails only when OpenSSL cannot allocate: an impossible state to go on from.
  if (EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr) != 1) std::abort();
  return std::string(reinterpret_cast<char*>(md), n);
}

}  // namespace tessera::jose
