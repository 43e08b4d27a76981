#include "jose/jws.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base64.h"
#include "jose/evp_key.h"
#include "jose/hmac_key.h"
#include "jose/jose_test_support.h"

namespace tessera::jose {
namespace {

using namespace testing_support;

using namespace std::string_literals;

constexpr Algorithm kHs256Only[] = {Algorithm::kHS256};

std::string b64_decode(std::string_view text) {
  auto bytes = core::base64url_decode(text);
  EXPECT_TRUE(bytes.has_value()) << text;
  return bytes.value_or("");
}

std::shared_ptr<HmacKey> make_key(std::string_view secret) {
  auto key = HmacKey::create(secret);
  EXPECT_TRUE(key.has_value()) << key.error();
  return key ? *key : nullptr;
}

// "h.p.s" with a real signature over "h.p", whatever h and p are: tokens whose only fault is
// the one a test is about.
std::string sign_parts(const SigningKey& key, std::string_view header_b64,
                       std::string_view payload_b64) {
  std::string input = std::string(header_b64) + "." + std::string(payload_b64);
  auto signature = key.sign(input);
  EXPECT_TRUE(signature.has_value());
  return input + "." + b64(signature.value_or(""));
}

std::string sign_json(const SigningKey& key, std::string_view header_json,
                      std::string_view payload_json) {
  return sign_parts(key, b64(header_json), b64(payload_json));
}

struct Parts {
  std::string header, payload, signature;
};

Parts split(const std::string& token) {
  const std::size_t a = token.find('.');
  const std::size_t b = token.find('.', a + 1);
  return {token.substr(0, a), token.substr(a + 1, b - a - 1), token.substr(b + 1)};
}

std::string join(const Parts& p) { return p.header + "." + p.payload + "." + p.signature; }

// tests/data/rfc7515_a1.txt: "name=value" lines.
std::map<std::string, std::string> rfc7515_a1() {
  std::ifstream in(std::string(TESSERA_TEST_DATA) + "/rfc7515_a1.txt");
  EXPECT_TRUE(in.is_open()) << "cannot open rfc7515_a1.txt";
  std::map<std::string, std::string> values;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.starts_with('#')) continue;
    const std::size_t eq = line.find('=');
    if (eq == std::string::npos) {
      ADD_FAILURE() << "not name=value: " << line;
      continue;
    }
    values[line.substr(0, eq)] = line.substr(eq + 1);
  }
  EXPECT_EQ(values.size(), 2u);
  return values;
}

class Rfc7515A1 : public testing::Test {
 protected:
  void SetUp() override {
    auto vector = rfc7515_a1();
    jws_ = vector["jws"];
    key_ = make_key(b64_decode(vector["key_k"]));
    ASSERT_TRUE(key_);
    keys_.add(key_);
  }
  std::string jws_;
  std::shared_ptr<HmacKey> key_;
  KeySet keys_;
};

TEST_F(Rfc7515A1, VerifiesTheExampleJwsWithTheKeyOfItsJwk) {
  const auto verified = verify_compact(jws_, keys_, kHs256Only);
  ASSERT_TRUE(Succeeds(verified));
  EXPECT_EQ(verified->alg(), Algorithm::kHS256);
  EXPECT_EQ(verified->kid(), "");
  EXPECT_EQ(verified->typ(), "JWT");
  EXPECT_EQ(verified->payload(),
            "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}");
}

TEST_F(Rfc7515A1, SigningTheExampleInputGivesTheExampleSignature) {
  const Parts p = split(jws_);
  const auto signature = key_->sign(p.header + "." + p.payload);
  ASSERT_TRUE(Succeeds(signature));
  EXPECT_EQ(b64(*signature), p.signature);
}

TEST_F(Rfc7515A1, RefusesEverySingleBitFlipOfTheSignature) {
  const Parts p = split(jws_);
  const std::string signature = b64_decode(p.signature);
  ASSERT_EQ(signature.size(), 32u);
  for (std::size_t bit = 0; bit < signature.size() * 8; ++bit) {
    std::string flipped = signature;
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_TRUE(
        FailsWith(verify_compact(join({p.header, p.payload, b64(flipped)}), keys_, kHs256Only),
                  Error::kBadSignature))
        << "bit " << bit;
  }
}

