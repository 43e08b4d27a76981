#include "jose/digest.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace tessera::jose {

namespace {

std::string digest(std::string_view data, const EVP_MD* type) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  // EVP_Digest fails only when OpenSSL cannot allocate: an impossible state to go on from.
  if (EVP_Digest(data.data(), data.size(), md, &n, type, nullptr) != 1) std::abort();
  return std::string(reinterpret_cast<char*>(md), n);
}

}  // namespace

std::string sha256(std::string_view data) { return digest(data, EVP_sha256()); }

std::string sha512(std::string_view data) { return digest(data, EVP_sha512()); }

}  // namespace tessera::jose
