// Lists kept in one text column as space-separated words: scopes and grant types, neither of
// which ever contains a space (RFC 6749 sections 3.3 and A.10). Both stores use these.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tessera::store {

std::string join_words(const std::vector<std::string>& words);
// Empty words (doubled spaces) are skipped.
std::vector<std::string> split_words(std::string_view text);

}  // namespace tessera::store
