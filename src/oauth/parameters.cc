#include "oauth/parameters.h"

#include <algorithm>

namespace tessera::oauth {

std::optional<std::string_view> Parameters::get(std::string_view name) const {
  for (const auto& [key, value] : pairs_) {
    if (key == name && !value.empty()) return value;
  }
  return std::nullopt;
}

std::optional<std::string> Parameters::duplicate() const {
  // Forms here carry a handful of parameters; quadratic is the simplest and fastest.
  for (std::size_t i = 0; i < pairs_.size(); ++i) {
    if (pairs_[i].second.empty()) continue;
    for (std::size_t j = i + 1; j < pairs_.size(); ++j) {
      if (pairs_[j].first == pairs_[i].first && !pairs_[j].second.empty()) return pairs_[i].first;
    }
  }
  return std::nullopt;
}

bool Parameters::is_repeated(std::string_view name) const {
  return std::count_if(pairs_.begin(), pairs_.end(), [&](const auto& pair) {
           return pair.first == name && !pair.second.empty();
         }) > 1;
}

}  // namespace tessera::oauth
