// The keys used once (DPoP proofs, RFC 9449 section 11.1; client assertions, RFC 7523 section
// 3 item 7) of every process that opens one SQLite database, kept in a file beside it
// (`<database>-replays`, mode 0600, like SQLite's own -wal and -shm files) that each process
// maps into its memory. Remembering a key is a few atomic operations on that memory, where a
// database row was a write transaction, its file locks and a hand-off to a worker thread.
//
//   auto file = ReplayFile::open("data/tessera.db-replays");
//   switch ((*file)->use_once(key, expires_at, now)) {
//     case ReplayFile::Use::kFresh: ...   // remembered now, until expires_at
//     case ReplayFile::Use::kUsed: ...    // a replay
//     case ReplayFile::Use::kFull: ...    // no room: refuse the request (unavailable)
//   }
//
// The file is a hash table of 64-bit slots in buckets of 32: a slot holds 47 bits of a keyed
// SHA-256 of the key (the per-file secret keeps anyone from aiming keys at one bucket), a
// pending bit, and the low 16 bits of its expiry in Unix seconds. A key is remembered for at
// most kMaxAhead seconds, so those 16 bits tell a live slot from an expired one, which the next
// key of the bucket or purge_expired() reuses. Racing uses of one key each take a slot marked
// pending and then look at the bucket again; the rules in use_once() let exactly one of them
// win (all lose only if one racer stops for 50 ms between taking its slot and settling). A
// false kUsed would need 47 bits of two keys' hashes to agree: about once in 10^12 uses.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace tessera::store::sqlite {

class ReplayFile {
 public:
  // The longest a key is remembered, from now.
  static constexpr std::int64_t kMaxAhead = 4096;
  static constexpr std::size_t kSlotsPerBucket = 32;
  // 65,536 buckets: a 16 MiB file (sparse: pages are written as buckets fill), room for
  // about a million keys at once: 14,000 DPoP requests a second, each key kept 70 seconds.
  static constexpr std::size_t kDefaultBuckets = 1 << 16;

  enum class Use { kFresh, kUsed, kFull };

  // Opens the file at `path`, creating it (0600, initialised in a temporary file and then
  // linked into place, so nobody ever maps a half-made one). `buckets` must be a power of two,
  // and an existing file must have been made with the same number. The error names the file.
  static std::expected<std::unique_ptr<ReplayFile>, std::string> open(
      const std::string& path, std::size_t buckets = kDefaultBuckets);

  ~ReplayFile();
  ReplayFile(const ReplayFile&) = delete;
  ReplayFile& operator=(const ReplayFile&) = delete;

  // Remembers `key` until `expires_at` (Unix seconds; at most kMaxAhead after `now`, later is
  // kFull), unless it is remembered already. kFull when the key's bucket holds 32 live keys.
  Use use_once(std::string_view key, std::int64_t expires_at, std::int64_t now);
  // Empties the slots expired at `now`; returns how many.
  std::size_t purge_expired(std::int64_t now);

 private:
  ReplayFile(void* map, std::size_t map_bytes, std::size_t buckets);
  std::array<std::uint8_t, 32> digest(std::string_view key) const;
  std::span<std::uint64_t> bucket(std::size_t index) const;

  void* map_;
  std::size_t map_bytes_;
  std::size_t buckets_;
};

}  // namespace tessera::store::sqlite
