#include "jose/evp_key.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <atomic>
#include <boost/json/serialize.hpp>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/base64.h"
#include "jose/hmac_key.h"
#include "jose/jose_test_support.h"
#include "jose/jws.h"

namespace tessera::jose {
namespace {

using namespace testing_support;

namespace json = boost::json;

constexpr std::string_view kPayload = R"({"sub":"alice","scope":"read"})";

std::string b64_decode(std::string_view text) {
  auto bytes = core::base64url_decode(text);
  EXPECT_TRUE(bytes.has_value()) << text;
  return bytes.value_or("");
}

const unsigned char* uchars(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string member(const json::object& jwk, std::string_view name) {
  const json::value* v = jwk.if_contains(name);
  if (v == nullptr || !v->is_string()) {
    ADD_FAILURE() << "JWK has no string member " << name << ": " << json::serialize(jwk);
    return "";
  }
  return std::string(v->get_string());
}

std::string sha256_b64(std::string_view text) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EXPECT_EQ(EVP_Digest(text.data(), text.size(), md, &n, EVP_sha256(), nullptr), 1);
  return b64(std::string_view(reinterpret_cast<char*>(md), n));
}

// RFC 7638 section 3.2: the required members in lexicographic order, no whitespace. Written
// out by hand so that it does not share code with the implementation.
std::string canonical_jwk(const json::object& jwk) {
  const std::string kty = member(jwk, "kty");
  if (kty == "OKP") {
    return R"({"crv":")" + member(jwk, "crv") + R"(","kty":"OKP","x":")" + member(jwk, "x") +
           R"("})";
  }
  if (kty == "EC") {
    return R"({"crv":")" + member(jwk, "crv") + R"(","kty":"EC","x":")" + member(jwk, "x") +
           R"(","y":")" + member(jwk, "y") + R"("})";
  }
  return R"({"e":")" + member(jwk, "e") + R"(","kty":"RSA","n":")" + member(jwk, "n") + R"("})";
}

// tests/data/rfc8037_a3.txt: "name=value" lines.
std::map<std::string, std::string> rfc8037_a3() {
  std::ifstream in(std::string(TESSERA_TEST_DATA) + "/rfc8037_a3.txt");
  EXPECT_TRUE(in.is_open()) << "cannot open rfc8037_a3.txt";
  std::map<std::string, std::string> values;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.starts_with('#')) continue;
    const std::size_t eq = line.find('=');
    if (eq != std::string::npos) values[line.substr(0, eq)] = line.substr(eq + 1);
  }
  EXPECT_EQ(values.size(), 2u);
  return values;
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// An OpenSSL public key built from nothing but the JWK members: if the JWK is wrong, the
// key's own signatures do not verify under it.
Pkey pkey_from_jwk(Algorithm alg, const json::object& jwk) {
  if (alg == Algorithm::kEdDSA) {
    const std::string x = b64_decode(member(jwk, "x"));
    return Pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, uchars(x), x.size()));
  }
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  BIGNUM* n = nullptr;
  BIGNUM* e = nullptr;
  std::string point;
  const char* type = "RSA";
  if (alg == Algorithm::kES256) {
    type = "EC";
    point =
        "\x04" + b64_decode(member(jwk, "x")) + b64_decode(member(jwk, "y"));  // SEC 1 uncompressed
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  } else {
    const std::string n_bytes = b64_decode(member(jwk, "n"));
    const std::string e_bytes = b64_decode(member(jwk, "e"));
    n = BN_bin2bn(uchars(n_bytes), static_cast<int>(n_bytes.size()), nullptr);
    e = BN_bin2bn(uchars(e_bytes), static_cast<int>(e_bytes.size()), nullptr);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
  }
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* pkey = nullptr;
  if (ctx == nullptr || params == nullptr || EVP_PKEY_fromdata_init(ctx) != 1 ||
      EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    ADD_FAILURE() << "OpenSSL refused the JWK " << json::serialize(jwk);
  }
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  BN_free(n);
  BN_free(e);
  return Pkey(pkey);
}

