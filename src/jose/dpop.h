// DPoP proofs (RFC 9449 section 4): a JWT the client signs with a key it holds, carrying the
// public half in its header, made afresh for each request. This reads one and checks what it
// proves by itself: its shape (section 4.2), that the key in "jwk" is public and of an allowed
// algorithm, and that it signed the proof. Whether the proof fits the request (method, URL,
// time, access token, replay) is for the caller, who knows the request (oauth/dpop.h,
// tessera::verify).
//
//   const tessera::jose::Algorithm allowed[] = {Algorithm::kEdDSA, Algorithm::kES256};
//   auto proof = tessera::jose::read_dpop_proof(header_value, allowed);
//   if (!proof) return invalid_dpop_proof(proof.error());   // e.g. "the jwk holds a private key"
//   proof->jkt;                                             // RFC 7638 thumbprint of its key
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "jose/algorithm.h"

namespace tessera::jose {

struct DpopProof {
  std::string jkt;  // the RFC 7638 SHA-256 thumbprint of the key in "jwk", base64url
  Algorithm alg = Algorithm::kEdDSA;
  std::string jti;
  std::string htm;
  std::string htu;
  std::int64_t iat = 0;              // Unix seconds
  std::optional<std::string> ath;    // base64url SHA-256 of the access token, when sent
  std::optional<std::string> nonce;  // a server-provided nonce, when sent
};

// The longest proof read: a proof with an RSA-4096 key in its header is about 1.5 KiB.
inline constexpr std::size_t kMaxDpopProofBytes = 4096;
// The longest jti accepted (RFC 9449 section 4.2 asks for 96 random bits or more).
inline constexpr std::size_t kMaxDpopJtiBytes = 256;

// The proof's fields when it is a well-formed DPoP proof signed by the key in its header; a
// reason to show the client otherwise. "alg" may also be "Ed25519" (RFC 9864), read as EdDSA.
// `allowed` never includes HS256 (a symmetric key cannot prove possession to anyone but its
// holder): it is refused even if listed.
std::expected<DpopProof, std::string> read_dpop_proof(std::string_view proof,
                                                      std::span<const Algorithm> allowed);

// The request a proof came with (RFC 9449 section 4.3, items 8 to 12).
struct DpopContext {
  std::string_view method;  // "GET", "POST"
  // The request's URL as the client addressed it (scheme, host, port, path); any query is
  // ignored.
  std::string_view url;
  // At a resource: the access token presented, whose hash the proof's ath must be; empty at
  // the token endpoint, where ath is not looked at.
  std::string_view access_token;
  std::int64_t now = 0;  // Unix seconds
  // How old a proof's iat may be, and how far ahead of `now` (section 11.1).
  std::chrono::seconds max_age{60};
  std::chrono::seconds leeway{5};
};

// Whether `proof` was made for this request: htm the method, htu the URL (both normalised),
// iat within the window, ath the token's hash. The reason otherwise. What it cannot tell is
// whether the proof was used before: that is the caller's replay cache.
std::expected<void, std::string> check_dpop_fit(const DpopProof& proof, const DpopContext& context);

// The "htu" of a request to `url`, normalised for comparison (RFC 9449 section 4.3 item 9:
// RFC 3986 sections 6.2.2 and 6.2.3): scheme and host lower-cased, the scheme's default port,
// query and fragment dropped, an empty path as "/". Empty when `url` is not an absolute http
// or https URL.
std::string normalized_htu(std::string_view url);

}  // namespace tessera::jose
