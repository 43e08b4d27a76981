// JWK Sets (RFC 7517 section 5): the document Tessera publishes, and reading one back.
//
//   boost::json::object doc = tessera::jose::jwks_document(keys);    // {"keys":[{...},...]}
//   auto set = tessera::jose::parse_jwks(text);                      // for a verifier
//   if (set) keys = std::move(set->keys);
//
// Only public members are ever written. Reading is strict about the document and lenient
// about its members: keys that cannot be used here (encryption keys, other curves, unknown
// types, RSA without "alg") are skipped and counted, as RFC 7517 section 5 asks.
#pragma once

#include <boost/json/object.hpp>
#include <expected>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "jose/evp_key.h"
#include "jose/signing_key.h"

namespace tessera::jose {

boost::json::object jwks_document(std::span<const std::shared_ptr<const EvpKey>> keys);

struct ParsedJwks {
  KeySet keys;
  std::size_t used = 0;
  std::size_t skipped = 0;
};

// Refuses what is not a JWKS at all (not strict JSON, no "keys" array, over 64 KiB or 100
// keys), or a set with two usable keys under one kid; skips keys it cannot use.
std::expected<ParsedJwks, std::string> parse_jwks(std::string_view text);

}  // namespace tessera::jose