std::string raw_to_der(std::string_view raw) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(uchars(raw), 32, nullptr),
                 BN_bin2bn(uchars(raw) + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int n = i2d_ECDSA_SIG(sig, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(std::max(n, 0)));
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

enum class RsaPadding { kPkcs1, kPss };

// Verifies as RFC 7518 says each algorithm works, with OpenSSL directly.
bool independent_verify(Algorithm alg, EVP_PKEY* pkey, std::string_view input,
                        std::string signature, RsaPadding padding) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  const EVP_MD* md = alg == Algorithm::kEdDSA ? nullptr : EVP_sha256();
  bool ok = EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, pkey) == 1;
  if (ok && alg != Algorithm::kEdDSA && alg != Algorithm::kES256 && padding == RsaPadding::kPss) {
    // RFC 7518 section 3.5: MGF1 with SHA-256 and a salt as long as the hash, 32 bytes.
    ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) == 1;
  }
  if (alg == Algorithm::kES256) signature = raw_to_der(signature);
  ok = ok &&
       EVP_DigestVerify(ctx, uchars(signature), signature.size(), uchars(input), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

RsaPadding padding_of(Algorithm alg) {
  return alg == Algorithm::kPS256 ? RsaPadding::kPss : RsaPadding::kPkcs1;
}

struct Parts {
  std::string header, payload, signature;
};

Parts split(const std::string& token) {
  const std::size_t a = token.find('.');
  const std::size_t b = token.find('.', a + 1);
  return {token.substr(0, a), token.substr(a + 1, b - a - 1), token.substr(b + 1)};
}

std::string with_signature(const std::string& token, std::string_view raw_signature) {
  const Parts p = split(token);
  return p.header + "." + p.payload + "." + b64(raw_signature);
}

std::string algorithm_test_name(const testing::TestParamInfo<Algorithm>& info) {
  return std::string(name(info.param));
}

class EvpKeyTest : public testing::TestWithParam<Algorithm> {
 protected:
  void SetUp() override {
    key_ = generated_key(GetParam());
    ASSERT_TRUE(key_);
    keys_.add(key_);
  }
  std::expected<VerifiedJws, Error> verify(std::string_view token) {
    return verify_compact(token, keys_, kEverything);
  }
  std::string token() { return sign_compact(*key_, "at+jwt", kPayload).value(); }

  std::shared_ptr<EvpKey> key_;
  KeySet keys_;
};

INSTANTIATE_TEST_SUITE_P(EachAlgorithm, EvpKeyTest, testing::ValuesIn(kAsymmetric),
                         algorithm_test_name);

TEST_P(EvpKeyTest, GeneratesAKeyForItsAlgorithm) {
  EXPECT_EQ(key_->algorithm(), GetParam());
  EXPECT_EQ(member(key_->public_jwk(), "alg"), name(GetParam()));
}

TEST_P(EvpKeyTest, GeneratesADifferentKeyEachTime) {
  auto other = EvpKey::generate(GetParam());
  ASSERT_TRUE(other.has_value()) << other.error();
  EXPECT_NE((*other)->kid(), key_->kid());
  // A token from one key does not verify under the other.
  KeySet only_other;
  only_other.add(*other);
  EXPECT_TRUE(FailsWith(verify_compact(token(), only_other, kEverything), Error::kUnknownKey));
  const Parts p = split(token());
  const std::string kidless_header = b64(R"({"alg":")" + std::string(name(GetParam())) + R"("})");
  const std::string input = kidless_header + "." + p.payload;
  const std::string kidless = input + "." + b64(key_->sign(input).value());
  EXPECT_TRUE(Succeeds(verify(kidless)));
  EXPECT_TRUE(FailsWith(verify_compact(kidless, only_other, kEverything), Error::kBadSignature));
}

// Each thread keeps the verify contexts of the keys it used last: they must never be mixed up,
// whether keys alternate, outnumber the cache, or one is replaced by a new one.
TEST_P(EvpKeyTest, VerifiesWithTheRightKeyWhenKeysAlternateOnOneThread) {
  constexpr std::string_view kInput = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9";
  std::vector<std::shared_ptr<EvpKey>> keys{key_};
  for (int i = 0; i < 5; ++i) keys.push_back(EvpKey::generate(GetParam()).value());
  std::vector<std::string> signatures;
  for (const auto& k : keys) signatures.push_back(k->sign(kInput).value());
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < keys.size(); ++i) {
      const std::size_t other = (i + 1) % keys.size();
      EXPECT_TRUE(keys[i]->verify(kInput, signatures[i])) << i;
      EXPECT_FALSE(keys[i]->verify(kInput, signatures[other])) << i;
      EXPECT_FALSE(keys[other]->verify(kInput, signatures[i])) << i;
      // Right after a good signature on the same context, a bad one is still refused.
      EXPECT_TRUE(keys[i]->verify(kInput, signatures[i])) << i;
      std::string flipped = signatures[i];
      flipped[flipped.size() / 2] ^= 0x01;
      EXPECT_FALSE(keys[i]->verify(kInput, flipped)) << i;
      EXPECT_FALSE(keys[i]->verify(std::string(kInput) + "x", signatures[i])) << i;
    }
  }
  // A rotation: the old key goes, a new one (perhaps at the same address) comes.
  const std::string old_signature = signatures[1];
  keys[1].reset();
  auto successor = EvpKey::generate(GetParam()).value();
  EXPECT_FALSE(successor->verify(kInput, old_signature));
  EXPECT_TRUE(successor->verify(kInput, successor->sign(kInput).value()));
}