TEST_F(Rfc7515A1, RefusesEverySingleBitFlipOfThePayload) {
  const Parts p = split(jws_);
  const std::string payload = b64_decode(p.payload);
  for (std::size_t bit = 0; bit < payload.size() * 8; ++bit) {
    std::string flipped = payload;
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_TRUE(
        FailsWith(verify_compact(join({p.header, b64(flipped), p.signature}), keys_, kHs256Only),
                  Error::kBadSignature))
        << "bit " << bit;
  }
}

TEST_F(Rfc7515A1, RefusesAnyOtherChangeToThePayload) {
  const Parts p = split(jws_);
  const std::string payload = b64_decode(p.payload);
  const std::vector<std::string> changes = {
      payload + " ", " " + payload, payload.substr(0, payload.size() - 1),
      "{\"iss\":\"joe\",\"exp\":1300819380,\"http://example.com/is_root\":true}",
      "{\"iss\":\"joe\",\r\n \"exp\":9999999999,\r\n \"http://example.com/is_root\":true}"};
  for (const std::string& changed : changes) {
    EXPECT_TRUE(
        FailsWith(verify_compact(join({p.header, b64(changed), p.signature}), keys_, kHs256Only),
                  Error::kBadSignature))
        << changed;
  }
  // The same bytes spelled with non-zero trailing bits: the signature covers the text, so
  // this fails on the signature before the payload is ever decoded.
  std::string respelled = p.payload;
  ASSERT_EQ(respelled.size() % 4, 2u);
  respelled.back() = static_cast<char>(respelled.back() + 1);
  EXPECT_TRUE(FailsWith(verify_compact(join({p.header, respelled, p.signature}), keys_, kHs256Only),
                        Error::kBadSignature));
}

TEST_F(Rfc7515A1, RefusesAChangedHeaderValue) {
  const Parts p = split(jws_);
  const std::string header = "{\"typ\":\"JWS\",\r\n \"alg\":\"HS256\"}";
  EXPECT_TRUE(
      FailsWith(verify_compact(join({b64(header), p.payload, p.signature}), keys_, kHs256Only),
                Error::kBadSignature));
}

TEST_F(Rfc7515A1, RefusesTheExampleWhereHs256IsNotAllowed) {
  constexpr Algorithm kEdDsaOnly[] = {Algorithm::kEdDSA};
  EXPECT_TRUE(FailsWith(verify_compact(jws_, keys_, kEdDsaOnly), Error::kAlgorithmNotAllowed));
  EXPECT_TRUE(FailsWith(verify_compact(jws_, keys_, std::span<const Algorithm>{}),
                        Error::kAlgorithmNotAllowed));
}

TEST_F(Rfc7515A1, RefusesTheExampleUnderAnotherKey) {
  KeySet other;
  other.add(make_key(std::string(64, 'k')));
  EXPECT_TRUE(FailsWith(verify_compact(jws_, other, kHs256Only), Error::kBadSignature));
  EXPECT_TRUE(FailsWith(verify_compact(jws_, KeySet{}, kHs256Only), Error::kUnknownKey));
}

class VerifyCompact : public testing::Test {
 protected:
  void SetUp() override {
    key_ = make_key("0123456789abcdef0123456789abcdef");
    ASSERT_TRUE(key_);
    keys_.add(key_);
  }
  // A token with a real signature over whatever header and payload JSON it is given.
  std::string token(std::string_view header_json,
                    std::string_view payload_json = R"({"sub":"alice"})") {
    return sign_json(*key_, header_json, payload_json);
  }
  std::expected<VerifiedJws, Error> verify(std::string_view t) {
    return verify_compact(t, keys_, kHs256Only);
  }

  std::shared_ptr<HmacKey> key_;
  KeySet keys_;
};

