#include "jose/jwt.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base64.h"
#include "core/clock.h"
#include "core/strict_json.h"
#include "jose/hmac_key.h"
#include "jose/jose_test_support.h"
#include "jose/jws.h"

namespace tessera::jose {
namespace {

using namespace testing_support;

constexpr std::int64_t kNow = 1'700'000'000;  // 2023-11-14T22:13:20Z
const core::TimePoint kNowTime{std::chrono::seconds{kNow}};
constexpr std::string_view kIssuer = "https://auth.example";
constexpr std::string_view kTypedHeader = R"({"alg":"HS256","typ":"at+jwt"})";

std::string num(std::int64_t n) { return std::to_string(n); }

// Claims that pass the default policy at kNow, with `extra` members appended verbatim.
std::string claims(std::string_view extra = "") {
  std::string json = R"({"iss":"https://auth.example","sub":"alice","iat":)" + num(kNow - 60) +
                     R"(,"exp":)" + num(kNow + 840);
  if (!extra.empty()) json += "," + std::string(extra);
  return json + "}";
}

class VerifyJwt : public testing::Test {
 protected:
  void SetUp() override {
    auto key = HmacKey::create("0123456789abcdef0123456789abcdef");
    ASSERT_TRUE(key.has_value());
    key_ = *key;
    keys_.add(key_);
    policy_.issuer = std::string(kIssuer);
    policy_.algorithms = {Algorithm::kHS256};
  }

  // A token with a real signature over exactly the header and payload given.
  std::string token(std::string_view payload_json, std::string_view header_json = kTypedHeader) {
    const std::string input = b64(header_json) + "." + b64(payload_json);
    return input + "." + b64(key_->sign(input).value());
  }

  std::expected<boost::json::object, Error> verify(std::string_view t, std::int64_t now = kNow) {
    return verify_jwt(t, keys_, policy_, core::TimePoint{std::chrono::seconds{now}});
  }

