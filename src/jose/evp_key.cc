#include "jose/evp_key.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <boost/json/serialize.hpp>
#include <cstdint>

#include "core/base64.h"
#include "jose/thread_copies.h"

namespace tessera::jose {
namespace {

namespace json = boost::json;

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BnDeleter {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct BnCtxDeleter {
  void operator()(BN_CTX* p) const { BN_CTX_free(p); }
};
struct EcdsaSigDeleter {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
struct ParamBldDeleter {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamDeleter {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct EncoderCtxDeleter {
  void operator()(OSSL_ENCODER_CTX* p) const { OSSL_ENCODER_CTX_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;
using Bn = std::unique_ptr<BIGNUM, BnDeleter>;
using EcdsaSig = std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter>;
using ParamBld = std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter>;
using Params = std::unique_ptr<OSSL_PARAM, ParamDeleter>;

// P-256 coordinates and scalars are 32 bytes; an ES256 signature is R || S (RFC 7518 3.4).
constexpr int kP256Bytes = 32;
constexpr int kEd25519Bytes = 32;
constexpr int kMinRsaBits = 2048;
// Beyond this, an imported RSA key only costs time: 16384 bits is the most anyone uses.
constexpr int kMaxRsaBits = 16384;

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string bn_bytes(const BIGNUM* bn, int width) {
  std::string out(static_cast<std::size_t>(width > 0 ? width : BN_num_bytes(bn)), '\0');
  if (BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size())) <
      0) {
    return {};
  }
  return out;
}

// The order n of P-256 and n/2, for the range and low-S rules.
struct P256Order {
  Bn n;
  Bn half;
};

const P256Order& p256_order() {
  static const P256Order order = [] {
    P256Order o;
    EC_GROUP* group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    if (group != nullptr) {
      o.n.reset(BN_dup(EC_GROUP_get0_order(group)));
      o.half.reset(BN_dup(o.n.get()));
      if (o.half) BN_rshift1(o.half.get(), o.half.get());
      EC_GROUP_free(group);
    }
    return o;
  }();
  return order;
}

Pkey generate_pkey(Algorithm alg) {
  switch (alg) {
    case Algorithm::kEdDSA: return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    case Algorithm::kES256: return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    case Algorithm::kRS256:
    case Algorithm::kPS256:
      return Pkey(
          EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(kMinRsaBits)));
    case Algorithm::kHS256: break;
  }
  return nullptr;
}

const EVP_MD* digest_for(Algorithm alg) {
  // Ed25519 hashes internally and takes no digest (RFC 8032).
  return alg == Algorithm::kEdDSA ? nullptr : EVP_sha256();
}

// RFC 7518 section 3.5: RSASSA-PSS with SHA-256, MGF1 with SHA-256, salt as long as the hash.
bool configure_pss(EVP_PKEY_CTX* pctx) {
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1;
}

// A context set up for one operation on `pkey`, to be copied for each use.
MdCtx make_template(Algorithm alg, EVP_PKEY* pkey, bool for_signing) {
  MdCtx ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx) return nullptr;
  const int ok = for_signing
                     ? EVP_DigestSignInit(ctx.get(), &pctx, digest_for(alg), nullptr, pkey)
                     : EVP_DigestVerifyInit(ctx.get(), &pctx, digest_for(alg), nullptr, pkey);
  if (ok != 1 || (alg == Algorithm::kPS256 && !configure_pss(pctx))) {
    ERR_clear_error();
    return nullptr;
  }
  return ctx;
}

// SHA-256 fetched once: EVP_sha256() makes every digest look the provider up again.
const EVP_MD* sha256_md() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

// For ES256, RS256 and PS256: a context set up to verify a SHA-256 digest with `pkey`
// (EVP_PKEY_verify), to be copied once per thread. EdDSA hashes inside the signature
// scheme and has no such operation.
PkeyCtx make_digest_verify_template(Algorithm alg, EVP_PKEY* pkey) {
  if (alg == Algorithm::kEdDSA || sha256_md() == nullptr) return nullptr;
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  bool ok = true;
  if (alg == Algorithm::kRS256) {
    ok = EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) == 1;
  } else if (alg == Algorithm::kPS256) {
    ok = configure_pss(ctx.get());
  }
  ok = ok && EVP_PKEY_CTX_set_signature_md(ctx.get(), sha256_md()) == 1;
  if (!ok) {
    ERR_clear_error();
    return nullptr;
  }
  return ctx;
}

// Each thread keeps copies of the verify contexts of the keys it used last, so that a
// verification sets nothing up (EVP_PKEY_verify keeps no state between calls).
EVP_PKEY_CTX* thread_verify_ctx(std::uint64_t key_number, const EVP_PKEY_CTX* key_template) {
  thread_local ThreadCopies<PkeyCtx, 4> copies;
  return copies.get(key_number,
                    [&] { return EVP_PKEY_CTX_dup(const_cast<EVP_PKEY_CTX*>(key_template)); });
}

MdCtx copy_of(const EVP_MD_CTX* source) {
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_MD_CTX_copy_ex(ctx.get(), source) != 1) return nullptr;
  return ctx;
}

std::string rsa_or_ec_member(EVP_PKEY* pkey, const char* name, int width) {
  BIGNUM* v = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &v) != 1) return {};
  Bn owned(v);
  return core::base64url_encode(bn_bytes(v, width));
}