TEST_F(VerifyCompact, RoundTripsWhatSignCompactMakes) {
  const auto jws = sign_compact(*key_, "at+jwt", R"({"sub":"alice"})");
  ASSERT_TRUE(Succeeds(jws));
  const auto verified = verify(*jws);
  ASSERT_TRUE(Succeeds(verified));
  EXPECT_EQ(verified->alg(), Algorithm::kHS256);
  EXPECT_EQ(verified->kid(), key_->kid());
  EXPECT_EQ(verified->typ(), "at+jwt");
  EXPECT_EQ(verified->payload(), R"({"sub":"alice"})");
}

TEST_F(VerifyCompact, SignCompactWritesAlgTypAndKidInTheHeader) {
  const auto jws = sign_compact(*key_, "at+jwt", "{}");
  ASSERT_TRUE(Succeeds(jws));
  EXPECT_EQ(b64_decode(split(*jws).header),
            R"({"alg":"HS256","typ":"at+jwt","kid":")" + key_->kid() + R"("})");
  EXPECT_EQ(b64_decode(split(*jws).payload), "{}");
}

TEST_F(VerifyCompact, SignCompactLeavesOutAnEmptyTyp) {
  const auto jws = sign_compact(*key_, "", "{}");
  ASSERT_TRUE(Succeeds(jws));
  EXPECT_EQ(b64_decode(split(*jws).header), R"({"alg":"HS256","kid":")" + key_->kid() + R"("})");
  const auto verified = verify(*jws);
  ASSERT_TRUE(Succeeds(verified));
  EXPECT_EQ(verified->typ(), "");
}

TEST_F(VerifyCompact, AuthenticatesThePayloadBytesWhateverTheyAre) {
  // JSON is verify_jwt's business; a JWS payload is any octet sequence (RFC 7515 A.4).
  const std::string payload = "not JSON \x01\xff"s;
  const auto verified = verify(sign_parts(*key_, b64(R"({"alg":"HS256"})"), b64(payload)));
  ASSERT_TRUE(Succeeds(verified));
  EXPECT_EQ(verified->payload(), payload);
}

TEST_F(VerifyCompact, FindsTheOnlyKeyForTheAlgorithmWhenThereIsNoKid) {
  EXPECT_TRUE(Succeeds(verify(token(R"({"alg":"HS256"})"))));
}

TEST_F(VerifyCompact, RefusesATokenWithoutKidWhenTwoKeysCouldFit) {
  keys_.add(make_key(std::string(32, 'x')));
  EXPECT_TRUE(FailsWith(verify(token(R"({"alg":"HS256"})")), Error::kUnknownKey));
}

TEST_F(VerifyCompact, PicksTheKeyByKidAmongSeveral) {
  const auto other = make_key(std::string(32, 'x'));
  keys_.add(other);
  EXPECT_TRUE(Succeeds(verify(token(R"({"alg":"HS256","kid":")" + key_->kid() + R"("})"))));
  EXPECT_TRUE(Succeeds(verify(sign_compact(*other, "", "{}").value())));
  // The other key's kid with this key's signature: the named key is used, and it says no.
  EXPECT_TRUE(FailsWith(verify(token(R"({"alg":"HS256","kid":")" + other->kid() + R"("})")),
                        Error::kBadSignature));
}

TEST(VerifyCompactEd25519, TheFullySpecifiedNameIsEdDsaWithEd25519) {
  // RFC 9864 section 2.2: alg "Ed25519" is EdDSA over Ed25519, allowed where EdDSA is.
  const auto key = EvpKey::generate(Algorithm::kEdDSA).value();
  KeySet keys;
  keys.add(key);
  const std::string jws = sign_json(*key, R"({"alg":"Ed25519"})", R"({"sub":"alice"})");
  const Algorithm eddsa[] = {Algorithm::kEdDSA};
  const auto verified = verify_compact(jws, keys, eddsa);
  ASSERT_TRUE(Succeeds(verified));
  EXPECT_EQ(verified->alg(), Algorithm::kEdDSA);
  const Algorithm es256[] = {Algorithm::kES256};
  EXPECT_TRUE(FailsWith(verify_compact(jws, keys, es256), Error::kAlgorithmNotAllowed));
  // The name is part of what is signed: relabelling an EdDSA signature breaks it.
  Parts parts = split(sign_json(*key, R"({"alg":"EdDSA"})", R"({"sub":"alice"})"));
  parts.header = b64(R"({"alg":"Ed25519"})");
  EXPECT_TRUE(FailsWith(verify_compact(join(parts), keys, eddsa), Error::kBadSignature));
}

