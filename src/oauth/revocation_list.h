// Which still-unexpired access tokens have been revoked: by jti (RFC 7009 revocation of an
// access token), by "sid", the refresh family they came from (revocation of a refresh
// token, reuse of a rotated one), by "sub" up to an issue time (a user disabled, deleted or
// given a new password) or by "client_id" up to an issue time (a client deleted).
//
//   RevocationList revoked(store, clock);
//   revoked.sync();                                 // every second, off the I/O threads
//   if (revoked.revokes(token)) return refuse();    // lock-free, on the I/O threads
//
// The store's revocation log is the truth, so every process sharing the database agrees;
// note() makes a revocation made here effective at once, before the next sync. Entries are
// dropped when every token they cover has expired, so the list stays small.
#pragma once

#include <atomic>
#include <cstdint>
#include <expected>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"
#include "store/store.h"

namespace tessera::oauth {

class RevocationList {
 public:
  RevocationList(store::RevocationLog& log, const core::Clock& clock);

  // Reads revocations logged since the last sync. Blocking.
  std::expected<void, std::string> sync();

  // What a verified token is checked against. `sid` may be empty (a token from a grant
  // without refresh tokens).
  struct TokenIdentity {
    std::string_view jti;
    std::string_view sid;
    std::string_view sub;
    std::string_view client_id;
    std::int64_t issued_ms = 0;  // Unix milliseconds
  };
  bool revokes(const TokenIdentity& token) const;

  // Makes a revocation this process just logged in the store effective at once (its
  // sequence is ignored).
  void note(store::Revocation revocation);

 private:
  // Tokens issued at or before `issued_until` are revoked; the entry goes at `expires_at`.
  struct Cutoff {
    core::TimePoint issued_until;
    core::TimePoint expires_at;
  };
  struct Snapshot {
    std::unordered_map<std::string, core::TimePoint> jtis;
    std::unordered_map<std::string, core::TimePoint> sids;
    std::unordered_map<std::string, Cutoff> subjects;
    std::unordered_map<std::string, Cutoff> clients;
  };

  // Adds one entry to current_; mutex_ held.
  void add(store::Revocation revocation);

  void publish(Snapshot next);

  store::RevocationLog& store_;
  const core::Clock& clock_;
  std::mutex mutex_;  // writers: sync() and note()
  Snapshot current_;  // guarded by mutex_; copied into snapshot_ on change
  std::int64_t last_sequence_ = 0;
  std::atomic<std::shared_ptr<const Snapshot>> snapshot_;
};

}  // namespace tessera::oauth