// The public JWK members that RFC 7638 section 3.2 requires for each key type, inserted in
// lexicographic order so that serializing them gives the thumbprint input directly.
std::expected<json::object, std::string> public_members(Algorithm alg, EVP_PKEY* pkey) {
  json::object jwk;
  switch (alg) {
    case Algorithm::kEdDSA: {
      unsigned char raw[kEd25519Bytes];
      std::size_t n = sizeof raw;
      if (EVP_PKEY_get_raw_public_key(pkey, raw, &n) != 1 || n != sizeof raw) break;
      jwk["crv"] = "Ed25519";
      jwk["kty"] = "OKP";
      jwk["x"] = core::base64url_encode(std::string_view(reinterpret_cast<char*>(raw), n));
      return jwk;
    }
    case Algorithm::kES256: {
      std::string x = rsa_or_ec_member(pkey, OSSL_PKEY_PARAM_EC_PUB_X, kP256Bytes);
      std::string y = rsa_or_ec_member(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, kP256Bytes);
      if (x.empty() || y.empty()) break;
      jwk["crv"] = "P-256";
      jwk["kty"] = "EC";
      jwk["x"] = x;
      jwk["y"] = y;
      return jwk;
    }
    case Algorithm::kRS256:
    case Algorithm::kPS256: {
      std::string n = rsa_or_ec_member(pkey, OSSL_PKEY_PARAM_RSA_N, 0);
      std::string e = rsa_or_ec_member(pkey, OSSL_PKEY_PARAM_RSA_E, 0);
      if (n.empty() || e.empty()) break;
      jwk["e"] = e;
      jwk["kty"] = "RSA";
      jwk["n"] = n;
      return jwk;
    }
    case Algorithm::kHS256: break;
  }
  return std::unexpected("cannot read the public key");
}

// OpenSSL writes ECDSA signatures as DER; JWS wants fixed-width R || S, and we write low S.
std::string der_to_raw_ecdsa(std::string_view der) {
  const unsigned char* p = bytes(der);
  EcdsaSig sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return {};
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  const P256Order& order = p256_order();
  if (!order.n) return {};
  std::string out = bn_bytes(r, kP256Bytes);
  if (BN_cmp(s, order.half.get()) > 0) {
    // (r, n - s) is the same signature's other valid form.
    Bn low(BN_new());
    if (!low || BN_sub(low.get(), order.n.get(), s) != 1) return {};
    return out + bn_bytes(low.get(), kP256Bytes);
  }
  return out + bn_bytes(s, kP256Bytes);
}

// An ECDSA P-256 signature in DER is at most 72 bytes: SEQUENCE { INTEGER r, INTEGER s }, each
// integer up to 33 bytes with its sign byte.
constexpr std::size_t kMaxEcdsaDerBytes = 80;