TEST_F(VerifyCompact, AcceptsASignedTokenOfExactly8KiBAndRefusesOneByteMore) {
  // Validly signed tokens of an exact size: the padding is found by arithmetic on encoded
  // lengths, then the token is signed once.
  const std::string header = b64(R"({"alg":"HS256"})");
  const std::size_t signature_chars = b64(std::string(32, '\0')).size();
  const auto payload_of = [](std::size_t pad) {
    return R"({"pad":")" + std::string(pad, 'p') + R"("})";
  };
  const auto signed_token_of_size = [&](std::size_t size) -> std::string {
    for (std::size_t pad = 0; pad < size; ++pad) {
      const std::size_t payload_chars = (payload_of(pad).size() * 4 + 2) / 3;
      if (header.size() + 1 + payload_chars + 1 + signature_chars == size) {
        return sign_parts(*key_, header, b64(payload_of(pad)));
      }
    }
    return "";
  };
  const std::string at_limit = signed_token_of_size(kMaxTokenBytes);
  ASSERT_EQ(at_limit.size(), kMaxTokenBytes);
  EXPECT_TRUE(Succeeds(verify(at_limit)));
  const std::string over = signed_token_of_size(kMaxTokenBytes + 1);
  ASSERT_EQ(over.size(), kMaxTokenBytes + 1);
  EXPECT_TRUE(FailsWith(verify(over), Error::kTooLarge));
  EXPECT_TRUE(FailsWith(verify(std::string(kMaxTokenBytes + 1, 'a')), Error::kTooLarge));
  EXPECT_TRUE(FailsWith(verify(std::string(1 << 20, '.')), Error::kTooLarge));
}

struct Rejection {
  std::string name;
  std::string token;
  Error want;
};

