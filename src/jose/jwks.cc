#include "jose/jwks.h"

#include <set>

#include "core/strict_json.h"

namespace tessera::jose {

namespace json = boost::json;

namespace {
constexpr std::size_t kMaxJwksBytes = 64 * 1024;
constexpr std::size_t kMaxKeys = 100;
}  // namespace

json::object jwks_document(std::span<const std::shared_ptr<const EvpKey>> keys) {
  json::array list;
  list.reserve(keys.size());
  for (const auto& key : keys) list.push_back(key->public_jwk());
  json::object doc;
  doc["keys"] = std::move(list);
  return doc;
}

std::expected<ParsedJwks, std::string> parse_jwks(std::string_view text) {
  auto value = core::parse_strict_json(text, {.max_size = kMaxJwksBytes, .max_depth = 4});
  if (!value)
    return std::unexpected("the JWKS is not valid JSON: " +
                           std::string(core::to_string(value.error())));
  const json::object* doc = value->if_object();
  const json::value* keys = doc == nullptr ? nullptr : doc->if_contains("keys");
  if (keys == nullptr || !keys->is_array())
    return std::unexpected("the JWKS has no \"keys\" array");
  if (keys->get_array().size() > kMaxKeys) return std::unexpected("the JWKS has too many keys");
  ParsedJwks parsed;
  std::set<std::string> kids;
  for (const json::value& item : keys->get_array()) {
    const json::object* jwk = item.if_object();
    if (jwk == nullptr) {
      ++parsed.skipped;
      continue;
    }
    auto key = EvpKey::from_jwk(*jwk);
    // Private members have no place in a published set: such a key is not used.
    if (!key || (*key)->has_private()) {
      ++parsed.skipped;
      continue;
    }
    if (!kids.insert((*key)->kid()).second) {
      return std::unexpected("the JWKS has two keys with kid " + (*key)->kid());
    }
    parsed.keys.add(std::move(*key));
    ++parsed.used;
  }
  return parsed;
}

}  // namespace tessera::jose
