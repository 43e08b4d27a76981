#include "core/strict_json.h"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>
#include <cmath>
#include <string>
#include <vector>

namespace tessera::core {
namespace {

namespace json = boost::json;

// A basic_parser handler that builds the value like boost::json::parser does, and in
// addition remembers the keys of every open object to refuse duplicates.
class StrictHandler {
 public:
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  explicit StrictHandler(std::size_t max_object_keys) : max_object_keys_(max_object_keys) {}

  json::value_stack stack;
  bool duplicate_key = false;
  bool too_many_keys = false;

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) {
    keys_.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t n, json::error_code&) {
    keys_.pop_back();
    stack.push_object(n);
    return true;
  }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t n, json::error_code&) {
    stack.push_array(n);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    pending_key_.append(s.data(), s.size());
    stack.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    pending_key_.append(s.data(), s.size());
    std::vector<std::string>& seen = keys_.back();
    if (seen.size() == max_object_keys_) {
      too_many_keys = true;
      ec = json::error::syntax;
      return false;
    }
    for (const std::string& k : seen) {
      if (k == pending_key_) {
        duplicate_key = true;
        ec = json::error::syntax;
        return false;
      }
    }
    seen.push_back(std::move(pending_key_));
    pending_key_.clear();
    stack.push_key(s);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    stack.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    stack.push_string(s);
    return true;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    stack.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    stack.push_uint64(u);
    return true;
  }
  bool on_double(double d, json::string_view, json::error_code& ec) {
    if (!std::isfinite(d)) {
      ec = json::error::syntax;
      return false;
    }
    stack.push_double(d);
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    stack.push_bool(b);
    return true;
  }
  bool on_null(json::error_code&) {
    stack.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  std::size_t max_object_keys_;
  std::vector<std::vector<std::string>> keys_;
  std::string pending_key_;
};

}  // namespace

std::string_view to_string(JsonError e) {
  switch (e) {
    case JsonError::kTooLarge: return "JSON text is too large";
    case JsonError::kTooDeep: return "JSON nesting is too deep";
    case JsonError::kDuplicateKey: return "JSON object has a duplicate key";
    case JsonError::kSyntax: return "malformed JSON";
  }
  return "malformed JSON";
}

std::expected<boost::json::value, JsonError> parse_strict_json(std::string_view text,
                                                               JsonLimits limits) {
  if (text.size() > limits.max_size) return std::unexpected(JsonError::kTooLarge);
  json::parse_options options;
  options.max_depth = limits.max_depth;
  json::basic_parser<StrictHandler> parser(options, limits.max_object_keys);
  parser.handler().stack.reset();
  json::error_code ec;
  const std::size_t n = parser.write_some(false, text.data(), text.size(), ec);
  if (parser.handler().duplicate_key) return std::unexpected(JsonError::kDuplicateKey);
  if (parser.handler().too_many_keys) return std::unexpected(JsonError::kTooLarge);
  if (ec == json::error::too_deep) return std::unexpected(JsonError::kTooDeep);
  if (ec || n != text.size() || !parser.done()) return std::unexpected(JsonError::kSyntax);
  return parser.handler().stack.release();
}

}  // namespace tessera::core