TEST_F(VerifyCompact, RefusesEachHostileTokenWithItsExactError) {
  const std::string payload = b64(R"({"sub":"alice"})");
  const std::string good = token(R"({"alg":"HS256","typ":"at+jwt"})");
  const Parts g = split(good);
  const std::string mac_of_other = split(token(R"({"alg":"HS256","typ":"JWT"})")).signature;

  const std::vector<Rejection> cases = {
      // "alg": RFC 8725 section 2.1 and 3.1; names match exactly (RFC 7515 section 4.1.1).
      {"alg none", token(R"({"alg":"none"})"), Error::kUnknownAlgorithm},
      {"alg None", token(R"({"alg":"None"})"), Error::kUnknownAlgorithm},
      {"alg NONE", token(R"({"alg":"NONE"})"), Error::kUnknownAlgorithm},
      {"alg nOnE", token(R"({"alg":"nOnE"})"), Error::kUnknownAlgorithm},
      {"alg none, empty signature", b64(R"({"alg":"none"})") + "." + payload + ".",
       Error::kMalformed},
      {"alg hs256", token(R"({"alg":"hs256"})"), Error::kUnknownAlgorithm},
      {"alg HS512", token(R"({"alg":"HS512"})"), Error::kUnknownAlgorithm},
      {"alg empty", token(R"({"alg":""})"), Error::kUnknownAlgorithm},
      {"alg with a space", token(R"({"alg":"HS256 "})"), Error::kUnknownAlgorithm},
      {"alg with a NUL", token("{\"alg\":\"HS256\\u0000\"}"), Error::kUnknownAlgorithm},
      {"alg RS256 not allowed", token(R"({"alg":"RS256"})"), Error::kAlgorithmNotAllowed},
      {"alg EdDSA not allowed", token(R"({"alg":"EdDSA"})"), Error::kAlgorithmNotAllowed},
      {"alg ES256 not allowed", token(R"({"alg":"ES256"})"), Error::kAlgorithmNotAllowed},
      {"alg PS256 not allowed", token(R"({"alg":"PS256"})"), Error::kAlgorithmNotAllowed},
      {"alg missing", token(R"({"typ":"at+jwt"})"), Error::kMissingAlgorithm},
      {"header empty object", token("{}"), Error::kMissingAlgorithm},
      {"alg null", token(R"({"alg":null})"), Error::kMissingAlgorithm},
      {"alg number", token(R"({"alg":256})"), Error::kMissingAlgorithm},
      {"alg true", token(R"({"alg":true})"), Error::kMissingAlgorithm},
      {"alg array", token(R"({"alg":["HS256"]})"), Error::kMissingAlgorithm},
      {"alg object", token(R"({"alg":{"name":"HS256"}})"), Error::kMissingAlgorithm},
      // "kid".
      {"unknown kid", token(R"({"alg":"HS256","kid":"no-such-key"})"), Error::kUnknownKey},
      {"kid number", token(R"({"alg":"HS256","kid":1})"), Error::kUnknownKey},
      {"kid null", token(R"({"alg":"HS256","kid":null})"), Error::kUnknownKey},
      // Keys from elsewhere: never followed (RFC 8725 section 3.10).
      {"jku", token(R"({"alg":"HS256","jku":"https://evil.example/jwks.json"})"),
       Error::kForbiddenHeader},
      {"x5u", token(R"({"alg":"HS256","x5u":"https://evil.example/cert.pem"})"),
       Error::kForbiddenHeader},
      {"jwk", token(R"({"alg":"HS256","jwk":{"kty":"oct","k":"AAAA"}})"), Error::kForbiddenHeader},
      {"x5c", token(R"({"alg":"HS256","x5c":["MIIB"]})"), Error::kForbiddenHeader},
      {"jku null", token(R"({"alg":"HS256","jku":null})"), Error::kForbiddenHeader},
      // RFC 7515 section 4.1.11: we implement no extension, so any "crit" is refused.
      {"crit naming a claim", token(R"({"alg":"HS256","crit":["exp"],"exp":1})"),
       Error::kUnsupportedCritical},
      {"crit empty", token(R"({"alg":"HS256","crit":[]})"), Error::kUnsupportedCritical},
      {"crit string", token(R"({"alg":"HS256","crit":"b64"})"), Error::kUnsupportedCritical},
      {"typ number", token(R"({"alg":"HS256","typ":1})"), Error::kWrongType},
      // Shape.
      {"empty token", "", Error::kMalformed},
      {"1 segment", g.header, Error::kMalformed},
      {"2 segments", g.header + "." + g.payload, Error::kMalformed},
      {"4 segments", good + "." + g.signature, Error::kMalformed},
      {"5 segments", good + "." + g.payload + "." + g.signature, Error::kMalformed},
      {"JWE-like 5 segments", g.header + ".." + g.payload + "." + g.signature + ".",
       Error::kMalformed},
      {"empty header", "." + g.payload + "." + g.signature, Error::kMalformed},
      {"empty payload", g.header + ".." + g.signature, Error::kMalformed},
      {"empty signature", g.header + "." + g.payload + ".", Error::kMalformed},
      {"only dots", "..", Error::kMalformed},
      {"trailing dot", good + ".", Error::kMalformed},
      {"leading dot", "." + good, Error::kMalformed},
      // Encoding of each segment.
      {"header padded", g.header + "==." + g.payload + "." + g.signature, Error::kBadBase64},
      {"header with +", "eyJ+" + g.header.substr(4) + "." + g.payload + "." + g.signature,
       Error::kBadBase64},
      {"header with space", " " + good, Error::kBadBase64},
      {"header not JSON", token("alg=HS256"), Error::kBadJson},
      {"payload padded", sign_parts(*key_, g.header, b64(R"({"sub":"al"})") + "="),
       Error::kBadBase64},
      {"payload with /", sign_parts(*key_, g.header, "ab/c"), Error::kBadBase64},
      {"payload of length 4n+1", sign_parts(*key_, g.header, "abcde"), Error::kBadBase64},
      {"payload with trailing bits", sign_parts(*key_, g.header, "QR"), Error::kBadBase64},
      {"signature padded", good + "=", Error::kBadBase64},
      {"signature with +", g.header + "." + g.payload + ".+" + g.signature.substr(1),
       Error::kBadBase64},
      {"signature with /", g.header + "." + g.payload + "./" + g.signature.substr(1),
       Error::kBadBase64},
      // After the signature.
      {"one more character", good + "A", Error::kBadSignature},
      {"two more characters", good + "AA", Error::kBadBase64},
      {"trailing space", good + " ", Error::kBadBase64},
      {"trailing newline", good + "\n", Error::kBadBase64},
      {"trailing CRLF", good + "\r\n", Error::kBadBase64},
      {"trailing NUL", good + '\0', Error::kBadBase64},
      // 40 of its 43 characters: canonical base64url of 30 bytes, so it reaches the MAC check.
      {"signature truncated", good.substr(0, good.size() - 3), Error::kBadSignature},
      {"signature of another header", g.header + "." + g.payload + "." + mac_of_other,
       Error::kBadSignature},
      // Header JSON.
      {"duplicate alg", token(R"({"alg":"HS256","alg":"HS256"})"), Error::kBadJson},
      {"duplicate alg, none first", token(R"({"alg":"none","alg":"HS256"})"), Error::kBadJson},
      {"duplicate alg, escaped", token(R"({"alg":"HS256","\u0061lg":"HS256"})"), Error::kBadJson},
      {"duplicate kid", token(R"({"alg":"HS256","kid":"a","kid":"b"})"), Error::kBadJson},
      {"duplicate alg spelled apart", token(R"({"alg":"HS256","\u0061lg":"none"})"),
       Error::kBadJson},
      {"duplicate key in a nested member", token(R"({"alg":"HS256","x":{"k":1,"k":2}})"),
       Error::kBadJson},
      {"escaped forbidden header", token(R"({"alg":"HS256","x5\u0075":"https://e.x"})"),
       Error::kForbiddenHeader},
      {"alg not a string", token(R"({"alg":["HS256"]})"), Error::kMissingAlgorithm},
      {"header with trailing data", token(R"({"alg":"HS256"} {})"), Error::kBadJson},
      {"header with comment", token(R"({"alg":"HS256"/* c */})"), Error::kBadJson},
      {"header with trailing comma", token(R"({"alg":"HS256",})"), Error::kBadJson},
      {"header invalid UTF-8", token("{\"alg\":\"HS256\",\"x\":\"\xff\"}"), Error::kBadJson},
      {"header nested too deep", token(R"({"alg":"HS256","x":[[[[1]]]]})"), Error::kBadJson},
      {"header over 2 KiB", token(R"({"alg":"HS256","x":")" + std::string(2100, 'x') + R"("})"),
       Error::kBadJson},
      {"header array", token(R"([{"alg":"HS256"}])"), Error::kNotAnObject},
      {"header string", token(R"("HS256")"), Error::kNotAnObject},
      {"header number", token("256"), Error::kNotAnObject},
      {"header null", token("null"), Error::kNotAnObject},
  };
  for (const Rejection& c : cases) {
    EXPECT_TRUE(FailsWith(verify(c.token), c.want)) << c.name;
  }
}

TEST_F(VerifyCompact, ChecksTheHeaderBeforeTheSignature) {
  // A bad signature is reported only for a header that passes; no key work for hostile ones.
  const std::string garbage_signature = b64(std::string(32, 'x'));
  const auto with_bad_signature = [&](std::string_view header_json) {
    return b64(header_json) + "." + b64("{}") + "." + garbage_signature;
  };
  EXPECT_TRUE(FailsWith(verify(with_bad_signature(R"({"alg":"none"})")), Error::kUnknownAlgorithm));
  EXPECT_TRUE(FailsWith(verify(with_bad_signature(R"({"alg":"HS256","jku":"x"})")),
                        Error::kForbiddenHeader));
  EXPECT_TRUE(
      FailsWith(verify(with_bad_signature(R"({"alg":"HS256","kid":"x"})")), Error::kUnknownKey));
  EXPECT_TRUE(FailsWith(verify(with_bad_signature(R"({"alg":"HS256"})")), Error::kBadSignature));
}

TEST_F(VerifyCompact, ChecksTheSignatureBeforeDecodingThePayload) {
  // An unsigned bad payload is a bad signature, not a decoding error: nothing from the payload
  // is looked at before the signature checks out.
  const std::string header = b64(R"({"alg":"HS256"})");
  const std::string signature = split(token(R"({"alg":"HS256"})")).signature;
  EXPECT_TRUE(FailsWith(verify(header + ".QR." + signature), Error::kBadSignature));
}

// verify_compact remembers the last header each thread accepted; these make sure that memo
// never answers for anything but the same header bytes under the same allow-list.
TEST_F(VerifyCompact, AHeaderAcceptedOnceIsCheckedAgainstEachCallsAllowList) {
  const std::string t = token(R"({"alg":"HS256","typ":"JWT"})");
  ASSERT_TRUE(Succeeds(verify(t)));
  constexpr Algorithm kEdDsaOnly[] = {Algorithm::kEdDSA};
  EXPECT_TRUE(FailsWith(verify_compact(t, keys_, kEdDsaOnly), Error::kAlgorithmNotAllowed));
  constexpr Algorithm kBoth[] = {Algorithm::kEdDSA, Algorithm::kHS256};
  EXPECT_TRUE(Succeeds(verify_compact(t, keys_, kBoth)));
  EXPECT_TRUE(Succeeds(verify(t)));
}

TEST_F(VerifyCompact, TokensWithDifferentHeadersInTurnEachGetTheirOwnKidAndTyp) {
  const auto other_key = make_key("another secret of thirty-two bytes!");
  ASSERT_TRUE(other_key);
  keys_.add(other_key);
  const std::string a = sign_compact(*key_, "at+jwt", R"({"n":1})").value();
  const std::string b = sign_compact(*other_key, "JWT", R"({"n":2})").value();
  for (int round = 0; round < 3; ++round) {
    const auto va = verify(a);
    ASSERT_TRUE(Succeeds(va));
    EXPECT_EQ(va->kid(), key_->kid());
    EXPECT_EQ(va->typ(), "at+jwt");
    EXPECT_EQ(va->payload(), R"({"n":1})");
    const auto vb = verify(b);
    ASSERT_TRUE(Succeeds(vb));
    EXPECT_EQ(vb->kid(), other_key->kid());
    EXPECT_EQ(vb->typ(), "JWT");
    EXPECT_EQ(vb->payload(), R"({"n":2})");
    // The first result still holds its own header after the second call.
    EXPECT_EQ(va->kid(), key_->kid());
  }
}

TEST_F(VerifyCompact, AHeaderThatDiffersFromTheRememberedOneIsCheckedInFull) {
  ASSERT_TRUE(Succeeds(verify(token(R"({"alg":"HS256","typ":"JWT"})"))));
  EXPECT_TRUE(FailsWith(verify(token(R"({"alg":"HS256","typ":"JWT","jku":"x"})")),
                        Error::kForbiddenHeader));
  EXPECT_TRUE(
      FailsWith(verify(token(R"({"alg":"HS256","typ":"JWT","typ":"JWT"})")), Error::kBadJson));
  EXPECT_TRUE(FailsWith(verify(token(R"({"alg":"HS256","typ":"JWT","crit":[]})")),
                        Error::kUnsupportedCritical));
}

TEST_F(VerifyCompact, ARememberedHeaderStillNeedsItsKeyAndSignature) {
  const std::string t = token(R"({"alg":"HS256","typ":"JWT"})");
  ASSERT_TRUE(Succeeds(verify(t)));
  EXPECT_TRUE(FailsWith(verify_compact(t, KeySet{}, kHs256Only), Error::kUnknownKey));
  Parts p = split(t);
  p.signature[0] = p.signature[0] == 'A' ? 'B' : 'A';
  EXPECT_TRUE(FailsWith(verify(join(p)), Error::kBadSignature));
}

TEST_F(VerifyCompact, TakePayloadGivesThePayloadAlone) {
  auto verified = verify(sign_compact(*key_, "at+jwt", R"({"sub":"alice"})").value());
  ASSERT_TRUE(Succeeds(verified));
  EXPECT_EQ(std::move(*verified).take_payload(), R"({"sub":"alice"})");
}

}  // namespace
}  // namespace tessera::jose
