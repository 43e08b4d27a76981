#include "core/strict_json.h"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory_resource>
#include <string>
#include <utility>
#include <vector>

namespace tessera::core {
namespace {

namespace json = boost::json;

// What a JWT header or claims set needs, so that parsing one allocates only for the result.
constexpr std::size_t kStackScratchBytes = 2048;
constexpr std::size_t kValueStackBytes = 2048;

// A basic_parser handler that enforces what boost::json::basic_parser leaves to its handler:
// no key twice in one object, at most max_object_keys per object, finite numbers. It hands
// every event on to a Sink (which builds a value, or only looks at the top level). The keys
// of the open objects live in one character buffer and one index, both on `scratch`: no
// allocation per key or object.
template <class Sink>
class StrictHandler {
 public:
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  template <class... SinkArgs>
  StrictHandler(std::size_t max_object_keys, std::pmr::memory_resource* scratch,
                SinkArgs&&... sink_args)
      : sink(std::forward<SinkArgs>(sink_args)...),
        max_object_keys_(max_object_keys),
        chars_(scratch),
        keys_(scratch),
        objects_(scratch) {
    // Enough for a JWT header or claims set without growing (growth on a monotonic
    // resource copies, and leaves the old block unused).
    chars_.reserve(256);
    keys_.reserve(32);
    objects_.reserve(8);
  }

