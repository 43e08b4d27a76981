// Lets GoogleTest print a StoreResult in a failure message ("error: record not found")
// instead of its bytes. GoogleTest 1.12 knows nothing of std::expected.
#pragma once

#include <ostream>
#include <type_traits>

#include "store/store.h"

namespace tessera::store {

inline void PrintTo(StoreError e, std::ostream* os) { *os << to_string(e); }

template <class T>
void PrintTo(const StoreResult<T>& result, std::ostream* os) {
  if (!result) {
    *os << "error: " << to_string(result.error());
  } else if constexpr (std::is_void_v<T>) {
    *os << "success";
  } else if constexpr (std::is_same_v<T, bool>) {
    *os << (*result ? "true" : "false");
  } else {
    *os << "a value";
  }
}

}  // namespace tessera::store
