// JWS compact serialization (RFC 7515 section 7.1): signing, and verification that trusts
// nothing in the token until its signature checks out.
//
//   std::string jws = tessera::jose::sign_compact(key, "at+jwt", R"({"sub":"alice"})").value();
//   const tessera::jose::Algorithm allowed[] = {tessera::jose::Algorithm::kHS256};
//   auto verified = tessera::jose::verify_compact(jws, keys, allowed);
//   if (!verified) log(to_string(verified.error()));   // e.g. "signature does not verify"
//
// verify_compact does no I/O: the caller hands it the keys. It never follows "jku", "x5u",
// "jwk" or "x5c" (such tokens are refused outright), refuses any "crit", and picks the key by
// kid and algorithm together, the algorithm being one the caller allowed.
#pragma once

#include <expected>
#include <span>
#include <string>
#include <string_view>

#include "jose/algorithm.h"
#include "jose/error.h"
#include "jose/signing_key.h"

namespace tessera::jose {

// Anything longer is refused before decoding: an access token here is well under 1 KiB.
inline constexpr std::size_t kMaxTokenBytes = 8 * 1024;

struct JwsHeader {
  Algorithm alg = Algorithm::kHS256;
  std::string kid;  // empty when absent
  std::string typ;  // empty when absent
};

struct VerifiedJws {
  JwsHeader header;
  std::string payload;  // the decoded payload bytes, authenticated by the signature
};

// Header {"alg":…,"typ":typ,"kid":…} (typ omitted when empty), then the payload as given.
std::expected<std::string, Error> sign_compact(const SigningKey& key, std::string_view typ,
                                               std::string_view payload);

std::expected<VerifiedJws, Error> verify_compact(std::string_view token, const KeySet& keys,
                                                 std::span<const Algorithm> allowed);

}  // namespace tessera::jose