TEST_P(EvpKeyTest, VerifiesFromSeveralThreadsAtOnce) {
  constexpr std::string_view kInput = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJib2IifQ";
  auto other = EvpKey::generate(GetParam()).value();
  const std::string good = key_->sign(kInput).value();
  const std::string others = other->sign(kInput).value();
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        if (!key_->verify(kInput, good) || key_->verify(kInput, others) ||
            !other->verify(kInput, others) || other->verify(kInput, good)) {
          ++wrong;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST_P(EvpKeyTest, SignsAndVerifiesACompactRoundTrip) {
  const std::string t = token();
  const auto verified = verify(t);
  ASSERT_TRUE(Succeeds(verified));
  EXPECT_EQ(verified->alg(), GetParam());
  EXPECT_EQ(verified->kid(), key_->kid());
  EXPECT_EQ(verified->typ(), "at+jwt");
  EXPECT_EQ(verified->payload(), kPayload);
}

TEST_P(EvpKeyTest, PublicJwkHasExactlyTheMembersOfItsKeyType) {
  std::set<std::string> members;
  for (const auto& [k, v] : key_->public_jwk()) {
    members.insert(std::string(k));
    EXPECT_TRUE(v.is_string()) << k;
  }
  std::set<std::string> expected;
  switch (GetParam()) {
    case Algorithm::kEdDSA: expected = {"kty", "crv", "x", "kid", "alg", "use"}; break;
    case Algorithm::kES256: expected = {"kty", "crv", "x", "y", "kid", "alg", "use"}; break;
    default: expected = {"kty", "n", "e", "kid", "alg", "use"}; break;
  }
  EXPECT_EQ(members, expected);
  EXPECT_EQ(member(key_->public_jwk(), "use"), "sig");
  EXPECT_EQ(member(key_->public_jwk(), "kid"), key_->kid());
}

TEST_P(EvpKeyTest, PublicJwkHasNoPrivateMember) {
  // RFC 7518 sections 6.2.2 and 6.3.2, RFC 8037 section 2: the private parts.
  for (const std::string_view private_member : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
    EXPECT_FALSE(key_->public_jwk().contains(private_member)) << private_member;
  }
}

TEST_P(EvpKeyTest, PublicJwkDescribesItsCurveOrModulus) {
  const json::object& jwk = key_->public_jwk();
  switch (GetParam()) {
    case Algorithm::kEdDSA:
      EXPECT_EQ(member(jwk, "kty"), "OKP");
      EXPECT_EQ(member(jwk, "crv"), "Ed25519");
      EXPECT_EQ(b64_decode(member(jwk, "x")).size(), 32u);
      break;
    case Algorithm::kES256:
      // RFC 7518 section 6.2.1.2: coordinates at the full width of the curve, 32 bytes.
      EXPECT_EQ(member(jwk, "kty"), "EC");
      EXPECT_EQ(member(jwk, "crv"), "P-256");
      EXPECT_EQ(b64_decode(member(jwk, "x")).size(), 32u);
      EXPECT_EQ(b64_decode(member(jwk, "y")).size(), 32u);
      break;
    default: {
      // RFC 7518 section 6.3.1: unsigned big-endian without leading zero bytes.
      EXPECT_EQ(member(jwk, "kty"), "RSA");
      const std::string n = b64_decode(member(jwk, "n"));
      EXPECT_EQ(n.size(), 256u);  // 2048 bits
      ASSERT_FALSE(n.empty());
      EXPECT_NE(n.front(), '\0');
      EXPECT_EQ(member(jwk, "e"), "AQAB");  // 65537
      break;
    }
  }
}

TEST(JwkThumbprint, TheTestsOwnThumbprintMatchesRfc8037A3) {
  auto vector = rfc8037_a3();
  json::object jwk{
      {"kty", "OKP"}, {"crv", "Ed25519"}, {"x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}};
  EXPECT_EQ(canonical_jwk(jwk), vector["canonical"]);
  EXPECT_EQ(sha256_b64(vector["canonical"]), vector["thumbprint"]);
}

TEST_P(EvpKeyTest, KidIsTheRfc7638ThumbprintOfThePublicJwk) {
  EXPECT_EQ(key_->kid(), sha256_b64(canonical_jwk(key_->public_jwk())));
  EXPECT_EQ(b64_decode(key_->kid()).size(), 32u);
}

TEST_P(EvpKeyTest, PublicJwkVerifiesTheKeysSignaturesUnderPlainOpenSsl) {
  const Pkey pkey = pkey_from_jwk(GetParam(), key_->public_jwk());
  ASSERT_TRUE(pkey);
  const std::string input = "eyJhbGciOiJ4In0.eyJzdWIiOiJhbGljZSJ9";
  const std::string signature = key_->sign(input).value();
  EXPECT_TRUE(independent_verify(GetParam(), pkey.get(), input, signature, padding_of(GetParam())));
  EXPECT_FALSE(
      independent_verify(GetParam(), pkey.get(), input + "x", signature, padding_of(GetParam())));
}

TEST_P(EvpKeyTest, SignaturesHaveTheSizeOfTheirAlgorithm) {
  const std::string signature = key_->sign("input").value();
  switch (GetParam()) {
    case Algorithm::kEdDSA: EXPECT_EQ(signature.size(), 64u); break;  // RFC 8032 section 5.1.6
    case Algorithm::kES256: EXPECT_EQ(signature.size(), 64u); break;  // R || S, RFC 7518 3.4
    default: EXPECT_EQ(signature.size(), 256u); break;                // the modulus size
  }
  EXPECT_EQ(b64_decode(split(token()).signature).size(), signature.size());
}

TEST_P(EvpKeyTest, RefusesEverySingleBitFlipOfTheSignature) {
  const std::string t = token();
  const std::string signature = b64_decode(split(t).signature);
  for (std::size_t bit = 0; bit < signature.size() * 8; ++bit) {
    std::string flipped = signature;
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_TRUE(FailsWith(verify(with_signature(t, flipped)), Error::kBadSignature))
        << "bit " << bit;
  }
}

TEST_P(EvpKeyTest, RefusesASignatureOfTheWrongLength) {
  const std::string t = token();
  const std::string signature = b64_decode(split(t).signature);
  for (const std::string& changed :
       {signature.substr(0, signature.size() - 1), signature + '\0', '\0' + signature,
        signature + signature, std::string(1, '\0')}) {
    EXPECT_TRUE(FailsWith(verify(with_signature(t, changed)), Error::kBadSignature))
        << changed.size();
  }
}

TEST_P(EvpKeyTest, RefusesAChangedPayload) {
  const std::string t = token();
  const Parts p = split(t);
  const std::string changed = b64(R"({"sub":"admin","scope":"read"})");
  EXPECT_TRUE(
      FailsWith(verify(p.header + "." + changed + "." + p.signature), Error::kBadSignature));
}

TEST_P(EvpKeyTest, NeverVerifiesATokenClaimingAnotherAlgorithm) {
  // The same signature bytes under a header naming each other algorithm, with this key's kid,
  // every algorithm allowed: the key is only ever used with its own (RFC 8725 section 2.1).
  const Parts p = split(token());
  for (const Algorithm claimed : kEverything) {
    if (claimed == GetParam()) continue;
    const std::string header = R"({"alg":")" + std::string(name(claimed)) +
                               R"(","typ":"at+jwt","kid":")" + key_->kid() + R"("})";
    EXPECT_TRUE(
        FailsWith(verify(b64(header) + "." + p.payload + "." + p.signature), Error::kUnknownKey))
        << "claimed " << name(claimed);
  }
}

TEST_P(EvpKeyTest, RefusesAnHs256TokenKeyedWithThePublicKey) {
  // The classic confusion attack: HMAC under the public key bytes, which anyone can read from
  // the JWKS, presented as HS256 to a verifier that holds the asymmetric key.
  const std::string jwk_text = json::serialize(key_->public_jwk());
  const std::string modulus_or_point = b64_decode(
      member(key_->public_jwk(),
             GetParam() == Algorithm::kRS256 || GetParam() == Algorithm::kPS256 ? "n" : "x"));
  constexpr Algorithm kHsAndEdDsa[] = {Algorithm::kHS256, Algorithm::kEdDSA};
  for (const std::string& secret : {jwk_text, modulus_or_point}) {
    auto hmac = HmacKey::create(secret);
    ASSERT_TRUE(hmac.has_value()) << hmac.error();
    for (const std::string& header :
         {std::string(R"({"alg":"HS256","typ":"at+jwt"})"),
          R"({"alg":"HS256","typ":"at+jwt","kid":")" + key_->kid() + R"("})"}) {
      const std::string input = b64(header) + "." + b64(kPayload);
      const std::string forged = input + "." + b64((*hmac)->sign(input).value());
      EXPECT_TRUE(FailsWith(verify_compact(forged, keys_, kHsAndEdDsa), Error::kUnknownKey))
          << header;
      EXPECT_TRUE(FailsWith(verify_compact(forged, keys_, kEverything), Error::kUnknownKey))
          << header;
    }
  }
}

TEST_P(EvpKeyTest, AnotherAlgorithmsKeyInTheSetIsNotUsed) {
  // With keys for every algorithm in the set, each token is still checked by its own key only.
  KeySet all;
  for (const Algorithm alg : kAsymmetric) all.add(generated_key(alg));
  EXPECT_TRUE(Succeeds(verify_compact(token(), all, kEverything)));
}

TEST_P(EvpKeyTest, AFailedVerificationDoesNotSpoilTheNextOperation) {
  // Each operation works on a copy of the key's prepared context, so a refused signature
  // leaves nothing behind for the next one.
  const std::string signature = key_->sign("input").value();
  std::string bad = signature;
  bad[0] = static_cast<char>(bad[0] ^ 0x01);
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(key_->verify("input", bad));
    EXPECT_TRUE(key_->verify("input", signature));
    EXPECT_FALSE(key_->verify("other input", signature));
    EXPECT_TRUE(key_->verify("input", key_->sign("input").value()));
  }
}

