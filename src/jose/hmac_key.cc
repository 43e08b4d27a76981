#include "jose/hmac_key.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstdint>

#include "core/base64.h"
#include "jose/thread_copies.h"

namespace tessera::jose {
namespace {

constexpr std::size_t kMacBytes = 32;

struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};
using MacCtx = std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter>;

// A context initialised with the key once; every MAC starts from a copy of it, which skips
// the algorithm fetch and key setup each time.
MacCtx make_keyed_ctx(std::string_view secret) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
  if (mac == nullptr) return nullptr;
  MacCtx ctx(EVP_MAC_CTX_new(mac));
  EVP_MAC_free(mac);  // the context keeps its own reference
  if (!ctx) return nullptr;
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
                   params) != 1) {
    return nullptr;
  }
  return ctx;
}

// Each thread keeps working copies of the last two keys' contexts (the tokens' key and the
// verified-secret cache's, in the seed's HS256 mode) and restarts one for every MAC
// (EVP_MAC_init with no key reuses the key already set): no allocation and no key setup per
// token.
bool mac(const EVP_MAC_CTX* keyed, std::uint64_t key_number, std::string_view data,
         unsigned char (&out)[kMacBytes]) {
  thread_local ThreadCopies<MacCtx, 2> copies;
  EVP_MAC_CTX* ctx = copies.get(key_number, [&] { return EVP_MAC_CTX_dup(keyed); });
  if (ctx == nullptr) return false;
  std::size_t n = 0;
  const bool ok =
      EVP_MAC_init(ctx, nullptr, 0, nullptr) == 1 &&
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1 &&
      EVP_MAC_final(ctx, out, &n, kMacBytes) == 1 && n == kMacBytes;
  if (!ok) copies.forget(key_number);  // start from the keyed context next time
  return ok;
}

}  // namespace

struct HmacKey::Impl {
  MacCtx keyed;
  std::uint64_t number = next_key_number();
};

HmacKey::HmacKey(std::unique_ptr<Impl> impl, std::string kid)
    : impl_(std::move(impl)), kid_(std::move(kid)) {}

HmacKey::~HmacKey() = default;

std::expected<std::shared_ptr<HmacKey>, std::string> HmacKey::create(std::string_view secret) {
  if (secret.size() < kMinSecretBytes) {
    return std::unexpected("an HS256 secret must be at least 32 bytes");
  }
  auto impl = std::make_unique<Impl>();
  impl->keyed = make_keyed_ctx(secret);
  if (!impl->keyed) return std::unexpected("OpenSSL could not set up HMAC-SHA256");
  // The kid is a MAC of a fixed label: it names this secret and reveals nothing about it.
  unsigned char id[kMacBytes];
  if (!mac(impl->keyed.get(), impl->number, "tessera HS256 key id", id)) {
    return std::unexpected("OpenSSL could not compute HMAC-SHA256");
  }
  std::string kid = core::base64url_encode(std::string_view(reinterpret_cast<char*>(id), 12));
  return std::shared_ptr<HmacKey>(new HmacKey(std::move(impl), std::move(kid)));
}

std::expected<std::string, Error> HmacKey::sign(std::string_view signing_input) const {
  unsigned char out[kMacBytes];
  if (!mac(impl_->keyed.get(), impl_->number, signing_input, out)) {
    return std::unexpected(Error::kInternal);
  }
  return std::string(reinterpret_cast<char*>(out), kMacBytes);
}

bool HmacKey::verify(std::string_view signing_input, std::string_view signature) const {
  unsigned char expected[kMacBytes];
  if (signature.size() != kMacBytes ||
      !mac(impl_->keyed.get(), impl_->number, signing_input, expected)) {
    return false;
  }
  return CRYPTO_memcmp(expected, signature.data(), kMacBytes) == 0;
}

}  // namespace tessera::jose
