#include "jose/key_seal.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <memory>

namespace tessera::jose {
namespace {

constexpr unsigned char kVersion = 0x01;
constexpr std::size_t kKeyBytes = 32;
constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;
constexpr std::string_view kSealingPurpose = "tessera signing-key encryption v1";

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

unsigned char* out_bytes(std::string& s, std::size_t offset = 0) {
  return reinterpret_cast<unsigned char*>(s.data()) + offset;
}
const unsigned char* in_bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::expected<std::string, std::string> hkdf_sha256(std::string_view secret,
                                                    std::string_view purpose) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_HKDF, nullptr);
  if (kdf == nullptr) return std::unexpected("OpenSSL has no HKDF");
  std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)> ctx(EVP_KDF_CTX_new(kdf),
                                                                &EVP_KDF_CTX_free);
  EVP_KDF_free(kdf);
  char digest[] = "SHA256";
  std::string info(purpose);
  std::string key_material(secret);
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, key_material.data(),
                                        key_material.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_end(),
  };
  std::string out(kKeyBytes, '\0');
  const bool ok = ctx && EVP_KDF_derive(ctx.get(), out_bytes(out), out.size(), params) == 1;
  OPENSSL_cleanse(key_material.data(), key_material.size());
  if (!ok) return std::unexpected("OpenSSL could not derive the key-encryption key");
  return out;
}

}  // namespace

std::expected<KeySealer, std::string> KeySealer::from_secret(std::string_view secret) {
  if (secret.size() < kMinSecretBytes) {
    return std::unexpected("a key-encryption key must be at least 32 bytes");
  }
  auto key = hkdf_sha256(secret, kSealingPurpose);
  if (!key) return std::unexpected(key.error());
  return KeySealer(std::move(*key));
}

KeySealer::KeySealer(KeySealer&&) noexcept = default;
KeySealer& KeySealer::operator=(KeySealer&&) noexcept = default;
KeySealer::~KeySealer() { OPENSSL_cleanse(key_.data(), key_.size()); }

std::expected<std::string, std::string> KeySealer::seal(std::string_view plaintext,
                                                        std::string_view associated_data,
                                                        core::Random& random) const {
  const std::string nonce = core::random_bytes(random, kNonceBytes);
  std::string out(1 + kNonceBytes + plaintext.size() + kTagBytes, '\0');
  out[0] = static_cast<char>(kVersion);
  out.replace(1, kNonceBytes, nonce);
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int n = 0;
  int m = 0;
  const bool ok = ctx &&
                  EVP_EncryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), in_bytes(key_), in_bytes(nonce),
                                      nullptr) == 1 &&
                  EVP_EncryptUpdate(ctx.get(), nullptr, &n, in_bytes(associated_data),
                                    static_cast<int>(associated_data.size())) == 1 &&
                  EVP_EncryptUpdate(ctx.get(), out_bytes(out, 1 + kNonceBytes), &n,
                                    in_bytes(plaintext), static_cast<int>(plaintext.size())) == 1 &&
                  EVP_EncryptFinal_ex(ctx.get(), out_bytes(out, 1 + kNonceBytes + n), &m) == 1 &&
                  static_cast<std::size_t>(n + m) == plaintext.size() &&
                  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                                      out_bytes(out, 1 + kNonceBytes + plaintext.size())) == 1;
  if (!ok) {
    ERR_clear_error();
    return std::unexpected("OpenSSL could not encrypt");
  }
  return out;
}

std::expected<std::string, std::string> KeySealer::open(std::string_view sealed,
                                                        std::string_view associated_data) const {
  const std::string failure = "cannot decrypt: wrong key-encryption key, or the data was altered";
  if (sealed.size() < 1 + kNonceBytes + kTagBytes ||
      static_cast<unsigned char>(sealed[0]) != kVersion) {
    return std::unexpected(failure);
  }
  const std::string_view nonce = sealed.substr(1, kNonceBytes);
  const std::string_view ciphertext =
      sealed.substr(1 + kNonceBytes, sealed.size() - 1 - kNonceBytes - kTagBytes);
  std::string tag(sealed.substr(sealed.size() - kTagBytes));
  std::string out(ciphertext.size(), '\0');
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int n = 0;
  int m = 0;
  const bool ok =
      ctx &&
      EVP_DecryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), in_bytes(key_), in_bytes(nonce), nullptr) ==
          1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &n, in_bytes(associated_data),
                        static_cast<int>(associated_data.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), out_bytes(out), &n, in_bytes(ciphertext),
                        static_cast<int>(ciphertext.size())) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), out_bytes(out, static_cast<std::size_t>(n)), &m) == 1;
  if (!ok) {
    ERR_clear_error();
    OPENSSL_cleanse(out.data(), out.size());
    return std::unexpected(failure);
  }
  out.resize(static_cast<std::size_t>(n + m));
  return out;
}

std::expected<std::string, std::string> KeySealer::derive_key(std::string_view purpose) const {
  return hkdf_sha256(key_, purpose);
}

}  // namespace tessera::jose