TEST_P(EvpKeyTest, IsSharedSafelyByThreadsSigningAndVerifyingAtOnce) {
  // One key, shared by every thread of the server (evp_key.h).
  constexpr int kThreads = 4;
  constexpr int kRounds = 25;
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        const std::string payload = R"({"sub":"user-)" + std::to_string(t * kRounds + i) + R"("})";
        const auto token = sign_compact(*key_, "at+jwt", payload);
        const auto verified =
            token ? verify_compact(*token, keys_, kEverything)
                  : std::expected<VerifiedJws, Error>(std::unexpected(token.error()));
        if (!verified || verified->payload() != payload) ++failures[t];
        // And a bad signature is still refused in the middle of all this.
        if (token && verify_compact(with_signature(*token, "bad signature"), keys_, kEverything)) {
          ++failures[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures, std::vector<int>(kThreads, 0));
}

TEST(EvpKey, RefusesToGenerateAnHs256Key) {
  const auto key = EvpKey::generate(Algorithm::kHS256);
  ASSERT_FALSE(key.has_value());
  EXPECT_EQ(key.error(), "HS256 is not an asymmetric algorithm");
}

TEST(EvpKey, Rs256AndPs256UseTheRsaPaddingTheirNamesSay) {
  // RS256 is PKCS #1 v1.5 (RFC 7518 section 3.3), PS256 is PSS (section 3.5); each signature
  // verifies under its own padding and fails under the other.
  for (const Algorithm alg : {Algorithm::kRS256, Algorithm::kPS256}) {
    SCOPED_TRACE(name(alg));
    const auto key = generated_key(alg);
    ASSERT_TRUE(key);
    const Pkey pkey = pkey_from_jwk(alg, key->public_jwk());
    ASSERT_TRUE(pkey);
    const std::string signature = key->sign("input").value();
    const RsaPadding other = alg == Algorithm::kPS256 ? RsaPadding::kPkcs1 : RsaPadding::kPss;
    EXPECT_TRUE(independent_verify(alg, pkey.get(), "input", signature, padding_of(alg)));
    EXPECT_FALSE(independent_verify(alg, pkey.get(), "input", signature, other));
  }
}

TEST(EvpKey, Ed25519SignaturesAreDeterministic) {
  // RFC 8032 section 5.1.6: no per-signature randomness.
  const auto key = generated_key(Algorithm::kEdDSA);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->sign("input").value(), key->sign("input").value());
}

