// Helpers shared by the JOSE tests: reading the vectors in tests/data/, and assertions that
// say in words what a std::expected held (GoogleTest 1.12 cannot print one).
#pragma once

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <expected>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/base64.h"
#include "core/strict_json.h"
#include "jose/algorithm.h"
#include "jose/error.h"
#include "jose/evp_key.h"

namespace tessera::jose::testing_support {

// A tests/data/ file of "name=value" lines; '#' lines are its note of where the values came
// from. Fails the test if the file is missing or a line is not name=value.
inline std::map<std::string, std::string> read_vectors(const std::string& file) {
  std::ifstream in(std::string(TESSERA_TEST_DATA) + "/" + file);
  EXPECT_TRUE(in.is_open()) << "cannot open tests/data/" << file;
  std::map<std::string, std::string> values;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.starts_with('#')) continue;
    const std::size_t eq = line.find('=');
    if (eq == std::string::npos) {
      ADD_FAILURE() << file << ": not name=value: " << line;
      continue;
    }
    values[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return values;
}

// The value named `name` in `values`, failing the test if there is none.
inline std::string vector_value(const std::map<std::string, std::string>& values,
                                const std::string& name) {
  const auto it = values.find(name);
  if (it == values.end()) {
    ADD_FAILURE() << "the vector file has no " << name;
    return "";
  }
  return it->second;
}

inline boost::json::object json_object(std::string_view text) {
  auto value = core::parse_strict_json(text);
  if (!value || !value->is_object()) {
    ADD_FAILURE() << "not a JSON object: " << text;
    return {};
  }
  return value->get_object();
}

inline std::string b64(std::string_view bytes) { return core::base64url_encode(bytes); }

inline std::string b64_decode(std::string_view text) {
  auto bytes = core::base64url_decode(text);
  EXPECT_TRUE(bytes.has_value()) << "not base64url: " << text;
  return bytes.value_or("");
}

template <class T>
::testing::AssertionResult FailsWith(const std::expected<T, Error>& result, Error want) {
  if (result.has_value()) {
    return ::testing::AssertionFailure() << "succeeded; expected \"" << to_string(want) << "\"";
  }
  if (result.error() != want) {
    return ::testing::AssertionFailure() << "failed with \"" << to_string(result.error())
                                         << "\"; expected \"" << to_string(want) << "\"";
  }
  return ::testing::AssertionSuccess();
}

template <class T>
::testing::AssertionResult Succeeds(const std::expected<T, Error>& result) {
  if (!result) {
    return ::testing::AssertionFailure() << "failed with \"" << to_string(result.error()) << "\"";
  }
  return ::testing::AssertionSuccess();
}

// The algorithms of asymmetric keys, and every algorithm.
inline constexpr Algorithm kAsymmetric[] = {Algorithm::kEdDSA, Algorithm::kES256, Algorithm::kRS256,
                                            Algorithm::kPS256};
inline constexpr Algorithm kEverything[] = {Algorithm::kHS256, Algorithm::kEdDSA, Algorithm::kES256,
                                            Algorithm::kRS256, Algorithm::kPS256};

// One generated key per algorithm for the whole test binary: RSA key generation is slow.
inline std::shared_ptr<EvpKey> generated_key(Algorithm alg) {
  static std::map<Algorithm, std::shared_ptr<EvpKey>> keys;
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  auto& key = keys[alg];
  if (!key) {
    auto made = EvpKey::generate(alg);
    EXPECT_TRUE(made.has_value()) << (made ? "" : made.error());
    if (made) key = *made;
  }
  return key;
}

// For the functions that fail with a one-line std::string reason.
template <class T>
::testing::AssertionResult RefusedWith(const std::expected<T, std::string>& result,
                                       std::string_view want) {
  if (result.has_value()) {
    return ::testing::AssertionFailure() << "succeeded; expected \"" << want << "\"";
  }
  if (result.error() != want) {
    return ::testing::AssertionFailure()
           << "failed with \"" << result.error() << "\"; expected \"" << want << "\"";
  }
  return ::testing::AssertionSuccess();
}

template <class T>
::testing::AssertionResult Accepted(const std::expected<T, std::string>& result) {
  if (!result) return ::testing::AssertionFailure() << "failed with \"" << result.error() << "\"";
  return ::testing::AssertionSuccess();
}

// ES256 signatures (R || S, RFC 7518 section 3.4) against the P-256 group order n, with
// OpenSSL's BIGNUM directly rather than through the code under test.
class P256Order {
 public:
  P256Order() {
    EC_GROUP* group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    n_ = BN_dup(EC_GROUP_get0_order(group));
    EC_GROUP_free(group);
    half_ = BN_dup(n_);
    BN_rshift1(half_, half_);
  }
  ~P256Order() {
    BN_free(n_);
    BN_free(half_);
  }
  P256Order(const P256Order&) = delete;
  P256Order& operator=(const P256Order&) = delete;

  // n itself, 32 bytes big-endian.
  std::string n() const { return to_bytes(n_); }
  // n + k as 32 bytes (k small, so it still fits).
  std::string n_plus(unsigned long k) const {
    BIGNUM* v = BN_dup(n_);
    BN_add_word(v, k);
    std::string out = to_bytes(v);
    BN_free(v);
    return out;
  }
  // Whether the S half of `raw` is at most n/2.
  bool s_is_low(std::string_view raw) const {
    BIGNUM* s = BN_bin2bn(bytes(raw) + 32, 32, nullptr);
    const bool low = BN_cmp(s, half_) <= 0;
    BN_free(s);
    return low;
  }
  // (R, n - S): the other valid form of the same signature.
  std::string with_other_s(std::string_view raw) const {
    BIGNUM* s = BN_bin2bn(bytes(raw) + 32, 32, nullptr);
    BIGNUM* other = BN_new();
    BN_sub(other, n_, s);
    std::string out = std::string(raw.substr(0, 32)) + to_bytes(other);
    BN_free(s);
    BN_free(other);
    return out;
  }

 private:
  static const unsigned char* bytes(std::string_view s) {
    return reinterpret_cast<const unsigned char*>(s.data());
  }
  static std::string to_bytes(const BIGNUM* v) {
    std::string out(32, '\0');
    EXPECT_EQ(BN_bn2binpad(v, reinterpret_cast<unsigned char*>(out.data()), 32), 32);
    return out;
  }
  BIGNUM* n_ = nullptr;
  BIGNUM* half_ = nullptr;
};

}  // namespace tessera::jose::testing_support
