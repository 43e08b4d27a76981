#include "cli/common.h"

#include <iostream>

namespace tessera::cli {

std::string Args::positional(std::string_view what) {
  // Commands take their options and flags first, so whatever starts with -- now is unknown.
  for (auto it = args_.begin(); it != args_.end(); ++it) {
    if (it->starts_with("--")) throw UsageError{"unknown option '" + *it + "'"};
    std::string value = *it;
    args_.erase(it);
    return value;
  }
  throw UsageError{"missing " + std::string(what)};
}

std::optional<std::string> Args::option(std::string_view name) {
  const std::string flag_name = "--" + std::string(name);
  for (auto it = args_.begin(); it != args_.end(); ++it) {
    if (*it == flag_name) {
      if (it + 1 == args_.end()) throw UsageError{flag_name + " needs a value"};
      std::string value = *(it + 1);
      args_.erase(it, it + 2);
      return value;
    }
    if (it->starts_with(flag_name + "=")) {
      std::string value = it->substr(flag_name.size() + 1);
      args_.erase(it);
      return value;
    }
  }
  return std::nullopt;
}

std::vector<std::string> Args::options(std::string_view name) {
  std::vector<std::string> values;
  while (auto v = option(name)) values.push_back(std::move(*v));
  return values;
}

bool Args::flag(std::string_view name) {
  const std::string flag_name = "--" + std::string(name);
  for (auto it = args_.begin(); it != args_.end(); ++it) {
    if (*it == flag_name) {
      args_.erase(it);
      return true;
    }
  }
  return false;
}

void Args::done() const {
  if (!args_.empty()) throw UsageError{"unexpected argument '" + args_.front() + "'"};
}

int fail(std::string_view message) {
  std::cerr << "tessera: " << message << "\n";
  return kExitError;
}

}  // namespace tessera::cli