// The order n of the P-256 group (SEC 2 version 2, section 2.4.2; FIPS 186-4 D.1.2.3).
const std::string kP256Order(
    "\xff\xff\xff\xff\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff"
    "\xbc\xe6\xfa\xad\xa7\x17\x9e\x84\xf3\xb9\xca\xc2\xfc\x63\x25\x51",
    32);

class Es256Signature : public testing::Test {
 protected:
  void SetUp() override {
    key_ = generated_key(Algorithm::kES256);
    ASSERT_TRUE(key_);
    keys_.add(key_);
    token_ = sign_compact(*key_, "at+jwt", kPayload).value();
    signature_ = b64_decode(split(token_).signature);
    ASSERT_EQ(signature_.size(), 64u);
    ASSERT_EQ(kP256Order.size(), 32u);
  }
  std::expected<VerifiedJws, Error> verify_with(std::string_view raw) {
    constexpr Algorithm kEs256[] = {Algorithm::kES256};
    return verify_compact(with_signature(token_, raw), keys_, kEs256);
  }
  std::string r() const { return signature_.substr(0, 32); }
  std::string s() const { return signature_.substr(32); }

  std::shared_ptr<EvpKey> key_;
  KeySet keys_;
  std::string token_;
  std::string signature_;
};

TEST_F(Es256Signature, IsRawRAndSOf32BytesEach) { EXPECT_TRUE(Succeeds(verify_with(r() + s()))); }