// R || S to DER in `out`, refusing R or S outside [1, n-1] (SEC 1 section 4.1.4 step 1).
// Returns the DER length, 0 when refused.
std::size_t raw_to_der_ecdsa(std::string_view raw, unsigned char (&out)[kMaxEcdsaDerBytes]) {
  if (raw.size() != 2 * kP256Bytes) return 0;
  const P256Order& order = p256_order();
  Bn r(BN_bin2bn(bytes(raw), kP256Bytes, nullptr));
  Bn s(BN_bin2bn(bytes(raw) + kP256Bytes, kP256Bytes, nullptr));
  if (!r || !s || !order.n || BN_is_zero(r.get()) || BN_is_zero(s.get()) ||
      BN_cmp(r.get(), order.n.get()) >= 0 || BN_cmp(s.get(), order.n.get()) >= 0) {
    return 0;
  }
  EcdsaSig sig(ECDSA_SIG_new());
  if (!sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return 0;
  r.release();  // owned by sig now
  s.release();
  if (i2d_ECDSA_SIG(sig.get(), nullptr) > static_cast<int>(sizeof out)) return 0;
  unsigned char* p = out;
  const int n = i2d_ECDSA_SIG(sig.get(), &p);
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

// --- JWK import -------------------------------------------------------------------------

// A base64url member as bytes; `width` > 0 demands exactly that many bytes.
std::expected<std::optional<std::string>, std::string> member(const json::object& jwk,
                                                              std::string_view name, int width,
                                                              bool required) {
  const json::value* v = jwk.if_contains(name);
  if (v == nullptr) {
    if (required) return std::unexpected("the JWK has no \"" + std::string(name) + "\"");
    return std::nullopt;
  }
  if (!v->is_string()) return std::unexpected("\"" + std::string(name) + "\" is not a string");
  auto decoded = core::base64url_decode(v->get_string());
  if (!decoded || decoded->empty()) {
    return std::unexpected("\"" + std::string(name) + "\" is not base64url");
  }
  if (width > 0 && decoded->size() != static_cast<std::size_t>(width)) {
    return std::unexpected("\"" + std::string(name) + "\" has the wrong length");
  }
  return decoded;
}

Pkey pkey_from_params(const char* type, OSSL_PARAM_BLD* bld, bool with_private) {
  Params params(OSSL_PARAM_BLD_to_param(bld));
  if (!params) return nullptr;
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, with_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                        params.get()) != 1) {
    return nullptr;
  }
  return Pkey(pkey);
}

bool push_bn(OSSL_PARAM_BLD* bld, const char* name, const std::string& value,
             std::vector<Bn>& keep) {
  Bn bn(BN_bin2bn(bytes(value), static_cast<int>(value.size()), nullptr));
  if (!bn || OSSL_PARAM_BLD_push_BN(bld, name, bn.get()) != 1) return false;
  keep.push_back(std::move(bn));
  return true;
}

// Whether a 32-byte Ed25519 public key is one a signature cannot be forged under. RFC 8032
// section 5.1.3 reads the low 255 bits as y, which must be below p = 2^255 - 19, or the
// encoding is not canonical. The eight points of small order (orders 1, 2, 4 and 8) have y = 0,
// 1, p - 1 or one of the two values below, with either sign of x; under such a key a
// signature verifies without the private key (tests/data/jwk_degenerate_keys.py derives them).
bool is_sound_ed25519_public_key(std::string_view raw) {
  static constexpr unsigned char kP[32] = {0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                           0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                           0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                           0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
  static constexpr unsigned char kSmallOrderY[][32] = {
      {0},
      {1},
      {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
      {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
       0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6,
       0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
      {0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b,
       0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39,
       0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a}};
  if (raw.size() != kEd25519Bytes) return false;
  unsigned char y[kEd25519Bytes];
  std::memcpy(y, raw.data(), sizeof y);
  y[kEd25519Bytes - 1] &= 0x7f;  // the sign of x
  // Little-endian: compare from the most significant byte down.
  for (int i = kEd25519Bytes - 1; i >= 0; --i) {
    if (y[i] < kP[i]) break;
    if (y[i] > kP[i] || i == 0) return false;  // y > p, or y == p
  }
  for (const auto& small : kSmallOrderY) {
    if (std::memcmp(y, small, sizeof y) == 0) return false;
  }
  return true;
}

// NIST SP 800-56B Rev. 2 section 6.2.1: the public exponent is odd and 2^16 < e < 2^256. A
// small e (e = 1 makes a signature of its own padded digest) or an even one gives no RSA
// signature; the public exponent of every RSA key made in practice is 65537.
bool is_sound_rsa_exponent(std::string_view e) {
  while (!e.empty() && e.front() == '\0') e.remove_prefix(1);
  if (e.empty() || e.size() > 32 || (static_cast<unsigned char>(e.back()) & 1) == 0) return false;
  // Odd and above 2^16 means at least 65537: three bytes or more, the first of them nonzero.
  return e.size() >= 3;
}

std::expected<Pkey, std::string> okp_key(const json::object& jwk) {
  const json::value* crv = jwk.if_contains("crv");
  if (crv == nullptr || !crv->is_string() || crv->get_string() != "Ed25519") {
    return std::unexpected("only the Ed25519 curve is supported for OKP keys");
  }
  auto x = member(jwk, "x", kEd25519Bytes, true);
  if (!x) return std::unexpected(x.error());
  auto d = member(jwk, "d", kEd25519Bytes, false);
  if (!d) return std::unexpected(d.error());
  if (!is_sound_ed25519_public_key(**x)) {
    return std::unexpected("\"x\" is a point of small order or not a canonical encoding");
  }
  if (!*d) {
    Pkey pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes(**x), (*x)->size()));
    if (!pkey) return std::unexpected("\"x\" is not an Ed25519 public key");
    return pkey;
  }
  Pkey pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes(**d), (*d)->size()));
  if (!pkey) return std::unexpected("\"d\" is not an Ed25519 private key");
  unsigned char raw[kEd25519Bytes];
  std::size_t n = sizeof raw;
  if (EVP_PKEY_get_raw_public_key(pkey.get(), raw, &n) != 1 ||
      std::string_view(reinterpret_cast<char*>(raw), n) != **x) {
    return std::unexpected("\"x\" is not the public key of \"d\"");
  }
  return pkey;
}