  Sink sink;
  bool duplicate_key = false;
  bool too_many_keys = false;

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) {
    objects_.push_back(keys_.size());
    sink.object_begin();
    return true;
  }
  bool on_object_end(std::size_t n, json::error_code&) {
    // No key is in progress here, so the object's keys are the last ones in chars_.
    const std::size_t first = objects_.back();
    objects_.pop_back();
    if (first < keys_.size()) chars_.resize(keys_[first].offset);
    keys_.resize(first);
    sink.object_end(n);
    return true;
  }
  bool on_array_begin(json::error_code&) {
    sink.array_begin();
    return true;
  }
  bool on_array_end(std::size_t n, json::error_code&) {
    sink.array_end(n);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    chars_.append(s.data(), s.size());
    sink.key_part(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    const std::size_t offset = keys_.empty() ? 0 : keys_.back().offset + keys_.back().size;
    chars_.append(s.data(), s.size());
    const std::string_view key(chars_.data() + offset, chars_.size() - offset);
    const std::size_t first = objects_.back();
    if (keys_.size() - first == max_object_keys_) {
      too_many_keys = true;
      ec = json::error::syntax;
      return false;
    }
    // A hash of each key lets the scan skip most keys without calling memcmp; equal keys
    // always have equal hashes, so none is missed.
    const std::uint32_t hash = fnv1a(key);
    for (std::size_t i = first; i < keys_.size(); ++i) {
      if (keys_[i].hash == hash && keys_[i].size == key.size() &&
          std::memcmp(chars_.data() + keys_[i].offset, key.data(), key.size()) == 0) {
        duplicate_key = true;
        ec = json::error::syntax;
        return false;
      }
    }
    keys_.push_back({offset, key.size(), hash});
    sink.key(s, key);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    sink.string_part(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    sink.string(s);
    return true;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    sink.int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    sink.uint64(u);
    return true;
  }
  bool on_double(double d, json::string_view, json::error_code& ec) {
    if (!std::isfinite(d)) {
      ec = json::error::syntax;
      return false;
    }
    sink.dbl(d);
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    sink.boolean(b);
    return true;
  }
  bool on_null(json::error_code&) {
    sink.null();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  struct Key {
    std::size_t offset;
    std::size_t size;
    std::uint32_t hash;
  };
  static std::uint32_t fnv1a(std::string_view s) {
    std::uint32_t h = 2166136261u;
    for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
    return h;
  }
  std::size_t max_object_keys_;
  std::pmr::string chars_;                 // the keys of every open object, back to back
  std::pmr::vector<Key> keys_;             // where each of them lies in chars_
  std::pmr::vector<std::size_t> objects_;  // per open object, the index of its first key
};

// Builds the value, as boost::json::parser does.
struct ValueSink {
  ValueSink(unsigned char* buffer, std::size_t size) : stack(json::storage_ptr(), buffer, size) {}
  json::value_stack stack;
  void object_begin() {}
  void object_end(std::size_t n) { stack.push_object(n); }
  void array_begin() {}
  void array_end(std::size_t n) { stack.push_array(n); }
  void key_part(json::string_view s) { stack.push_chars(s); }
  void key(json::string_view last_part, std::string_view) { stack.push_key(last_part); }
  void string_part(json::string_view s) { stack.push_chars(s); }
  void string(json::string_view s) { stack.push_string(s); }
  void int64(std::int64_t i) { stack.push_int64(i); }
  void uint64(std::uint64_t u) { stack.push_uint64(u); }
  void dbl(double d) { stack.push_double(d); }
  void boolean(bool b) { stack.push_bool(b); }
  void null() { stack.push_null(); }
};

// Records the top-level members of an object: each name, and the value when it is a string,
// as offsets into `chars` (which may move as it grows).
class MemberSink {
 public:
  using Kind = StrictJsonMembers::Kind;
  struct Member {
    std::size_t name_offset, name_size;
    Kind kind = Kind::kNull;
    std::size_t value_offset = 0, value_size = 0;          // a string value's place in `chars`
    decltype(StrictJsonMembers::Member::number) number{};  // a number value
  };

  MemberSink(std::pmr::string& chars, std::pmr::memory_resource* scratch)
      : chars(chars), members(scratch) {
    chars.reserve(256);
    members.reserve(16);
  }

  std::pmr::string& chars;  // names and string values, back to back
  std::pmr::vector<Member> members;
  bool is_object = false;

  void object_begin() {
    set_kind(Kind::kObject);
    if (depth_ == 0) is_object = true;
    ++depth_;
  }
  void object_end(std::size_t) { --depth_; }
  void array_begin() {
    set_kind(Kind::kArray);
    ++depth_;
  }
  void array_end(std::size_t) { --depth_; }
  void key_part(json::string_view) {}
  void key(json::string_view, std::string_view whole) {
    if (!at_top()) return;
    members.push_back({.name_offset = chars.size(), .name_size = whole.size()});
    chars.append(whole);
  }
  void string_part(json::string_view s) {
    if (at_top()) chars.append(s.data(), s.size());
  }
  void string(json::string_view s) {
    if (!at_top()) return;
    chars.append(s.data(), s.size());
    Member& m = members.back();
    m.kind = Kind::kString;
    m.value_offset = m.name_offset + m.name_size;
    m.value_size = chars.size() - m.value_offset;
  }
  void int64(std::int64_t i) { set_number(i); }
  void uint64(std::uint64_t u) { set_number(u); }
  void dbl(double d) { set_number(d); }
  void boolean(bool) { set_kind(Kind::kBool); }
  void null() { set_kind(Kind::kNull); }

 private:
  // The kind of a top-level member's value, told as the value begins.
  void set_kind(Kind kind) {
    if (at_top()) members.back().kind = kind;
  }
  template <class Number>
  void set_number(Number n) {
    if (!at_top()) return;
    members.back().kind = Kind::kNumber;
    members.back().number = n;
  }
  // Directly inside the document's object (not inside a top-level array, nor deeper).
  bool at_top() const { return depth_ == 1 && is_object; }
  std::size_t depth_ = 0;
};

template <class Sink>
std::expected<void, JsonError> run_parser(std::string_view text,
                                          json::basic_parser<StrictHandler<Sink>>& parser) {
  json::error_code ec;
  const std::size_t n = parser.write_some(false, text.data(), text.size(), ec);
  if (parser.handler().duplicate_key) return std::unexpected(JsonError::kDuplicateKey);
  if (parser.handler().too_many_keys) return std::unexpected(JsonError::kTooLarge);
  if (ec == json::error::too_deep) return std::unexpected(JsonError::kTooDeep);
  if (ec || n != text.size() || !parser.done()) return std::unexpected(JsonError::kSyntax);
  return {};
}

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
                                                               JsonLimits limits,
                                                               boost::json::storage_ptr sp) {
  if (text.size() > limits.max_size) return std::unexpected(JsonError::kTooLarge);
  json::parse_options options;
  options.max_depth = limits.max_depth;
  alignas(std::max_align_t) unsigned char scratch_buffer[kStackScratchBytes];
  std::pmr::monotonic_buffer_resource scratch(scratch_buffer, sizeof scratch_buffer);
  alignas(std::max_align_t) unsigned char stack_buffer[kValueStackBytes];
  json::basic_parser<StrictHandler<ValueSink>> parser(options, limits.max_object_keys, &scratch,
                                                      stack_buffer, sizeof stack_buffer);
  parser.handler().sink.stack.reset(std::move(sp));
  if (auto ok = run_parser(text, parser); !ok) return std::unexpected(ok.error());
  return parser.handler().sink.stack.release();
}

std::expected<void, JsonError> StrictJsonMembers::parse(std::string_view text, JsonLimits limits) {
  members_.clear();
  chars_.clear();
  is_object_ = false;
  if (text.size() > limits.max_size) return std::unexpected(JsonError::kTooLarge);
  json::parse_options options;
  options.max_depth = limits.max_depth;
  alignas(std::max_align_t) unsigned char scratch_buffer[kStackScratchBytes];
  std::pmr::monotonic_buffer_resource scratch(scratch_buffer, sizeof scratch_buffer);
  json::basic_parser<StrictHandler<MemberSink>> parser(options, limits.max_object_keys, &scratch,
                                                       chars_, &scratch);
  if (auto ok = run_parser(text, parser); !ok) {
    chars_.clear();
    return std::unexpected(ok.error());
  }
  const MemberSink& sink = parser.handler().sink;
  is_object_ = sink.is_object;
  const std::string_view chars(chars_);
  members_.reserve(sink.members.size());
  for (const MemberSink::Member& m : sink.members) {
    members_.push_back({.name = chars.substr(m.name_offset, m.name_size),
                        .kind = m.kind,
                        .string = m.kind == Kind::kString
                                      ? std::optional(chars.substr(m.value_offset, m.value_size))
                                      : std::nullopt,
                        .number = m.number});
  }
  return {};
}

const StrictJsonMembers::Member* StrictJsonMembers::find(std::string_view name) const {
  // Claim names are short and often of one length ("iss", "exp", "jti"...): the first
  // character tells most of them apart without a call to memcmp.
  for (const Member& m : members_) {
    if (m.name.size() == name.size() && (name.empty() || m.name[0] == name[0]) && m.name == name) {
      return &m;
    }
  }
  return nullptr;
}

}  // namespace tessera::core
