// Lists kept in one text column as space-separated words: scopes and grant types, neither of
// which ever contains a space (RFC 6749 sections 3.3 and A.10), and URIs, which cannot (RFC
// 3986 section 2). Both stores use these.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tessera::store {

std::string join_words(const std::vector<std::string>& words);
// Empty words (doubled spaces) are skipped.
std::vector<std::string> split_words(std::string_view text);
// Both lists' words, sorted, each once.
std::vector<std::string> union_of_words(std::vector<std::string> a,
                                        const std::vector<std::string>& b);

}  // namespace tessera::store
