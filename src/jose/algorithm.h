// JWS algorithms Tessera knows (RFC 7518 section 3, RFC 8037 section 3.1).
// Names are matched exactly and case-sensitively: "none", "hs256" or "EDDSA" are not ours.
#pragma once

#include <optional>
#include <string_view>

namespace tessera::jose {

enum class Algorithm { kHS256, kEdDSA, kES256, kRS256, kPS256 };

std::string_view name(Algorithm alg);
std::optional<Algorithm> parse_algorithm(std::string_view name);

}  // namespace tessera::jose
