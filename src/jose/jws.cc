#include "jose/jws.h"

#include <algorithm>
#include <array>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <ranges>
#include <vector>

#include "core/base64.h"
#include "core/strict_json.h"

namespace tessera::jose {
namespace {

namespace json = boost::json;

// Header parameters that point at keys elsewhere or carry one inline. Following them lets a
// token choose its own key (RFC 8725 section 3.10), so their mere presence is refused.
constexpr std::array<std::string_view, 4> kForbiddenHeaders = {"jku", "x5u", "jwk", "x5c"};

// What the header says, as views into the StrictJsonMembers it was read with.
struct Header {
  Algorithm alg = Algorithm::kHS256;
  std::string_view kid;  // empty when absent
  std::string_view typ;  // empty when absent
};

// `text` is the decoded header. Reads it without building a JSON value, in one pass over its
// members, then applies the checks in a fixed order so that each token gets one exact error.
std::expected<Header, Error> parse_header(std::string_view text, core::StrictJsonMembers& object,
                                          std::span<const Algorithm> allowed) {
  if (!object.parse(text, {.max_size = 2048, .max_depth = 4})) {
    return std::unexpected(Error::kBadJson);
  }
  if (!object.is_object()) return std::unexpected(Error::kNotAnObject);

  using Member = core::StrictJsonMembers::Member;
  const Member* alg = nullptr;
  const Member* kid = nullptr;
  const Member* typ = nullptr;
  bool forbidden = false;
  bool critical = false;
  for (const Member& m : object.members()) {
    if (m.name == "alg") {
      alg = &m;
    } else if (m.name == "kid") {
      kid = &m;
    } else if (m.name == "typ") {
      typ = &m;
    } else if (m.name == "crit") {
      critical = true;
    } else if (std::find(kForbiddenHeaders.begin(), kForbiddenHeaders.end(), m.name) !=
               kForbiddenHeaders.end()) {
      forbidden = true;
    }
  }

  Header header;
  if (alg == nullptr || !alg->string) return std::unexpected(Error::kMissingAlgorithm);
  // RFC 9864 section 2.2: "Ed25519" is EdDSA with Ed25519 (the only EdDSA curve here) under
  // its fully-specified name, as oauth4webapi and openid-client write it.
  const std::optional<Algorithm> parsed =
      *alg->string == "Ed25519" ? Algorithm::kEdDSA : parse_algorithm(*alg->string);
  if (!parsed) return std::unexpected(Error::kUnknownAlgorithm);
  if (std::find(allowed.begin(), allowed.end(), *parsed) == allowed.end()) {
    return std::unexpected(Error::kAlgorithmNotAllowed);
  }
  header.alg = *parsed;
  if (forbidden) return std::unexpected(Error::kForbiddenHeader);
  // RFC 7515 section 4.1.11: recipients must refuse a JWS whose "crit" names an extension
  // they do not implement, and we implement none.
  if (critical) return std::unexpected(Error::kUnsupportedCritical);
  if (kid != nullptr) {
    if (!kid->string) return std::unexpected(Error::kUnknownKey);
    header.kid = *kid->string;
  }
  if (typ != nullptr) {
    if (!typ->string) return std::unexpected(Error::kWrongType);
    header.typ = *typ->string;
  }
  return header;
}

// Tokens from one issuer and key carry the same header, byte for byte. Each thread remembers
// the last header it accepted: its encoded text, the allow-list it was checked against, and
// what parse_header made of them. parse_header depends on nothing else, so the same bytes
// against the same allow-list reuse the answer and skip no check; anything else is decoded
// and parsed afresh. Refused headers are not remembered.
class HeaderMemo {
 public:
  // Longer headers are not remembered: a usual one is under 150 characters.
  static constexpr std::size_t kMaxEncodedBytes = 512;

  // The views of the header returned point into this memo and stay valid until the next
  // remember().
  const Header* find(std::string_view encoded, std::span<const Algorithm> allowed) const {
    if (!valid_ || encoded != encoded_ || !std::ranges::equal(allowed, allowed_)) return nullptr;
    return &header_;
  }

