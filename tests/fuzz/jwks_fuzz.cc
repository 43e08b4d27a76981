// What a verifier reads from the network: jose::parse_jwks and tessera::KeySet::from_jwks on
// the raw input, and jose::EvpKey::from_jwk on the input as one JWK and on each member of its
// "keys" array.
//
// Properties beyond "no crash", for every key from_jwk accepts: its public JWK reads back as
// the same key (same kid, same JWK), and, when it has a private part, it verifies its own
// signature (from_jwk checks that "d" belongs to the public members).
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/strict_json.h"
#include "fuzz_support.h"
#include "jose/evp_key.h"
#include "jose/jwks.h"
#include "tessera/verify.h"

namespace {

using namespace tessera;

// A private RSA operation costs the cube of the modulus size: keys over 4096 bits are only
// parsed and checked, not used to sign, so that each input stays fast.
constexpr std::size_t kMaxSigningModulusChars = 683;  // base64url of 512 bytes

void check_key(const boost::json::object& jwk) {
  const auto key = jose::EvpKey::from_jwk(jwk);
  (void)jose::jwk_thumbprint(jwk);
  if (!key) return;
  const auto again = jose::EvpKey::from_jwk((*key)->public_jwk());
  if (!again) {
    tessera::fuzz::fail("the public JWK of an accepted key does not read back",
                        boost::json::serialize((*key)->public_jwk()));
  }
  if ((*again)->kid() != (*key)->kid() || (*again)->public_jwk() != (*key)->public_jwk()) {
    tessera::fuzz::fail("the public JWK reads back as another key",
                        boost::json::serialize((*key)->public_jwk()));
  }
  (void)(*key)->verify("header.payload", std::string_view("\0\1\2\3", 4));
  if (!(*key)->has_private()) return;
  const boost::json::value* n = (*key)->public_jwk().if_contains("n");
  if (n != nullptr && n->is_string() && n->get_string().size() > kMaxSigningModulusChars) return;
  const auto signature = (*key)->sign("header.payload");
  if (!signature) return;
  if (!(*key)->verify("header.payload", *signature) ||
      !(*again)->verify("header.payload", *signature)) {
    tessera::fuzz::fail("a key from a private JWK signs what its public key does not verify",
                        boost::json::serialize(jwk));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = tessera::fuzz::text(data, size);

  (void)jose::parse_jwks(input);
  (void)tessera::KeySet::from_jwks(input);

  const auto value = core::parse_strict_json(input);
  if (!value || !value->is_object()) return 0;
  const boost::json::object& object = value->get_object();
  check_key(object);
  if (const boost::json::value* keys = object.if_contains("keys"); keys && keys->is_array()) {
    for (const boost::json::value& jwk : keys->get_array()) {
      if (jwk.is_object()) check_key(jwk.get_object());
    }
  }
  return 0;
}