TEST_F(Es256Signature, RefusesAZeroR) {
  // r = 0 or s = 0 would make ECDSA verification trivially forgeable (CVE-2022-21449).
  EXPECT_TRUE(FailsWith(verify_with(std::string(32, '\0') + s()), Error::kBadSignature));
}

TEST_F(Es256Signature, RefusesAZeroS) {
  EXPECT_TRUE(FailsWith(verify_with(r() + std::string(32, '\0')), Error::kBadSignature));
}

TEST_F(Es256Signature, RefusesAllZeros) {
  EXPECT_TRUE(FailsWith(verify_with(std::string(64, '\0')), Error::kBadSignature));
}

TEST_F(Es256Signature, RefusesROrSEqualToTheGroupOrder) {
  EXPECT_TRUE(FailsWith(verify_with(kP256Order + s()), Error::kBadSignature));
  EXPECT_TRUE(FailsWith(verify_with(r() + kP256Order), Error::kBadSignature));
  EXPECT_TRUE(FailsWith(verify_with(kP256Order + kP256Order), Error::kBadSignature));
  EXPECT_TRUE(FailsWith(verify_with(std::string(64, '\xff')), Error::kBadSignature));
}

TEST_F(Es256Signature, RefusesTheDerEncodingOpenSslUsesNatively) {
  // RFC 7518 section 3.4: JWS carries R || S, never ASN.1 DER.
  const std::string der = raw_to_der(signature_);
  ASSERT_GT(der.size(), 64u);
  EXPECT_TRUE(FailsWith(verify_with(der), Error::kBadSignature));
}

