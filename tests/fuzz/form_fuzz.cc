// The token endpoint's decoding of untrusted text: http::parse_form and form_decode (the
// body), base64_decode and form_decode of its halves (HTTP Basic credentials, RFC 6749
// section 2.3.1), oauth::Parameters over the pairs, and oauth::parse_scope.
//
// Properties beyond "no crash": standard base64 has one encoding per byte string; a parsed
// scope is a sorted set of valid scope tokens within the limits, and reads back unchanged
// from format_scope.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/base64.h"
#include "fuzz_support.h"
#include "http/form.h"
#include "oauth/parameters.h"
#include "oauth/scope.h"

namespace {

using namespace tessera;

// RFC 4648 section 4, with padding: the one encoding base64_decode should accept.
std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t group = static_cast<std::uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) group |= static_cast<std::uint8_t>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) group |= static_cast<std::uint8_t>(bytes[i + 2]);
    out += kAlphabet[(group >> 18) & 63];
    out += kAlphabet[(group >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(group >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[group & 63] : '=';
  }
  return out;
}

void check_scope(std::string_view input) {
  const auto scope = oauth::parse_scope(input);
  if (!scope) return;
  if (scope->size() > oauth::kMaxScopes) fuzz::fail("parse_scope: too many scopes", input);
  if (!std::is_sorted(scope->begin(), scope->end()) ||
      std::adjacent_find(scope->begin(), scope->end()) != scope->end()) {
    fuzz::fail("parse_scope: not a sorted set", input);
  }
  for (const std::string& token : *scope) {
    if (!oauth::is_scope_token(token) || token.size() > oauth::kMaxScopeTokenBytes) {
      fuzz::fail("parse_scope: an invalid scope token", token);
    }
  }
  const std::string formatted = oauth::format_scope(*scope);
  if (oauth::parse_scope(formatted) != scope) fuzz::fail("format_scope does not read back", input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = fuzz::text(data, size);

  if (const auto pairs = http::parse_form(input)) {
    if (pairs->size() > http::kMaxFormFields) fuzz::fail("parse_form: too many fields", input);
    const oauth::Parameters params(*pairs);
    (void)params.duplicate();
    for (const char* name : {"grant_type", "scope", "username", "client_id"}) {
      if (const auto value = params.get(name)) check_scope(*value);
    }
  }
  if (const auto decoded = http::form_decode(input)) {
    if (input.find_first_of("%+") == std::string_view::npos && *decoded != input) {
      fuzz::fail("form_decode changed text without escapes", input);
    }
  }

  if (const auto basic = core::base64_decode(input)) {
    if (base64_encode(*basic) != input)
      fuzz::fail("base64: two encodings of one byte string", input);
    const std::size_t colon = basic->find(':');
    if (colon != std::string::npos) {
      (void)http::form_decode(std::string_view(*basic).substr(0, colon));
      (void)http::form_decode(std::string_view(*basic).substr(colon + 1));
    }
  }

  check_scope(input);
  return 0;
}
