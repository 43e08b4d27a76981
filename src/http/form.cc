#include "http/form.h"

#include <algorithm>

namespace tessera::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string_view to_string(FormError e) {
  switch (e) {
    case FormError::kBadEscape: return "the form has a malformed percent-escape";
    case FormError::kTooManyFields: return "the form has too many fields";
    case FormError::kNulByte: return "the form has a NUL byte";
  }
  return "the form is malformed";
}

std::expected<std::string, FormError> form_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  // Where the next '+' and the next '%' are (text.size() if nowhere), each found by a memchr
  // and looked for again only once passed: runs of plain characters (a whole token, usually)
  // are copied at once. (string_view::find_first_of would call memchr once per character.)
  const auto next = [text](char c, std::size_t from) {
    return std::min(text.find(c, from), text.size());
  };
  std::size_t plus = next('+', 0);
  std::size_t percent = next('%', 0);
  std::size_t i = 0;
  while (i < text.size()) {
    if (plus < i) plus = next('+', i);
    if (percent < i) percent = next('%', i);
    const std::size_t special = std::min(plus, percent);
    out.append(text.substr(i, special - i));
    i = special;
    if (i == text.size()) break;
    if (text[i] == '+') {
      out.push_back(' ');
      ++i;
      continue;
    }
    if (text.size() - i < 3) return std::unexpected(FormError::kBadEscape);
    const int hi = hex_value(text[i + 1]);
    const int lo = hex_value(text[i + 2]);
    if (hi < 0 || lo < 0) return std::unexpected(FormError::kBadEscape);
    out.push_back(static_cast<char>(hi << 4 | lo));
    i += 3;
  }
  // No name, password, token or identifier has a NUL; C strings further on (libpq's) would
  // end at it, so that "admin\0x" could be read as "admin".
  if (out.find('\0') != std::string::npos) return std::unexpected(FormError::kNulByte);
  return out;
}

std::expected<FormPairs, FormError> parse_form(std::string_view body) {
  FormPairs pairs;
  std::size_t pos = 0;
  while (pos <= body.size()) {
    const std::size_t amp = std::min(body.find('&', pos), body.size());
    const std::string_view field = body.substr(pos, amp - pos);
    pos = amp + 1;
    if (field.empty()) continue;  // "a=1&&b=2" and a trailing '&' are harmless
    if (pairs.size() == kMaxFormFields) return std::unexpected(FormError::kTooManyFields);
    const std::size_t eq = field.find('=');
    auto name = form_decode(field.substr(0, eq));
    if (!name) return std::unexpected(name.error());
    auto value =
        form_decode(eq == std::string_view::npos ? std::string_view{} : field.substr(eq + 1));
    if (!value) return std::unexpected(value.error());
    pairs.emplace_back(std::move(*name), std::move(*value));
  }
  return pairs;
}

}  // namespace tessera::http
