// JSON parsing for untrusted input (JWT headers and claims, JWKS, request bodies).
//
//   auto value = tessera::core::parse_strict_json(R"({"alg":"EdDSA"})");
//   if (!value) return reject(value.error());   // e.g. JsonError::kDuplicateKey
//
// Stricter than boost::json::parse, which keeps the last of two equal keys: a document that
// names a key twice is ambiguous (two parsers may read different values), so it is refused
// (RFC 7515 section 5.2, RFC 8259 section 4). Also refused: trailing data, invalid UTF-8,
// comments, trailing commas, numbers too large for a double (1e400 would read as infinity),
// nesting deeper than `max_depth`, objects with more than `max_object_keys` members, and
// text longer than `max_size`.
#pragma once

#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory_resource>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tessera::core {

enum class JsonError {
  kTooLarge,
  kTooDeep,
  kDuplicateKey,
  kSyntax,
};

std::string_view to_string(JsonError e);

struct JsonLimits {
  std::size_t max_size = 64 * 1024;
  std::size_t max_depth = 16;
  // Keeps duplicate detection (a scan of the keys seen so far) cheap.
  std::size_t max_object_keys = 256;
};

// The value is allocated from `sp` (a monotonic_resource on a stack buffer suits a value that
// lives only as long as the call that reads it). Parsing itself allocates nothing for a text
// of up to a few hundred bytes, such as a JWT header or claims set.
std::expected<boost::json::value, JsonError> parse_strict_json(std::string_view text,
                                                               JsonLimits limits = {},
                                                               boost::json::storage_ptr sp = {});

// The same checks as parse_strict_json, without building a value: what a caller that only
// reads a few top-level members of an object needs (a JWS header, a JWT's claims). Keeps the
// names of those members, what kind of value each has, and the values that are strings or
// numbers; arrays, objects, booleans and null are only named.
//
//   tessera::core::StrictJsonMembers header;
//   if (!header.parse(text, {.max_size = 2048, .max_depth = 4}) || !header.is_object()) ...
//   const auto* alg = header.find("alg");   // alg->string: std::nullopt if not a string
//
// The views point into this object and stay valid until the next parse(). A usual header is
// kept in a buffer inside the object (so put it on the stack): no allocation.
class StrictJsonMembers {
 public:
  enum class Kind : unsigned char { kString, kNumber, kBool, kNull, kArray, kObject };
  struct Member {
    std::string_view name;
    Kind kind = Kind::kNull;
    std::optional<std::string_view> string;  // the value, when it is a string
    // The value when it is a number, of the type parse_strict_json would give it.
    std::variant<std::monostate, std::int64_t, std::uint64_t, double> number{};
  };

  StrictJsonMembers() = default;
  StrictJsonMembers(const StrictJsonMembers&) = delete;
  StrictJsonMembers& operator=(const StrictJsonMembers&) = delete;

  std::expected<void, JsonError> parse(std::string_view text, JsonLimits limits = {});
  // Whether the text parsed is an object (and not an array, a string...).
  bool is_object() const { return is_object_; }
  std::span<const Member> members() const { return members_; }
  // The member named `name`, if any (names are unique: duplicates are refused).
  const Member* find(std::string_view name) const;

 private:
  // Enough for the members of a JWT header or an access token's claims.
  alignas(std::max_align_t) unsigned char buffer_[1536];
  std::pmr::monotonic_buffer_resource resource_{buffer_, sizeof buffer_};
  std::pmr::string chars_{&resource_};
  std::pmr::vector<Member> members_{&resource_};
  bool is_object_ = false;
};

}  // namespace tessera::core