TEST_F(Es256Signature, AlwaysWritesTheLowSForm) {
  // evp_key.h: S <= n/2 on signing. ECDSA signatures are random, so half of them would have
  // a high S without the normalisation; 200 leave a chance of 2^-200 of missing that.
  const testing_support::P256Order order;
  for (int i = 0; i < 200; ++i) {
    const std::string input = "input " + std::to_string(i);
    const std::string signature = key_->sign(input).value();
    ASSERT_EQ(signature.size(), 64u);
    EXPECT_TRUE(order.s_is_low(signature)) << "signature " << i;
    EXPECT_TRUE(key_->verify(input, signature)) << "signature " << i;
  }
}

TEST_F(Es256Signature, AcceptsTheHighSFormOfAValidSignature) {
  // (R, n - S) is as valid as (R, S). JWS does not require low S, and other signers (PyJWT,
  // the RFC 7515 A.3 example itself) write high S, so verification accepts it.
  const testing_support::P256Order order;
  ASSERT_TRUE(order.s_is_low(signature_));
  const std::string high = order.with_other_s(signature_);
  ASSERT_FALSE(order.s_is_low(high));
  ASSERT_NE(high, signature_);
  EXPECT_TRUE(Succeeds(verify_with(high)));
  EXPECT_TRUE(key_->verify(split(token_).header + "." + split(token_).payload, high));
}

TEST_F(Es256Signature, RefusesROrSAboveTheGroupOrder) {
  // SEC 1 section 4.1.4 step 1: R and S in [1, n-1]. n + k is the same number mod n as k, so
  // a verifier that reduced instead of refusing would accept R = n + R' for some R'.
  const testing_support::P256Order order;
  ASSERT_EQ(order.n(), kP256Order);
  for (const unsigned long k : {1ul, 2ul, 0x1000ul}) {
    EXPECT_TRUE(FailsWith(verify_with(order.n_plus(k) + s()), Error::kBadSignature)) << k;
    EXPECT_TRUE(FailsWith(verify_with(r() + order.n_plus(k)), Error::kBadSignature)) << k;
  }
  const std::string input = split(token_).header + "." + split(token_).payload;
  EXPECT_FALSE(key_->verify(input, kP256Order + s()));
  EXPECT_FALSE(key_->verify(input, r() + kP256Order));
  EXPECT_FALSE(key_->verify(input, std::string(32, '\0') + s()));
}

TEST_F(Es256Signature, RefusesSwappedHalves) {
  EXPECT_TRUE(FailsWith(verify_with(s() + r()), Error::kBadSignature));
}

}  // namespace
}  // namespace tessera::jose
