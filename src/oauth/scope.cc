#include "oauth/scope.h"

#include <algorithm>
#include <iterator>

namespace tessera::oauth {

bool is_scope_token(std::string_view token) {
  if (token.empty() || token.size() > kMaxScopeTokenBytes) return false;
  return std::all_of(token.begin(), token.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x21 && u <= 0x7e && c != '"' && c != '\\';
  });
}

std::optional<ScopeSet> parse_scope(std::string_view text) {
  std::vector<std::string> tokens;
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (text[pos] == ' ') {
      ++pos;
      continue;
    }
    const std::size_t end = std::min(text.find(' ', pos), text.size());
    const std::string_view token = text.substr(pos, end - pos);
    if (!is_scope_token(token) || tokens.size() == kMaxScopes) return std::nullopt;
    tokens.emplace_back(token);
    pos = end;
  }
  return make_scope_set(std::move(tokens));
}

std::string format_scope(const ScopeSet& scopes) {
  std::string out;
  for (const std::string& s : scopes) {
    if (!out.empty()) out.push_back(' ');
    out += s;
  }
  return out;
}

ScopeSet make_scope_set(std::vector<std::string> scopes) {
  std::sort(scopes.begin(), scopes.end());
  scopes.erase(std::unique(scopes.begin(), scopes.end()), scopes.end());
  return scopes;
}

ScopeSet intersect(const ScopeSet& a, const ScopeSet& b) {
  ScopeSet out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

bool is_subset(const ScopeSet& subset, const ScopeSet& superset) {
  return std::includes(superset.begin(), superset.end(), subset.begin(), subset.end());
}

bool contains(const ScopeSet& scopes, std::string_view scope) {
  return std::binary_search(scopes.begin(), scopes.end(), scope);
}

}  // namespace tessera::oauth