std::expected<Pkey, std::string> ec_key(const json::object& jwk) {
  const json::value* crv = jwk.if_contains("crv");
  if (crv == nullptr || !crv->is_string() || crv->get_string() != "P-256") {
    return std::unexpected("only the P-256 curve is supported for EC keys");
  }
  auto x = member(jwk, "x", kP256Bytes, true);
  if (!x) return std::unexpected(x.error());
  auto y = member(jwk, "y", kP256Bytes, true);
  if (!y) return std::unexpected(y.error());
  auto d = member(jwk, "d", kP256Bytes, false);
  if (!d) return std::unexpected(d.error());
  std::string point = "\x04" + **x + **y;  // SEC 1 uncompressed point
  ParamBld bld(OSSL_PARAM_BLD_new());
  std::vector<Bn> keep;
  char group[] = "P-256";
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1 ||
      (*d && !push_bn(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, **d, keep))) {
    return std::unexpected("cannot build an EC key");
  }
  Pkey pkey = pkey_from_params("EC", bld.get(), d->has_value());
  if (!pkey) return std::unexpected("\"x\" and \"y\" are not a P-256 point");
  // The point must lie on the curve; with a private part, it must be that part's point.
  PkeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  const int ok = *d ? EVP_PKEY_pairwise_check(check.get()) : EVP_PKEY_public_check(check.get());
  if (!check || ok != 1) return std::unexpected("the EC key does not check out");
  return pkey;
}