  void remember(std::string_view encoded, std::span<const Algorithm> allowed,
                const Header& header) {
    valid_ = false;
    if (encoded.size() > kMaxEncodedBytes) return;
    encoded_.assign(encoded);
    allowed_.assign(allowed.begin(), allowed.end());
    kid_.assign(header.kid);
    typ_.assign(header.typ);
    header_ = {.alg = header.alg, .kid = kid_, .typ = typ_};
    valid_ = true;
  }

 private:
  bool valid_ = false;
  std::string encoded_;
  std::vector<Algorithm> allowed_;
  std::string kid_;
  std::string typ_;
  Header header_;
};

}  // namespace

std::expected<std::string, Error> sign_compact(const SigningKey& key, std::string_view typ,
                                               std::string_view payload) {
  json::object header;
  header["alg"] = name(key.algorithm());
  if (!typ.empty()) header["typ"] = typ;
  if (!key.kid().empty()) header["kid"] = key.kid();
  std::string token = core::base64url_encode(json::serialize(header));
  token.push_back('.');
  token += core::base64url_encode(payload);
  auto signature = key.sign(token);
  if (!signature) return std::unexpected(signature.error());
  token.push_back('.');
  token += core::base64url_encode(*signature);
  return token;
}

std::expected<VerifiedJws, Error> verify_compact(std::string_view token, const KeySet& keys,
                                                 std::span<const Algorithm> allowed) {
  if (token.size() > kMaxTokenBytes) return std::unexpected(Error::kTooLarge);
  const std::size_t dot1 = token.find('.');
  if (dot1 == std::string_view::npos) return std::unexpected(Error::kMalformed);
  const std::size_t dot2 = token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return std::unexpected(Error::kMalformed);
  }
  const std::string_view header_part = token.substr(0, dot1);
  const std::string_view payload_part = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string_view signature_part = token.substr(dot2 + 1);
  if (header_part.empty() || payload_part.empty() || signature_part.empty()) {
    return std::unexpected(Error::kMalformed);
  }

  // The header (unless remembered) and then the signature are decoded into this buffer,
  // which holds any segment of a token within kMaxTokenBytes: no allocation for either.
  char scratch[kMaxTokenBytes / 4 * 3 + 2];
  thread_local HeaderMemo memo;
  core::StrictJsonMembers members;  // holds the strings a freshly parsed header views
  Header header;
  if (const Header* known = memo.find(header_part, allowed)) {
    header = *known;
  } else {
    const std::optional<std::string_view> header_text =
        core::base64url_decode_into(header_part, scratch);
    if (!header_text) return std::unexpected(Error::kBadBase64);
    auto parsed = parse_header(*header_text, members, allowed);
    if (!parsed) return std::unexpected(parsed.error());
    header = *parsed;
    memo.remember(header_part, allowed, header);
  }
  const VerificationKey* key = keys.find(header.kid, header.alg);
  if (key == nullptr) return std::unexpected(Error::kUnknownKey);

  // One allocation for what the result keeps: room for the payload, then kid and typ, copied
  // now so that nothing below depends on the memo's views.
  VerifiedJws verified;
  verified.alg_ = header.alg;
  const std::size_t room = payload_part.size() / 4 * 3 + 2;
  std::string& text = verified.text_;
  text.resize(room + header.kid.size() + header.typ.size());
  verified.kid_ = {room, header.kid.size()};
  verified.typ_ = {room + header.kid.size(), header.typ.size()};
  header.kid.copy(text.data() + verified.kid_.offset, verified.kid_.size);
  header.typ.copy(text.data() + verified.typ_.offset, verified.typ_.size);

  const std::optional<std::string_view> signature =
      core::base64url_decode_into(signature_part, scratch);
  if (!signature) return std::unexpected(Error::kBadBase64);
  if (!key->verify(token.substr(0, dot2), *signature)) {
    return std::unexpected(Error::kBadSignature);
  }
  const std::optional<std::string_view> payload =
      core::base64url_decode_into(payload_part, std::span(text.data(), room));
  if (!payload) return std::unexpected(Error::kBadBase64);
  verified.payload_ = {0, payload->size()};
  return verified;
}

std::string VerifiedJws::take_payload() && {
  text_.resize(payload_.size);  // the payload comes first
  std::string payload = std::move(text_);
  text_.clear();
  payload_ = kid_ = typ_ = {};
  return payload;
}

}  // namespace tessera::jose
