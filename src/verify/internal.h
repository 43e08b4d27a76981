// What the pieces of tessera::verify share, behind the public header.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <string>
#include <vector>

#include "jose/algorithm.h"
#include "jose/jwt.h"
#include "jose/signing_key.h"
#include "tessera/verify.h"

namespace tessera {

struct Claims::Impl {
  std::string subject;
  std::string client_id;
  std::string issuer;
  std::string jti;
  std::vector<std::string> scopes;
  std::int64_t expires_at = 0;
  std::int64_t issued_at = 0;
  // The payload exactly as the token carries it. string_claim() reads it again when asked:
  // keeping a parsed copy would cost every verification an allocation per member.
  std::string json;
  std::string jkt;  // cnf.jkt, empty for a bearer token
};

struct KeySet::Impl {
  jose::KeySet keys;
  std::size_t size = 0;
};

namespace detail {

// Names to algorithms; HS256 and unknown names are refused with a one-line reason.
std::expected<std::vector<jose::Algorithm>, std::string> parse_algorithms(
    const std::vector<std::string>& names);

// The token's own checks, bound or not.
std::expected<Claims, VerifyError> verify_with(std::string_view token, const jose::KeySet& keys,
                                               const jose::JwtPolicy& policy,
                                               std::chrono::system_clock::time_point now);

// verify_with for a bearer token: a DPoP-bound one is kDpopRequired.
std::expected<Claims, VerifyError> verify_bearer(std::string_view token, const jose::KeySet& keys,
                                                 const jose::JwtPolicy& policy,
                                                 std::chrono::system_clock::time_point now);

// A DPoP-bound token and its proof, as verify_dpop() documents; `replay_key` and
// `replay_until` (Unix seconds) say what to remember to refuse the proof again.
struct DpopVerified {
  Claims claims;
  std::string replay_key;
  std::int64_t replay_until = 0;
};
std::expected<DpopVerified, VerifyError> verify_dpop_with(
    std::string_view token, const DpopRequest& request, const jose::KeySet& keys,
    const jose::JwtPolicy& policy, std::chrono::system_clock::time_point now);

}  // namespace detail
}  // namespace tessera
