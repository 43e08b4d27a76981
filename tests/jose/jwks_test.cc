// JWK Sets (jwks.h): the document Tessera publishes and reading one back, and the JWKS of a
// StaticKeySource (key_source.h).
#include "jose/jwks.h"

#include <gtest/gtest.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jose/evp_key.h"
#include "jose/hmac_key.h"
#include "jose/jose_test_support.h"
#include "jose/jws.h"
#include "jose/key_source.h"

namespace tessera::jose {
namespace {

namespace json = boost::json;
using namespace testing_support;

constexpr std::string_view kPayload = R"({"sub":"alice","scope":"read"})";
// Every private member of RFC 7518 sections 6.2.2 and 6.3.2 and RFC 8037 section 2, and the
// symmetric "k" (section 6.4.1).
constexpr std::string_view kPrivateMembers[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};

std::vector<std::shared_ptr<const EvpKey>> every_generated_key() {
  std::vector<std::shared_ptr<const EvpKey>> keys;
  for (const Algorithm alg : kAsymmetric) keys.push_back(generated_key(alg));
  return keys;
}

json::object rfc8037_private_jwk() {
  return json_object(vector_value(read_vectors("rfc8037_a.txt"), "private_jwk"));
}

std::string jwks_text(const std::vector<json::value>& keys) {
  json::array list;
  for (const json::value& key : keys) list.push_back(key);
  return json::serialize(json::object{{"keys", std::move(list)}});
}

::testing::AssertionResult ParsedTo(const std::expected<ParsedJwks, std::string>& parsed,
                                    std::size_t used, std::size_t skipped) {
  if (!parsed) return ::testing::AssertionFailure() << "failed with \"" << parsed.error() << "\"";
  if (parsed->used != used || parsed->skipped != skipped) {
    return ::testing::AssertionFailure()
           << "used " << parsed->used << ", skipped " << parsed->skipped << "; expected used "
           << used << ", skipped " << skipped;
  }
  return ::testing::AssertionSuccess();
}

std::string algorithm_test_name(const testing::TestParamInfo<Algorithm>& info) {
  return std::string(name(info.param));
}

// --- jwks_document -----------------------------------------------------------------------

TEST(JwksDocument, HoldsExactlyThePublicJwkOfEachKeyInOrder) {
  const auto keys = every_generated_key();
  const json::object doc = jwks_document(keys);
  ASSERT_EQ(doc.size(), 1u);
  const json::array& list = doc.at("keys").as_array();
  ASSERT_EQ(list.size(), keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(list[i], json::value(keys[i]->public_jwk())) << name(keys[i]->algorithm());
  }
}

TEST(JwksDocument, NeverHoldsAPrivateMember) {
  // Keys that hold private parts: generated ones and one imported from a private JWK.
  auto keys = every_generated_key();
  const json::object private_jwk = rfc8037_private_jwk();
  keys.push_back(EvpKey::from_jwk(private_jwk).value());
  ASSERT_TRUE(keys.back()->has_private());
  const json::object doc = jwks_document(keys);
  for (const json::value& jwk : doc.at("keys").as_array()) {
    for (const std::string_view member : kPrivateMembers) {
      EXPECT_FALSE(jwk.as_object().contains(member)) << member << " in " << json::serialize(jwk);
    }
  }
  // Nor anywhere else in the text: not the RFC key's d.
  EXPECT_EQ(json::serialize(doc).find(std::string(private_jwk.at("d").as_string())),
            std::string::npos);
}

TEST(JwksDocument, OfNoKeysIsAnEmptyKeysArray) {
  EXPECT_EQ(json::serialize(jwks_document({})), R"({"keys":[]})");
}

// --- parse_jwks: what it uses and skips ---------------------------------------------------

TEST(ParseJwks, RoundTripsWhatJwksDocumentWrites) {
  const auto keys = every_generated_key();
  const auto parsed = parse_jwks(json::serialize(jwks_document(keys)));
  ASSERT_TRUE(ParsedTo(parsed, keys.size(), 0));
  // Each key is in the set under its kid and algorithm, and verifies its own signatures.
  for (const auto& key : keys) {
    const VerificationKey* found = parsed->keys.find(key->kid(), key->algorithm());
    ASSERT_NE(found, nullptr) << name(key->algorithm());
    EXPECT_TRUE(found->verify("input", key->sign("input").value()));
  }
}

class TokenThroughJwks : public testing::TestWithParam<Algorithm> {};

INSTANTIATE_TEST_SUITE_P(EachAlgorithm, TokenThroughJwks, testing::ValuesIn(kAsymmetric),
                         algorithm_test_name);

TEST_P(TokenThroughJwks, ATokenSignedByAGeneratedKeyVerifiesThroughTheSetParsedFromItsJwks) {
  const auto key = generated_key(GetParam());
  ASSERT_TRUE(key);
  const std::shared_ptr<const EvpKey> published[] = {key};
  const auto parsed = parse_jwks(json::serialize(jwks_document(published)));
  ASSERT_TRUE(ParsedTo(parsed, 1, 0));
  const auto token = sign_compact(*key, "at+jwt", kPayload);
  ASSERT_TRUE(Succeeds(token));
  const auto verified = verify_compact(*token, parsed->keys, kEverything);
  ASSERT_TRUE(Succeeds(verified));
  EXPECT_EQ(verified->payload(), kPayload);
  EXPECT_EQ(verified->kid(), key->kid());
  // A token of another key of the same algorithm does not.
  const auto other = EvpKey::generate(GetParam());
  ASSERT_TRUE(Accepted(other));
  EXPECT_TRUE(FailsWith(
      verify_compact(sign_compact(**other, "at+jwt", kPayload).value(), parsed->keys, kEverything),
      Error::kUnknownKey));
}

TEST(ParseJwks, SkipsAndCountsTheKeysItCannotUse) {
  const json::object usable = generated_key(Algorithm::kEdDSA)->public_jwk();
  const json::object rsa_without_alg = [] {
    json::object jwk = generated_key(Algorithm::kRS256)->public_jwk();
    jwk.erase("alg");
    return jwk;
  }();
  json::object encryption = generated_key(Algorithm::kES256)->public_jwk();
  encryption["use"] = "enc";
  const std::vector<json::value> keys = {
      usable,
      encryption,
      json_object(R"({"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0","alg":"HS256"})"),
      json_object(R"({"kty":"PQC","alg":"ML-DSA-44","pub":"AAAA"})"),
      rsa_without_alg,
      rfc8037_private_jwk(),
      json_object(vector_value(read_vectors("jwk_unsupported_keys.txt"), "ed448_public_jwk")),
      json_object(vector_value(read_vectors("jwk_unsupported_keys.txt"), "p384_public_jwk")),
      json::value(1),
      json::value("a string"),
      json::value(nullptr),
      json::array{usable},
      json::value(true),
  };
  const auto parsed = parse_jwks(jwks_text(keys));
  ASSERT_TRUE(ParsedTo(parsed, 1, keys.size() - 1));
  EXPECT_NE(parsed->keys.find(generated_key(Algorithm::kEdDSA)->kid(), Algorithm::kEdDSA), nullptr);
  EXPECT_EQ(parsed->keys.find(generated_key(Algorithm::kES256)->kid(), Algorithm::kES256), nullptr);
  EXPECT_EQ(parsed->keys.find(generated_key(Algorithm::kRS256)->kid(), Algorithm::kRS256), nullptr);
}

TEST(ParseJwks, DoesNotUseAPublishedPrivateKey) {
  // A private JWK in a public document is a leak, not a verification key.
  const json::object private_jwk = rfc8037_private_jwk();
  const auto parsed = parse_jwks(jwks_text({private_jwk}));
  ASSERT_TRUE(ParsedTo(parsed, 0, 1));
  EXPECT_TRUE(parsed->keys.empty());
  const auto signer = EvpKey::from_jwk(private_jwk).value();
  EXPECT_TRUE(FailsWith(
      verify_compact(sign_compact(*signer, "at+jwt", kPayload).value(), parsed->keys, kEverything),
      Error::kUnknownKey));
}

TEST(ParseJwks, AcceptsAnEmptySet) {
  const auto parsed = parse_jwks(R"({"keys":[]})");
  ASSERT_TRUE(ParsedTo(parsed, 0, 0));
  EXPECT_TRUE(parsed->keys.empty());
}

TEST(ParseJwks, IgnoresOtherMembersOfTheDocumentAndOfEachKey) {
  // As published by others: x5c chains, x5t, key_ops, and members at the top level.
  json::object jwk = generated_key(Algorithm::kES256)->public_jwk();
  jwk["x5c"] = json::array{"MIIBszCCAVmgAwIBAgIUQ0nA"};
  jwk["x5t"] = "bWVy";
  jwk["key_ops"] = json::array{"verify"};
  json::object doc{{"keys", json::array{jwk}}, {"issuer", "https://example.com"}};
  const auto parsed = parse_jwks(json::serialize(doc));
  ASSERT_TRUE(ParsedTo(parsed, 1, 0));
  EXPECT_NE(parsed->keys.find(generated_key(Algorithm::kES256)->kid(), Algorithm::kES256), nullptr);
}

TEST(ParseJwks, AKidSharedWithASkippedKeyIsNoConflict) {
  // RFC 7517 section 4.5: keys of different types may share a kid.
  json::object sig = generated_key(Algorithm::kEdDSA)->public_jwk();
  json::object enc = generated_key(Algorithm::kES256)->public_jwk();
  enc["use"] = "enc";
  enc["kid"] = sig.at("kid");
  ASSERT_TRUE(ParsedTo(parse_jwks(jwks_text({enc, sig})), 1, 1));
}

// --- parse_jwks: refusals ----------------------------------------------------------------

TEST(ParseJwks, RefusesWhatIsNotAJwksWithItsExactReason) {
  const struct {
    std::string text;
    std::string error;
  } cases[] = {
      {"", "the JWKS is not valid JSON: malformed JSON"},
      {"<html>", "the JWKS is not valid JSON: malformed JSON"},
      {R"({"keys":[]} trailing)", "the JWKS is not valid JSON: malformed JSON"},
      {R"({"keys":[],})", "the JWKS is not valid JSON: malformed JSON"},
      {R"({"keys":[]}/* comment */)", "the JWKS is not valid JSON: malformed JSON"},
      {R"({"keys":[],"keys":[]})", "the JWKS is not valid JSON: JSON object has a duplicate key"},
      {R"({"keys":[{"kty":"OKP","kty":"OKP"}]})",
       "the JWKS is not valid JSON: JSON object has a duplicate key"},
      {R"({"keys":[{"a":{"b":{}}}]})", "the JWKS is not valid JSON: JSON nesting is too deep"},
      {"[]", "the JWKS has no \"keys\" array"},
      {"{}", "the JWKS has no \"keys\" array"},
      {"null", "the JWKS has no \"keys\" array"},
      {R"("keys")", "the JWKS has no \"keys\" array"},
      {R"({"Keys":[]})", "the JWKS has no \"keys\" array"},
      {R"({"keys":{}})", "the JWKS has no \"keys\" array"},
      {R"({"keys":null})", "the JWKS has no \"keys\" array"},
      {R"({"keys":"[]"})", "the JWKS has no \"keys\" array"},
  };
  for (const auto& c : cases) {
    EXPECT_TRUE(RefusedWith(parse_jwks(c.text), c.error)) << c.text;
  }
}

TEST(ParseJwks, AcceptsAHundredKeysAndRefusesOneMore) {
  std::vector<json::value> keys;
  for (int i = 0; i < 101; ++i)
    keys.push_back(EvpKey::generate(Algorithm::kEdDSA).value()->public_jwk());
  const std::vector<json::value> hundred(keys.begin(), keys.begin() + 100);
  EXPECT_TRUE(ParsedTo(parse_jwks(jwks_text(hundred)), 100, 0));
  EXPECT_TRUE(RefusedWith(parse_jwks(jwks_text(keys)), "the JWKS has too many keys"));
  // Skipped entries count towards the limit too: it bounds the work, not the result.
  const std::vector<json::value> numbers(101, json::value(1));
  EXPECT_TRUE(RefusedWith(parse_jwks(jwks_text(numbers)), "the JWKS has too many keys"));
}

TEST(ParseJwks, AcceptsADocumentOf64KiBAndRefusesOneByteMore) {
  const std::string keys = jwks_text({generated_key(Algorithm::kEdDSA)->public_jwk()});
  ASSERT_EQ(keys.back(), '}');
  // Whitespace before the closing brace is valid JSON that only adds size.
  auto padded = [&](std::size_t total) {
    return keys.substr(0, keys.size() - 1) + std::string(total - keys.size(), ' ') + "}";
  };
  ASSERT_EQ(padded(64 * 1024).size(), 64u * 1024);
  EXPECT_TRUE(ParsedTo(parse_jwks(padded(64 * 1024)), 1, 0));
  EXPECT_TRUE(RefusedWith(parse_jwks(padded(64 * 1024 + 1)),
                          "the JWKS is not valid JSON: JSON text is too large"));
}

TEST(ParseJwks, RefusesTwoUsableKeysUnderOneKid) {
  // Which of the two would verify a token naming that kid is ambiguous.
  json::object a = generated_key(Algorithm::kEdDSA)->public_jwk();
  json::object b = generated_key(Algorithm::kES256)->public_jwk();
  a["kid"] = "shared";
  b["kid"] = "shared";
  EXPECT_TRUE(RefusedWith(parse_jwks(jwks_text({a, b})), "the JWKS has two keys with kid shared"));
  // The same key twice, named by its thumbprint.
  const json::object same = generated_key(Algorithm::kEdDSA)->public_jwk();
  EXPECT_TRUE(
      RefusedWith(parse_jwks(jwks_text({same, same})),
                  "the JWKS has two keys with kid " + generated_key(Algorithm::kEdDSA)->kid()));
}

// --- StaticKeySource::jwks_json -----------------------------------------------------------

TEST(StaticKeySource, PublishesNoKeyForAnHs256Secret) {
  const StaticKeySource source(HmacKey::create(std::string(32, 's')).value());
  ASSERT_TRUE(source.jwks_json());
  EXPECT_EQ(*source.jwks_json(), R"({"keys":[]})");
}

TEST(StaticKeySource, PublishesThePublicJwkOfAnEvpKey) {
  for (const Algorithm alg : kAsymmetric) {
    SCOPED_TRACE(name(alg));
    const auto key = generated_key(alg);
    const StaticKeySource source(key);
    ASSERT_TRUE(source.jwks_json());
    const json::object doc = json_object(*source.jwks_json());
    const json::array& keys = doc.at("keys").as_array();
    ASSERT_EQ(keys.size(), 1u);
    EXPECT_EQ(keys[0], json::value(key->public_jwk()));
    // And it reads back as a set that verifies what the source signs.
    const auto parsed = parse_jwks(*source.jwks_json());
    ASSERT_TRUE(ParsedTo(parsed, 1, 0));
    const auto token = sign_compact(*source.signing_key(), "at+jwt", kPayload);
    ASSERT_TRUE(Succeeds(token));
    EXPECT_TRUE(Succeeds(verify_compact(*token, parsed->keys, kEverything)));
    EXPECT_TRUE(Succeeds(verify_compact(*token, *source.verification_keys(), kEverything)));
  }
}

TEST(StaticKeySource, PublishesThePublicJwkOfAConstEvpKey) {
  // Handed a shared_ptr<const EvpKey>, as the key manager holds its keys.
  const std::shared_ptr<const EvpKey> key = generated_key(Algorithm::kEdDSA);
  const StaticKeySource source(key);
  const json::object doc = json_object(*source.jwks_json());
  ASSERT_EQ(doc.at("keys").as_array().size(), 1u);
  EXPECT_EQ(doc.at("keys").as_array()[0], json::value(key->public_jwk()));
}

}  // namespace
}  // namespace tessera::jose