std::expected<Pkey, std::string> rsa_key(const json::object& jwk) {
  auto n = member(jwk, "n", 0, true);
  if (!n) return std::unexpected(n.error());
  auto e = member(jwk, "e", 0, true);
  if (!e) return std::unexpected(e.error());
  if (!is_sound_rsa_exponent(**e)) {
    return std::unexpected("\"e\" must be an odd exponent from 65537 to 2^256");
  }
  auto d = member(jwk, "d", 0, false);
  if (!d) return std::unexpected(d.error());
  ParamBld bld(OSSL_PARAM_BLD_new());
  std::vector<Bn> keep;
  if (!bld || !push_bn(bld.get(), OSSL_PKEY_PARAM_RSA_N, **n, keep) ||
      !push_bn(bld.get(), OSSL_PKEY_PARAM_RSA_E, **e, keep)) {
    return std::unexpected("cannot build an RSA key");
  }
  if (*d) {
    if (!push_bn(bld.get(), OSSL_PKEY_PARAM_RSA_D, **d, keep)) {
      return std::unexpected("cannot build an RSA key");
    }
    // The CRT members come all together or not at all (RFC 7518 section 6.3.2).
    static constexpr std::pair<std::string_view, const char*> kCrt[] = {
        {"p", OSSL_PKEY_PARAM_RSA_FACTOR1},
        {"q", OSSL_PKEY_PARAM_RSA_FACTOR2},
        {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},
        {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2},
        {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1}};
    int present = 0;
    for (const auto& [name, param] : kCrt) {
      auto value = member(jwk, name, 0, false);
      if (!value) return std::unexpected(value.error());
      if (!*value) continue;
      ++present;
      if (!push_bn(bld.get(), param, **value, keep))
        return std::unexpected("cannot build an RSA key");
    }
    if (present != 0 && present != 5)
      return std::unexpected("the RSA key has some CRT members but not all");
  }
  Pkey pkey = pkey_from_params("RSA", bld.get(), d->has_value());
  if (!pkey) return std::unexpected("the RSA members do not make a key");
  const int bits = EVP_PKEY_get_bits(pkey.get());
  if (bits < kMinRsaBits || bits > kMaxRsaBits) {
    return std::unexpected("an RSA key must have 2048 to 16384 bits");
  }
  return pkey;
}

std::optional<Algorithm> algorithm_for(const json::object& jwk, std::optional<Algorithm> given,
                                       std::string_view kty, std::string& error) {
  std::optional<Algorithm> named = given;
  if (const json::value* alg = jwk.if_contains("alg")) {
    const auto parsed = alg->is_string() ? parse_algorithm(alg->get_string()) : std::nullopt;
    if (!parsed) {
      error = "the JWK's \"alg\" is not supported";
      return std::nullopt;
    }
    named = parsed;
  }
  const bool fits =
      (kty == "OKP" && (!named || *named == Algorithm::kEdDSA)) ||
      (kty == "EC" && (!named || *named == Algorithm::kES256)) ||
      (kty == "RSA" && named && (*named == Algorithm::kRS256 || *named == Algorithm::kPS256));
  if (!fits) {
    error = kty == "RSA" && !named ? "an RSA JWK needs an \"alg\" (RS256 or PS256)"
                                   : "the JWK's key type does not fit its algorithm";
    return std::nullopt;
  }
  if (named) return named;
  return kty == "OKP" ? Algorithm::kEdDSA : Algorithm::kES256;
}

bool fits(Algorithm alg, EVP_PKEY* pkey) {
  switch (alg) {
    case Algorithm::kEdDSA: return EVP_PKEY_is_a(pkey, "ED25519") == 1;
    case Algorithm::kES256: {
      char group[32] = {};
      std::size_t len = 0;
      return EVP_PKEY_is_a(pkey, "EC") == 1 &&
             EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                            &len) == 1 &&
             (std::string_view(group) == "prime256v1" || std::string_view(group) == "P-256");
    }
    case Algorithm::kRS256:
    case Algorithm::kPS256:
      return EVP_PKEY_is_a(pkey, "RSA") == 1 && EVP_PKEY_get_bits(pkey) >= kMinRsaBits &&
             EVP_PKEY_get_bits(pkey) <= kMaxRsaBits;
    case Algorithm::kHS256: break;
  }
  return false;
}

}  // namespace

struct EvpKey::Impl {
  Pkey pkey;
  bool has_private = false;
  std::uint64_t number = next_key_number();
  MdCtx sign_template;
  MdCtx verify_template;
  PkeyCtx digest_verify_template;  // all but EdDSA
};

EvpKey::EvpKey(Algorithm alg, std::unique_ptr<Impl> impl) : alg_(alg), impl_(std::move(impl)) {}

EvpKey::~EvpKey() = default;

bool EvpKey::has_private() const { return impl_->has_private; }