  std::shared_ptr<HmacKey> key_;
  KeySet keys_;
  JwtPolicy policy_;
};

TEST_F(VerifyJwt, IatMayBeOptionalButIsCheckedWhenPresent) {
  policy_.require_iat = false;
  const std::string exp = R"("exp":)" + num(kNow + 60);
  EXPECT_TRUE(Succeeds(verify(token(R"({"iss":"https://auth.example",)" + exp + "}"))));
  EXPECT_EQ(
      verify(token(R"({"iss":"https://auth.example","iat":)" + num(kNow + 3600) + "," + exp + "}"))
          .error(),
      Error::kIssuedInFuture);
  EXPECT_EQ(verify(token(R"({"iss":"https://auth.example","iat":"now",)" + exp + "}")).error(),
            Error::kBadClaim);
  policy_.require_iat = true;
  EXPECT_EQ(verify(token(R"({"iss":"https://auth.example",)" + exp + "}")).error(),
            Error::kMissingClaim);
}

TEST_F(VerifyJwt, MembersReturnsThePayloadTextAsSignedAndItsTopLevelClaims) {
  const std::string text = "{ \"sub\" : \"al\\u0069ce\",\n \"iss\":\"https:\\/\\/auth.example\"," +
                           std::string(" \"iat\":") + num(kNow - 60) +
                           ", \"exp\":" + num(kNow + 840) + ".75, \"o\":{\"sub\":\"x\"} }";
  core::StrictJsonMembers claims;
  const auto payload = verify_jwt_members(token(text), keys_, policy_, kNowTime, claims);
  ASSERT_TRUE(Succeeds(payload));
  EXPECT_EQ(*payload, text);
  EXPECT_EQ(claims.find("sub")->string, "alice");
  EXPECT_EQ(claims.find("iss")->string, kIssuer);
  EXPECT_TRUE(claims.find("exp")->number == decltype(claims.find("exp")->number)(kNow + 840.75));
  EXPECT_EQ(claims.find("o")->kind, core::StrictJsonMembers::Kind::kObject);
  EXPECT_EQ(claims.members().size(), 5u);
}

// verify_jwt_members runs verify_jwt's checks on another representation of the claims: every
// payload must pass or fail alike, with the same error, with and without an audience.
TEST_F(VerifyJwt, MembersAcceptsAndRefusesExactlyWhatVerifyJwtDoes) {
  const std::string payloads[] = {
      claims(),
      claims(R"("sub":"twice")"),
      "[]",
      "{",
      R"({"iss":"https://auth.example"})",
      claims().replace(8, 5, "http"),
      claims(R"("iss":1)").replace(1, 29, R"("x":0,)"),
      claims(R"("nbf":)" + num(kNow + 100)),
      claims(R"("nbf":"soon")"),
      claims(R"("nbf":null)"),
      claims(R"("aud":"api")"),
      claims(R"("aud":"web")"),
      claims(R"("aud":["web","api"])"),
      claims(R"("aud":["web","mobile"])"),
      claims(R"("aud":["api",7])"),
      claims(R"("aud":[])"),
      claims(R"("aud":{"api":true})"),
      claims(R"("aud":true)"),
      R"({"iss":"https://auth.example","iat":)" + num(kNow) + R"(,"exp":1e300})",
      R"({"iss":"https://auth.example","iat":)" + num(kNow) + R"(,"exp":18446744073709551615})",
      R"({"iss":"https://auth.example","iat":)" + num(kNow) + R"(,"exp":9223372036854775807})",
      R"({"iss":"https://auth.example","iat":)" + num(kNow) + R"(,"exp":[1]})",
      R"({"iss":"https://auth.example","iat":)" + num(kNow + 3600) + R"(,"exp":1e10})",
      R"({"iss":"https://auth.example","exp":)" + num(kNow + 60) + "}",
  };
  for (const bool with_audience : {false, true}) {
    if (with_audience) policy_.audience = "api";
    for (const std::string& payload : payloads) {
      const std::string t = token(payload);
      const auto plain = verify(t);
      core::StrictJsonMembers members;
      const auto text = verify_jwt_members(t, keys_, policy_, kNowTime, members);
      ASSERT_EQ(plain.has_value(), text.has_value()) << payload << " audience " << with_audience;
      if (!plain) {
        EXPECT_TRUE(FailsWith(text, plain.error())) << payload;
      } else {
        EXPECT_EQ(*text, payload);
      }
    }
  }
}

TEST_F(VerifyJwt, DefaultPolicyWantsAtJwtWithTenSecondsLeeway) {
  const JwtPolicy policy;
  EXPECT_EQ(policy.typ, "at+jwt");
  EXPECT_EQ(policy.leeway, std::chrono::seconds{10});
  EXPECT_FALSE(policy.audience.has_value());
}

TEST_F(VerifyJwt, ReturnsTheClaimsOfAValidToken) {
  const auto verified = verify(token(claims(R"("scope":"read write")")));
  ASSERT_TRUE(Succeeds(verified));
  EXPECT_EQ(verified->at("sub"), "alice");
  EXPECT_EQ(verified->at("scope"), "read write");
  EXPECT_EQ(verified->at("exp").as_int64(), kNow + 840);
}

TEST_F(VerifyJwt, VerifiesWhatSignCompactMakes) {
  const auto verified = verify(sign_compact(*key_, "at+jwt", claims()).value());
  EXPECT_TRUE(Succeeds(verified));
}

TEST_F(VerifyJwt, AcceptsTypSpelledAsAFullOrUpperCaseMediaType) {
  // RFC 7515 section 4.1.9: "application/" may be left out and media types ignore case.
  for (const std::string_view typ :
       {"at+jwt", "application/at+jwt", "AT+JWT", "Application/At+Jwt"}) {
    const std::string header = R"({"alg":"HS256","typ":")" + std::string(typ) + R"("})";
    EXPECT_TRUE(Succeeds(verify(token(claims(), header)))) << typ;
  }
}

TEST_F(VerifyJwt, RefusesAnyOtherTyp) {
  // RFC 9068 section 4 and RFC 8725 section 3.11: an ID token or a plain JWT is not an
  // access token, however valid its signature.
  for (const std::string_view typ :
       {"JWT", "jwt", "application/jwt", "at+jwt ", " at+jwt", "at+jwt+x", "application/",
        "application/application/at+jwt", "xapplication/at+jwt", "at", ""}) {
    const std::string header = R"({"alg":"HS256","typ":")" + std::string(typ) + R"("})";
    EXPECT_TRUE(FailsWith(verify(token(claims(), header)), Error::kWrongType)) << "[" << typ << "]";
  }
  EXPECT_TRUE(FailsWith(verify(token(claims(), R"({"alg":"HS256"})")), Error::kWrongType));
  EXPECT_TRUE(
      FailsWith(verify(token(claims(), R"({"alg":"HS256","typ":null})")), Error::kWrongType));
  EXPECT_TRUE(FailsWith(verify(token(claims(), "{\"alg\":\"HS256\",\"typ\":\"at+jwt\\u0000\"}")),
                        Error::kWrongType));
}

TEST_F(VerifyJwt, AcceptsAnyTypWhenThePolicyNamesNone) {
  policy_.typ = "";
  EXPECT_TRUE(Succeeds(verify(token(claims(), R"({"alg":"HS256"})"))));
  EXPECT_TRUE(Succeeds(verify(token(claims(), R"({"alg":"HS256","typ":"JWT"})"))));
}

TEST_F(VerifyJwt, RefusesAnAlgorithmThePolicyDoesNotName) {
  policy_.algorithms = {Algorithm::kEdDSA};
  EXPECT_TRUE(FailsWith(verify(token(claims())), Error::kAlgorithmNotAllowed));
  policy_.algorithms = {};
  EXPECT_TRUE(FailsWith(verify(token(claims())), Error::kAlgorithmNotAllowed));
}

struct Rejection {
  std::string name;
  std::string payload;
  Error want;
};

TEST_F(VerifyJwt, RefusesEachHostilePayloadWithItsExactError) {
  policy_.audience = "https://api.example";
  const std::string aud = R"("aud":"https://api.example")";
  const std::vector<Rejection> cases = {
      // Payload JSON, parsed only after the signature checked out.
      {"duplicate exp", claims(aud + R"(,"exp":99999999999)"), Error::kBadJson},
      {"duplicate iss", claims(aud + R"(,"iss":"https://evil.example")"), Error::kBadJson},
      {"duplicate sub", claims(aud + R"(,"sub":"admin")"), Error::kBadJson},
      {"duplicate nested key", claims(aud + R"(,"cnf":{"jkt":"a","jkt":"b"})"), Error::kBadJson},
      {"not JSON", "exp=1", Error::kBadJson},
      {"trailing data", claims(aud) + " x", Error::kBadJson},
      {"trailing comma", R"({"iss":"https://auth.example",})", Error::kBadJson},
      {"comment", claims(aud) + "/**/", Error::kBadJson},
      {"invalid UTF-8", claims(aud + ",\"name\":\"\xc0\xaf\""), Error::kBadJson},
      {"nested too deep", claims(aud + R"(,"x":[[[[[[[[1]]]]]]]])"), Error::kBadJson},
      {"array", "[" + claims(aud) + "]", Error::kNotAnObject},
      {"string", R"("https://auth.example")", Error::kNotAnObject},
      {"number", "1700000000", Error::kNotAnObject},
      {"null", "null", Error::kNotAnObject},
      // Registered claims (RFC 7519 section 4.1).
      {"no iss", R"({"sub":"alice","iat":1699999940,"exp":1700000840,)" + aud + "}",
       Error::kMissingClaim},
      {"no exp", R"({"iss":"https://auth.example","iat":1699999940,)" + aud + "}",
       Error::kMissingClaim},
      {"no iat", R"({"iss":"https://auth.example","exp":1700000840,)" + aud + "}",
       Error::kMissingClaim},
      {"no aud", claims(), Error::kMissingClaim},
      {"iss number", R"({"iss":1,"iat":1699999940,"exp":1700000840,)" + aud + "}",
       Error::kBadClaim},
      {"iss null", R"({"iss":null,"iat":1699999940,"exp":1700000840,)" + aud + "}",
       Error::kBadClaim},
      {"exp string",
       R"({"iss":"https://auth.example","iat":1699999940,"exp":"1700000840",)" + aud + "}",
       Error::kBadClaim},
      {"exp true", R"({"iss":"https://auth.example","iat":1699999940,"exp":true,)" + aud + "}",
       Error::kBadClaim},
      {"exp null", R"({"iss":"https://auth.example","iat":1699999940,"exp":null,)" + aud + "}",
       Error::kBadClaim},
      {"exp array",
       R"({"iss":"https://auth.example","iat":1699999940,"exp":[1700000840],)" + aud + "}",
       Error::kBadClaim},
      {"exp beyond double range",
       R"({"iss":"https://auth.example","iat":1699999940,"exp":1e400,)" + aud + "}",
       Error::kBadJson},
      {"exp beyond int64",
       R"({"iss":"https://auth.example","iat":1699999940,"exp":18446744073709551615,)" + aud + "}",
       Error::kBadClaim},
      {"iat string",
       R"({"iss":"https://auth.example","iat":"1699999940","exp":1700000840,)" + aud + "}",
       Error::kBadClaim},
      {"nbf string", claims(aud + R"(,"nbf":"1699999940")"), Error::kBadClaim},
      {"wrong iss",
       R"({"iss":"https://evil.example","iat":1699999940,"exp":1700000840,)" + aud + "}",
       Error::kWrongIssuer},
      {"iss with trailing slash",
       R"({"iss":"https://auth.example/","iat":1699999940,"exp":1700000840,)" + aud + "}",
       Error::kWrongIssuer},
      {"iss in upper case",
       R"({"iss":"HTTPS://AUTH.EXAMPLE","iat":1699999940,"exp":1700000840,)" + aud + "}",
       Error::kWrongIssuer},
      {"iss empty", R"({"iss":"","iat":1699999940,"exp":1700000840,)" + aud + "}",
       Error::kWrongIssuer},
      // Audience (RFC 7519 section 4.1.3).
      {"wrong aud", claims(R"("aud":"https://other.example")"), Error::kWrongAudience},
      {"aud array without ours", claims(R"("aud":["https://other.example"])"),
       Error::kWrongAudience},
      {"aud empty array", claims(R"("aud":[])"), Error::kWrongAudience},
      {"aud prefix of ours", claims(R"("aud":"https://api.exampl")"), Error::kWrongAudience},
      {"aud array with a number", claims(R"("aud":["https://api.example",1])"), Error::kBadClaim},
      {"aud array with null", claims(R"("aud":[null,"https://api.example"])"), Error::kBadClaim},
      {"aud nested array", claims(R"("aud":[["https://api.example"]])"), Error::kBadClaim},
      {"aud number", claims(R"("aud":1)"), Error::kBadClaim},
      {"aud object", claims(R"("aud":{"https://api.example":true})"), Error::kBadClaim},
      // Time.
      {"expired", R"({"iss":"https://auth.example","iat":1699999000,"exp":1699999000,)" + aud + "}",
       Error::kExpired},
      {"issued in the future",
       claims(aud).replace(claims(aud).find(num(kNow - 60)), 10, num(kNow + 3600)),
       Error::kIssuedInFuture},
      {"not yet valid", claims(aud + R"(,"nbf":1700003600)"), Error::kNotYetValid},
  };
  for (const Rejection& c : cases) {
    EXPECT_TRUE(FailsWith(verify(token(c.payload)), c.want)) << c.name << ": " << c.payload;
  }
}

TEST_F(VerifyJwt, ChecksTheSignatureBeforeLookingAtThePayload) {
  const std::string input = b64(kTypedHeader) + "." + b64(R"({"exp":1,"exp":2})");
  const std::string forged = input + "." + b64(std::string(32, 'x'));
  EXPECT_TRUE(FailsWith(verify(forged), Error::kBadSignature));
}

TEST_F(VerifyJwt, ChecksTypBeforeThePayload) {
  EXPECT_TRUE(FailsWith(verify(token("[]", R"({"alg":"HS256","typ":"JWT"})")), Error::kWrongType));
}

TEST_F(VerifyJwt, ExpiresExactlyAtExpPlusLeeway) {
  const std::string t =
      token(R"({"iss":"https://auth.example","iat":1699999000,"exp":1700000000})");
  // RFC 7519 section 4.1.4: valid only before exp; the leeway (10 s) extends that.
  EXPECT_TRUE(Succeeds(verify(t, kNow + 9)));
  EXPECT_TRUE(FailsWith(verify(t, kNow + 10), Error::kExpired));
  EXPECT_TRUE(FailsWith(verify(t, kNow + 11), Error::kExpired));
  policy_.leeway = std::chrono::seconds{0};
  EXPECT_TRUE(Succeeds(verify(t, kNow - 1)));
  EXPECT_TRUE(FailsWith(verify(t, kNow), Error::kExpired));
}

TEST_F(VerifyJwt, IsNotYetValidUntilNbfMinusLeeway) {
  const std::string t = token(claims(R"("nbf":1700000100)"));
  EXPECT_TRUE(FailsWith(verify(t, kNow + 89), Error::kNotYetValid));
  EXPECT_TRUE(Succeeds(verify(t, kNow + 90)));
  EXPECT_TRUE(Succeeds(verify(t, kNow + 100)));
}

TEST_F(VerifyJwt, AcceptsIatInTheFutureOnlyWithinTheLeeway) {
  const auto with_iat = [&](std::int64_t iat) {
    return token(R"({"iss":"https://auth.example","iat":)" + num(iat) + R"(,"exp":)" +
                 num(kNow + 900) + "}");
  };
  EXPECT_TRUE(Succeeds(verify(with_iat(kNow))));
  EXPECT_TRUE(Succeeds(verify(with_iat(kNow + 10))));
  EXPECT_TRUE(FailsWith(verify(with_iat(kNow + 11)), Error::kIssuedInFuture));
}

TEST_F(VerifyJwt, AcceptsFractionalNumericDates) {
  // RFC 7519 section 2: a NumericDate is a JSON number and may have a fraction.
  const std::string t =
      token(R"({"iss":"https://auth.example","iat":1699999940.25,"exp":1700000840.5,)"
            R"("nbf":1699999940.75})");
  const auto verified = verify(t);
  ASSERT_TRUE(Succeeds(verified));
  EXPECT_DOUBLE_EQ(verified->at("exp").as_double(), 1700000840.5);
  EXPECT_TRUE(FailsWith(verify(t, kNow + 900), Error::kExpired));
}

TEST_F(VerifyJwt, AcceptsAnExpFarInTheFuture) {
  // The largest NumericDate that fits: adding the leeway to it must not overflow.
  for (const std::string_view exp :
       {"9223372036854775807", "9223372036854775800", "4102444800", "9e18"}) {
    const std::string t =
        token(R"({"iss":"https://auth.example","iat":1699999940,"exp":)" + std::string(exp) + "}");
    EXPECT_TRUE(Succeeds(verify(t))) << "exp " << exp;
  }
}

TEST_F(VerifyJwt, RefusesAnExpFarInThePast) {
  for (const std::string_view exp : {"-9223372036854775808", "-1", "0", "-9e18"}) {
    const std::string t =
        token(R"({"iss":"https://auth.example","iat":0,"exp":)" + std::string(exp) + "}");
    EXPECT_TRUE(FailsWith(verify(t), Error::kExpired)) << "exp " << exp;
  }
}

TEST_F(VerifyJwt, ChecksAudienceOnlyWhenThePolicyNamesOne) {
  EXPECT_TRUE(Succeeds(verify(token(claims()))));
  EXPECT_TRUE(Succeeds(verify(token(claims(R"("aud":"https://anyone.example")")))));
  policy_.audience = "https://api.example";
  EXPECT_TRUE(Succeeds(verify(token(claims(R"("aud":"https://api.example")")))));
  EXPECT_TRUE(
      Succeeds(verify(token(claims(R"("aud":["https://other.example","https://api.example"])")))));
  EXPECT_TRUE(
      FailsWith(verify(token(claims(R"("aud":"https://anyone.example")"))), Error::kWrongAudience));
}

TEST_F(VerifyJwt, FollowsAManualClockPastExpiry) {
  core::ManualClock clock(kNowTime);
  const std::string t = token(claims());  // exp = kNow + 840
  EXPECT_TRUE(Succeeds(verify_jwt(t, keys_, policy_, clock.now())));
  clock.advance(std::chrono::seconds{849});
  EXPECT_TRUE(Succeeds(verify_jwt(t, keys_, policy_, clock.now())));
  clock.advance(std::chrono::seconds{1});
  EXPECT_TRUE(FailsWith(verify_jwt(t, keys_, policy_, clock.now()), Error::kExpired));
  clock.set(kNowTime);
  EXPECT_TRUE(Succeeds(verify_jwt(t, keys_, policy_, clock.now())));
}

TEST_F(VerifyJwt, CountsSubSecondTimeAsTheSecondItIsIn) {
  const std::string t = token(claims());  // exp = kNow + 840, leeway 10
  const core::TimePoint just_before =
      kNowTime + std::chrono::seconds{849} + std::chrono::milliseconds{999};
  EXPECT_TRUE(Succeeds(verify_jwt(t, keys_, policy_, just_before)));
}

// tests/data/rfc7515_a1.txt: "name=value" lines.
std::map<std::string, std::string> rfc7515_a1() {
  std::ifstream in(std::string(TESSERA_TEST_DATA) + "/rfc7515_a1.txt");
  EXPECT_TRUE(in.is_open()) << "cannot open rfc7515_a1.txt";
  std::map<std::string, std::string> values;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.starts_with('#')) continue;
    const std::size_t eq = line.find('=');
    if (eq != std::string::npos) values[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return values;
}

TEST(VerifyJwtRfc7515A1, RefusesTheExampleForItsTypAndItsMissingIat) {
  auto vector = rfc7515_a1();
  auto key = HmacKey::create(core::base64url_decode(vector["key_k"]).value_or(""));
  ASSERT_TRUE(key.has_value());
  KeySet keys;
  keys.add(*key);
  // A plain JWT ("typ":"JWT") from "joe" with a valid signature but no "iat", which access
  // tokens must carry (RFC 9068 section 2.2).
  const std::string with_iat_missing = vector["jws"];
  JwtPolicy policy{.issuer = "joe",
                   .audience = std::nullopt,
                   .algorithms = {Algorithm::kHS256},
                   .typ = "JWT",
                   .leeway = std::chrono::seconds{0}};
  const core::TimePoint before_exp{std::chrono::seconds{1300819379}};
  EXPECT_TRUE(
      FailsWith(verify_jwt(with_iat_missing, keys, policy, before_exp), Error::kMissingClaim));

  // Under the default policy it is refused for its type before anything else.
  EXPECT_TRUE(FailsWith(
      verify_jwt(
          with_iat_missing, keys,
          JwtPolicy{.issuer = "joe", .audience = std::nullopt, .algorithms = {Algorithm::kHS256}},
          before_exp),
      Error::kWrongType));
}

}  // namespace
}  // namespace tessera::jose
