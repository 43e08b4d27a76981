#include "jose/signing_key.h"

namespace tessera::jose {

void KeySet::add(std::shared_ptr<const VerificationKey> key) { keys_.push_back(std::move(key)); }

const VerificationKey* KeySet::find(std::string_view kid, Algorithm alg) const {
  const VerificationKey* only = nullptr;
  std::size_t candidates = 0;
  for (const auto& key : keys_) {
    if (key->algorithm() != alg) continue;
    if (!kid.empty()) {
      if (key->kid() == kid) return key.get();
      continue;
    }
    only = key.get();
    ++candidates;
  }
  return candidates == 1 ? only : nullptr;
}

}  // namespace tessera::jose