std::expected<std::string, std::string> jwk_thumbprint(const json::object& jwk) {
  // RFC 7638 section 3.2: the required members only, in lexicographic order, no whitespace.
  const json::value* kty = jwk.if_contains("kty");
  if (kty == nullptr || !kty->is_string()) return std::unexpected("the JWK has no \"kty\"");
  std::vector<std::string_view> names;
  if (kty->get_string() == "OKP")
    names = {"crv", "kty", "x"};
  else if (kty->get_string() == "EC")
    names = {"crv", "kty", "x", "y"};
  else if (kty->get_string() == "RSA")
    names = {"e", "kty", "n"};
  else
    return std::unexpected("the JWK's \"kty\" is not supported");
  json::object required;
  for (const std::string_view name : names) {
    const json::value* v = jwk.if_contains(name);
    if (v == nullptr || !v->is_string()) {
      return std::unexpected("the JWK has no \"" + std::string(name) + "\"");
    }
    required[name] = *v;
  }
  const std::string canonical = json::serialize(required);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(canonical.data(), canonical.size(), md, &n, sha256_md(), nullptr) != 1) {
    return std::unexpected("OpenSSL could not hash the key");
  }
  return core::base64url_encode(std::string_view(reinterpret_cast<char*>(md), n));
}

std::expected<std::shared_ptr<EvpKey>, std::string> EvpKey::finish(Algorithm alg,
                                                                   std::unique_ptr<Impl> impl,
                                                                   std::string_view kid) {
  auto members = public_members(alg, impl->pkey.get());
  if (!members) return std::unexpected(members.error());
  auto thumbprint = jwk_thumbprint(*members);
  if (!thumbprint) return std::unexpected(thumbprint.error());
  impl->verify_template = make_template(alg, impl->pkey.get(), false);
  if (!impl->verify_template) return std::unexpected("OpenSSL cannot verify with this key");
  impl->digest_verify_template = make_digest_verify_template(alg, impl->pkey.get());
  if (alg != Algorithm::kEdDSA && !impl->digest_verify_template) {
    return std::unexpected("OpenSSL cannot verify with this key");
  }
  if (impl->has_private) {
    impl->sign_template = make_template(alg, impl->pkey.get(), true);
    if (!impl->sign_template) return std::unexpected("OpenSSL cannot sign with this key");
  }
  std::shared_ptr<EvpKey> key(new EvpKey(alg, std::move(impl)));
  key->kid_ = kid.empty() ? *thumbprint : std::string(kid);
  key->public_jwk_ = std::move(*members);
  key->public_jwk_["kid"] = key->kid_;
  key->public_jwk_["alg"] = name(alg);
  key->public_jwk_["use"] = "sig";
  return key;
}

std::expected<std::shared_ptr<EvpKey>, std::string> EvpKey::generate(Algorithm alg) {
  if (alg == Algorithm::kHS256) return std::unexpected("HS256 is not an asymmetric algorithm");
  auto impl = std::make_unique<Impl>();
  impl->pkey = generate_pkey(alg);
  if (!impl->pkey) return std::unexpected("OpenSSL could not generate a key");
  impl->has_private = true;
  return finish(alg, std::move(impl), {});
}

std::expected<std::shared_ptr<EvpKey>, std::string> EvpKey::from_jwk(const json::object& jwk,
                                                                     std::optional<Algorithm> alg) {
  const json::value* kty_value = jwk.if_contains("kty");
  if (kty_value == nullptr || !kty_value->is_string())
    return std::unexpected("the JWK has no \"kty\"");
  const std::string_view kty = kty_value->get_string();
  if (const json::value* use = jwk.if_contains("use"); use != nullptr && *use != "sig") {
    return std::unexpected("the JWK is not for signatures");
  }
  std::string error;
  const auto chosen = algorithm_for(jwk, alg, kty, error);
  if (!chosen) {
    if (kty != "OKP" && kty != "EC" && kty != "RSA")
      return std::unexpected("the JWK's \"kty\" is not supported");
    return std::unexpected(error);
  }
  std::expected<Pkey, std::string> pkey = kty == "OKP"  ? okp_key(jwk)
                                          : kty == "EC" ? ec_key(jwk)
                                                        : rsa_key(jwk);
  if (!pkey) {
    ERR_clear_error();
    return std::unexpected(pkey.error());
  }
  auto impl = std::make_unique<Impl>();
  impl->pkey = std::move(*pkey);
  impl->has_private = jwk.contains("d");
  std::string kid;
  if (const json::value* k = jwk.if_contains("kid")) {
    if (!k->is_string() || k->get_string().empty())
      return std::unexpected("the JWK's \"kid\" is not a string");
    kid = k->get_string();
  }
  return finish(*chosen, std::move(impl), kid);
}

