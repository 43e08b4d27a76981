// Bounds on the identifiers Tessera keeps, in one place for the protocol, which refuses longer
// input before any lookup, and for the administration that creates them (admin/).
#pragma once

#include <cstddef>

namespace tessera::oauth {

inline constexpr std::size_t kMaxUserNameBytes = 128;
inline constexpr std::size_t kMaxClientIdBytes = 128;

}  // namespace tessera::oauth
