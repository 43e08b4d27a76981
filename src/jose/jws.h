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

// A token whose signature checked out: its header's "alg", "kid" and "typ", and its payload.
// It holds their decoded text in one buffer; the views it returns live as long as it does.
class VerifiedJws {
 public:
  Algorithm alg() const { return alg_; }
  std::string_view kid() const { return view(kid_); }  // empty when absent
  std::string_view typ() const { return view(typ_); }  // empty when absent
  // The decoded payload bytes, authenticated by the signature.
  std::string_view payload() const { return view(payload_); }
  // The payload as a string of its own, without a copy; this object is left empty.
  std::string take_payload() &&;

 private:
  friend std::expected<VerifiedJws, Error> verify_compact(std::string_view, const KeySet&,
                                                          std::span<const Algorithm>);
  struct Range {
    std::size_t offset = 0;
    std::size_t size = 0;
  };
  std::string_view view(Range r) const { return std::string_view(text_).substr(r.offset, r.size); }

  Algorithm alg_ = Algorithm::kHS256;
  std::string text_;  // the payload, then kid, then typ
  Range payload_, kid_, typ_;
};

// Header {"alg":…,"typ":typ,"kid":…} (typ omitted when empty), then the payload as given.
std::expected<std::string, Error> sign_compact(const SigningKey& key, std::string_view typ,
                                               std::string_view payload);

std::expected<VerifiedJws, Error> verify_compact(std::string_view token, const KeySet& keys,
                                                 std::span<const Algorithm> allowed);

}  // namespace tessera::jose
