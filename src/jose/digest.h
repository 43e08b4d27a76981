// SHA-256 (FIPS 180-4) through OpenSSL, for identifiers derived from secrets: refresh tokens
// are stored as the digest of the token, never the token.
#pragma once

#include <string>
#include <string_view>

namespace tessera::jose {

// The 32-byte digest.
std::string sha256(std::string_view data);
std::string sha512(std::string_view data);

}  // namespace tessera::jose
