// Per-thread working copies of OpenSSL contexts that were set up once per key: a thread that
// signs or verifies with a key reuses its own copy instead of setting one up (or copying one)
// for every token, and no two threads ever share one.
//
//   thread_local ThreadCopies<PkeyCtx, 4> copies;
//   EVP_PKEY_CTX* ctx = copies.get(key.number, [&] { return EVP_PKEY_CTX_dup(key.ctx); });
//
// Keys are told apart by a number never reused (next_key_number()), not by address, so a
// rotated-out key's copy is never taken for its successor's. Each copy holds its own
// references and is freed when evicted or when its thread ends.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace tessera::jose {

// A number for a new key, unique in this process.
inline std::uint64_t next_key_number() {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

// Copies for the N keys used last on this thread; `Ptr` owns a context (a std::unique_ptr).
template <class Ptr, std::size_t N>
class ThreadCopies {
 public:
  // This thread's copy for `key_number`, made by `dup()` (which returns a new context, or
  // null on failure) when there is none; the least recently used copy makes room. Null when
  // `dup()` fails.
  template <class Dup>
  auto* get(std::uint64_t key_number, Dup&& dup) {
    std::size_t i = 0;
    while (i < N && !(slots_[i].key_number == key_number && slots_[i].ctx)) ++i;
    if (i == N) {
      i = N - 1;
      slots_[i].ctx.reset(dup());
      slots_[i].key_number = slots_[i].ctx ? key_number : 0;
    }
    // Most recently used first.
    std::rotate(slots_.begin(), slots_.begin() + i, slots_.begin() + i + 1);
    return slots_[0].ctx.get();
  }

  // Drops the copy for `key_number`, if any: after a failure left it in an unknown state,
  // the next get() starts again from the key's own context.
  void forget(std::uint64_t key_number) {
    for (Slot& slot : slots_) {
      if (slot.key_number == key_number) slot = Slot{};
    }
  }

 private:
  struct Slot {
    std::uint64_t key_number = 0;
    Ptr ctx;
  };
  std::array<Slot, N> slots_;
};

}  // namespace tessera::jose
