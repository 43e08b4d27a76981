#include "jose/jws.h"

#include <algorithm>
#include <array>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "core/base64.h"
#include "core/strict_json.h"

namespace tessera::jose {
namespace {

namespace json = boost::json;

// Header parameters that point at keys elsewhere or carry one inline. Following them lets a
// token choose its own key (RFC 8725 section 3.10), so their mere presence is refused.
constexpr std::array<std::string_view, 4> kForbiddenHeaders = {"jku", "x5u", "jwk", "x5c"};

std::expected<JwsHeader, Error> parse_header(std::string_view encoded,
                                             std::span<const Algorithm> allowed) {
  const std::optional<std::string> text = core::base64url_decode(encoded);
  if (!text) return std::unexpected(Error::kBadBase64);
  // Read without building a JSON value: the header is only looked at here, member by member.
  core::StrictJsonMembers object;
  if (!object.parse(*text, {.max_size = 2048, .max_depth = 4})) {
    return std::unexpected(Error::kBadJson);
  }
  if (!object.is_object()) return std::unexpected(Error::kNotAnObject);

  JwsHeader header;
  const core::StrictJsonMembers::Member* alg = object.find("alg");
  if (alg == nullptr || !alg->string) return std::unexpected(Error::kMissingAlgorithm);
  const std::optional<Algorithm> parsed = parse_algorithm(*alg->string);
  if (!parsed) return std::unexpected(Error::kUnknownAlgorithm);
  if (std::find(allowed.begin(), allowed.end(), *parsed) == allowed.end()) {
    return std::unexpected(Error::kAlgorithmNotAllowed);
  }
  header.alg = *parsed;
  for (const std::string_view name : kForbiddenHeaders) {
    if (object.find(name) != nullptr) return std::unexpected(Error::kForbiddenHeader);
  }
  // RFC 7515 section 4.1.11: recipients must refuse a JWS whose "crit" names an extension
  // they do not implement, and we implement none.
  if (object.find("crit") != nullptr) return std::unexpected(Error::kUnsupportedCritical);
  if (const core::StrictJsonMembers::Member* kid = object.find("kid")) {
    if (!kid->string) return std::unexpected(Error::kUnknownKey);
    header.kid = *kid->string;
  }
  if (const core::StrictJsonMembers::Member* typ = object.find("typ")) {
    if (!typ->string) return std::unexpected(Error::kWrongType);
    header.typ = *typ->string;
  }
  return header;
}

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

  auto header = parse_header(header_part, allowed);
  if (!header) return std::unexpected(header.error());
  const VerificationKey* key = keys.find(header->kid, header->alg);
  if (key == nullptr) return std::unexpected(Error::kUnknownKey);

  const std::optional<std::string> signature = core::base64url_decode(signature_part);
  if (!signature) return std::unexpected(Error::kBadBase64);
  if (!key->verify(token.substr(0, dot2), *signature)) {
    return std::unexpected(Error::kBadSignature);
  }
  std::optional<std::string> payload = core::base64url_decode(payload_part);
  if (!payload) return std::unexpected(Error::kBadBase64);
  return VerifiedJws{.header = std::move(*header), .payload = std::move(*payload)};
}

}  // namespace tessera::jose
