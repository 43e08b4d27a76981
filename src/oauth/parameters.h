// The parameters of a token-endpoint request, as decoded from its form body.
//
//   Parameters params(std::move(decoded_pairs));
//   if (auto dup = params.duplicate()) return invalid_request(*dup + " is repeated");
//   std::optional<std::string_view> scope = params.get("scope");
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::oauth {

class Parameters {
 public:
  Parameters() = default;
  explicit Parameters(std::vector<std::pair<std::string, std::string>> pairs)
      : pairs_(std::move(pairs)) {}

  // RFC 6749 section 3.1: a parameter sent without a value is treated as omitted, so an
  // empty value reads as std::nullopt.
  std::optional<std::string_view> get(std::string_view name) const;

  // RFC 6749 section 3.2: parameters must not be included more than once. Returns the name
  // of the first repeated parameter that has a value, if any.
  std::optional<std::string> duplicate() const;
  // Whether `name` is sent with a value more than once.
  bool is_repeated(std::string_view name) const;

  const std::vector<std::pair<std::string, std::string>>& pairs() const { return pairs_; }

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;
};

}  // namespace tessera::oauth
