#include "jose/algorithm.h"

#include <array>
#include <utility>

namespace tessera::jose {
namespace {

constexpr std::array<std::pair<Algorithm, std::string_view>, 5> kNames{{
    {Algorithm::kHS256, "HS256"},
    {Algorithm::kEdDSA, "EdDSA"},
    {Algorithm::kES256, "ES256"},
    {Algorithm::kRS256, "RS256"},
    {Algorithm::kPS256, "PS256"},
}};

}  // namespace

std::string_view name(Algorithm alg) {
  for (const auto& [a, n] : kNames) {
    if (a == alg) return n;
  }
  return "?";
}

std::optional<Algorithm> parse_algorithm(std::string_view text) {
  for (const auto& [a, n] : kNames) {
    if (n == text) return a;
  }
  return std::nullopt;
}

}  // namespace tessera::jose
