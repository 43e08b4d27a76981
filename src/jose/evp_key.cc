#include "jose/evp_key.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <boost/json/serialize.hpp>

#include "core/base64.h"

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
struct EcdsaSigDeleter {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;
using Bn = std::unique_ptr<BIGNUM, BnDeleter>;
using EcdsaSig = std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter>;

// P-256 coordinates and scalars are 32 bytes; an ES256 signature is R || S (RFC 7518 3.4).
constexpr int kP256Bytes = 32;

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

Pkey generate_pkey(Algorithm alg) {
  switch (alg) {
    case Algorithm::kEdDSA: return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    case Algorithm::kES256: return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    case Algorithm::kRS256:
    case Algorithm::kPS256:
      return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048)));
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

// The public JWK members that RFC 7638 section 3.2 requires for each key type.
std::expected<json::object, std::string> public_members(Algorithm alg, EVP_PKEY* pkey) {
  json::object jwk;
  switch (alg) {
    case Algorithm::kEdDSA: {
      unsigned char raw[32];
      std::size_t n = sizeof raw;
      if (EVP_PKEY_get_raw_public_key(pkey, raw, &n) != 1 || n != sizeof raw) break;
      jwk["crv"] = "Ed25519";
      jwk["kty"] = "OKP";
      jwk["x"] = core::base64url_encode(std::string_view(reinterpret_cast<char*>(raw), n));
      return jwk;
    }
    case Algorithm::kES256: {
      BIGNUM* x = nullptr;
      BIGNUM* y = nullptr;
      const bool ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
                      EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1;
      Bn bx(x), by(y);
      if (!ok) break;
      jwk["crv"] = "P-256";
      jwk["kty"] = "EC";
      jwk["x"] = core::base64url_encode(bn_bytes(x, kP256Bytes));
      jwk["y"] = core::base64url_encode(bn_bytes(y, kP256Bytes));
      return jwk;
    }
    case Algorithm::kRS256:
    case Algorithm::kPS256: {
      BIGNUM* n = nullptr;
      BIGNUM* e = nullptr;
      const bool ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) == 1 &&
                      EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) == 1;
      Bn bn(n), be(e);
      if (!ok) break;
      jwk["e"] = core::base64url_encode(bn_bytes(e, 0));
      jwk["kty"] = "RSA";
      jwk["n"] = core::base64url_encode(bn_bytes(n, 0));
      return jwk;
    }
    case Algorithm::kHS256: break;
  }
  return std::unexpected("cannot read the public key");
}

// RFC 7638: SHA-256 over the required members, keys in lexicographic order, no whitespace.
// boost::json keeps insertion order and public_members inserts them sorted.
std::string thumbprint(const json::object& required_members) {
  const std::string canonical = json::serialize(required_members);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(canonical.data(), canonical.size(), md, &n, EVP_sha256(), nullptr) != 1) return {};
  return core::base64url_encode(std::string_view(reinterpret_cast<char*>(md), n));
}

// OpenSSL writes ECDSA signatures as DER; JWS wants fixed-width R || S.
std::string der_to_raw_ecdsa(std::string_view der) {
  const unsigned char* p = bytes(der);
  EcdsaSig sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return {};
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  return bn_bytes(r, kP256Bytes) + bn_bytes(s, kP256Bytes);
}

std::string raw_to_der_ecdsa(std::string_view raw) {
  if (raw.size() != 2 * kP256Bytes) return {};
  Bn r(BN_bin2bn(bytes(raw), kP256Bytes, nullptr));
  Bn s(BN_bin2bn(bytes(raw) + kP256Bytes, kP256Bytes, nullptr));
  if (!r || !s || BN_is_zero(r.get()) || BN_is_zero(s.get())) return {};
  EcdsaSig sig(ECDSA_SIG_new());
  if (!sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return {};
  r.release();  // owned by sig now
  s.release();
  unsigned char* der = nullptr;
  const int n = i2d_ECDSA_SIG(sig.get(), &der);
  if (n <= 0) return {};
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

}  // namespace

struct EvpKey::Impl {
  Pkey pkey;
};

EvpKey::EvpKey(Algorithm alg, std::unique_ptr<Impl> impl) : alg_(alg), impl_(std::move(impl)) {}

EvpKey::~EvpKey() = default;

std::expected<std::shared_ptr<EvpKey>, std::string> EvpKey::generate(Algorithm alg) {
  if (alg == Algorithm::kHS256) return std::unexpected("HS256 is not an asymmetric algorithm");
  auto impl = std::make_unique<Impl>();
  impl->pkey = generate_pkey(alg);
  if (!impl->pkey) return std::unexpected("OpenSSL could not generate a key");
  auto members = public_members(alg, impl->pkey.get());
  if (!members) return std::unexpected(members.error());
  std::shared_ptr<EvpKey> key(new EvpKey(alg, std::move(impl)));
  key->kid_ = thumbprint(*members);
  if (key->kid_.empty()) return std::unexpected("OpenSSL could not hash the public key");
  key->public_jwk_ = std::move(*members);
  key->public_jwk_["kid"] = key->kid_;
  key->public_jwk_["alg"] = name(alg);
  key->public_jwk_["use"] = "sig";
  return key;
}

std::expected<std::string, Error> EvpKey::sign(std::string_view signing_input) const {
  MdCtx ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx ||
      EVP_DigestSignInit(ctx.get(), &pctx, digest_for(alg_), nullptr, impl_->pkey.get()) != 1 ||
      (alg_ == Algorithm::kPS256 && !configure_pss(pctx))) {
    return std::unexpected(Error::kInternal);
  }
  std::size_t n = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &n, bytes(signing_input), signing_input.size()) != 1) {
    return std::unexpected(Error::kInternal);
  }
  std::string sig(n, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &n,
                     bytes(signing_input), signing_input.size()) != 1) {
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
  std::string der;
  if (alg_ == Algorithm::kES256) {
    der = raw_to_der_ecdsa(signature);
    if (der.empty()) return false;
    signature = der;
  } else if (alg_ == Algorithm::kEdDSA && signature.size() != 64) {
    return false;
  }
  MdCtx ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx ||
      EVP_DigestVerifyInit(ctx.get(), &pctx, digest_for(alg_), nullptr, impl_->pkey.get()) != 1 ||
      (alg_ == Algorithm::kPS256 && !configure_pss(pctx))) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(), bytes(signing_input),
                          signing_input.size()) == 1;
}

}  // namespace tessera::jose
