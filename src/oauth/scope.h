// Scopes (RFC 6749 section 3.3): a set of scope tokens written space-separated.
//
//   auto requested = tessera::oauth::parse_scope("finance:read profile");   // sorted set
//   ScopeSet granted = intersect(user.scopes, client_scopes);
//   bool ok = is_subset(*requested, granted);
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::oauth {

// Sorted, without duplicates.
using ScopeSet = std::vector<std::string>;

// scope-token = 1*( %x21 / %x23-5B / %x5D-7E ): printable ASCII except space, " and \.
bool is_scope_token(std::string_view token);

// Splits on spaces (runs of spaces are tolerated) and validates every token; std::nullopt if
// any token is invalid or there are more than kMaxScopes of them.
inline constexpr std::size_t kMaxScopes = 64;
inline constexpr std::size_t kMaxScopeTokenBytes = 128;
std::optional<ScopeSet> parse_scope(std::string_view text);

// Space-separated, in set order.
std::string format_scope(const ScopeSet& scopes);

// Sorts and removes duplicates.
ScopeSet make_scope_set(std::vector<std::string> scopes);

ScopeSet intersect(const ScopeSet& a, const ScopeSet& b);
bool is_subset(const ScopeSet& subset, const ScopeSet& superset);
bool contains(const ScopeSet& scopes, std::string_view scope);

}  // namespace tessera::oauth