std::expected<std::string, std::string> EvpKey::private_pkcs8() const {
  if (!impl_->has_private) return std::unexpected("the key has no private part");
  std::unique_ptr<OSSL_ENCODER_CTX, EncoderCtxDeleter> ctx(OSSL_ENCODER_CTX_new_for_pkey(
      impl_->pkey.get(), EVP_PKEY_KEYPAIR, "DER", "PrivateKeyInfo", nullptr));
  unsigned char* data = nullptr;
  std::size_t len = 0;
  if (!ctx || OSSL_ENCODER_to_data(ctx.get(), &data, &len) != 1) {
    ERR_clear_error();
    return std::unexpected("OpenSSL could not encode the private key");
  }
  std::string out(reinterpret_cast<char*>(data), len);
  OPENSSL_clear_free(data, len);
  return out;
}

std::expected<std::shared_ptr<EvpKey>, std::string> EvpKey::from_pkcs8(Algorithm alg,
                                                                       std::string_view der,
                                                                       std::string_view kid) {
  const unsigned char* p = bytes(der);
  Pkey pkey(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size())));
  if (!pkey || p != bytes(der) + der.size()) {
    ERR_clear_error();
    return std::unexpected("not a PKCS#8 private key");
  }
  if (!fits(alg, pkey.get())) {
    return std::unexpected("the private key does not fit " + std::string(name(alg)));
  }
  auto impl = std::make_unique<Impl>();
  impl->pkey = std::move(pkey);
  impl->has_private = true;
  auto key = finish(alg, std::move(impl), {});
  if (key && !kid.empty() && (*key)->kid() != kid) {
    return std::unexpected("the private key does not match its kid");
  }
  return key;
}

std::expected<std::string, Error> EvpKey::sign(std::string_view signing_input) const {
  if (!impl_->sign_template) return std::unexpected(Error::kInternal);
  MdCtx ctx = copy_of(impl_->sign_template.get());
  if (!ctx) return std::unexpected(Error::kInternal);
  std::size_t n = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &n, bytes(signing_input), signing_input.size()) != 1) {
    ERR_clear_error();
    return std::unexpected(Error::kInternal);
  }
  std::string sig(n, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &n,
                     bytes(signing_input), signing_input.size()) != 1) {
    ERR_clear_error();
    return std::unexpected(Error::kInternal);
  }
  sig.resize(n);
  if (alg_ == Algorithm::kES256) {
    sig = der_to_raw_ecdsa(sig);
    if (sig.empty()) return std::unexpected(Error::kInternal);
  }
  return sig;
}

bool EvpKey::verify(std::string_view signing_input, std::string_view signature) const {
  if (alg_ == Algorithm::kEdDSA) {
    if (signature.size() != 64) return false;
    MdCtx ctx = copy_of(impl_->verify_template.get());
    if (!ctx) return false;
    const bool ok = EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(),
                                     bytes(signing_input), signing_input.size()) == 1;
    // A refused signature leaves an entry on this thread's OpenSSL error queue.
    if (!ok) ERR_clear_error();
    return ok;
  }
  unsigned char der[kMaxEcdsaDerBytes];
  const unsigned char* sig = bytes(signature);
  std::size_t sig_size = signature.size();
  if (alg_ == Algorithm::kES256) {
    sig_size = raw_to_der_ecdsa(signature, der);
    if (sig_size == 0) return false;
    sig = der;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  // One digest context per thread, restarted for each token: EVP_Digest would allocate and
  // free one every time.
  thread_local const MdCtx digest_ctx(EVP_MD_CTX_new());
  if (!digest_ctx || EVP_DigestInit_ex2(digest_ctx.get(), sha256_md(), nullptr) != 1 ||
      EVP_DigestUpdate(digest_ctx.get(), signing_input.data(), signing_input.size()) != 1 ||
      EVP_DigestFinal_ex(digest_ctx.get(), digest, &digest_size) != 1) {
    ERR_clear_error();
    return false;
  }
  EVP_PKEY_CTX* ctx = thread_verify_ctx(impl_->number, impl_->digest_verify_template.get());
  if (ctx == nullptr) return false;
  const bool ok = EVP_PKEY_verify(ctx, sig, sig_size, digest, digest_size) == 1;
  if (!ok) ERR_clear_error();
  return ok;
}

}  // namespace tessera::jose
