#include "oauth/revocation_list.h"

namespace tessera::oauth {

RevocationList::RevocationList(store::RefreshTokenStore& store, const core::Clock& clock)
    : store_(store), clock_(clock), snapshot_(std::make_shared<const Snapshot>()) {}

bool RevocationList::contains(std::string_view jti, std::string_view sid) const {
  const auto snapshot = snapshot_.load();
  // Heterogeneous lookup needs C++20 transparent hashing, which GCC 12's unordered_map does
  // not have for std::string keys; the copy is a few dozen bytes.
  if (!snapshot->jtis.empty() && snapshot->jtis.contains(std::string(jti))) return true;
  return !sid.empty() && !snapshot->sids.empty() && snapshot->sids.contains(std::string(sid));
}

void RevocationList::note(store::Revocation::Kind kind, std::string value,
                          core::TimePoint expires_at) {
  std::lock_guard lock(mutex_);
  auto& map = kind == store::Revocation::Kind::kFamily ? current_.sids : current_.jtis;
  auto& slot = map[std::move(value)];
  slot = std::max(slot, expires_at);
  snapshot_.store(std::make_shared<const Snapshot>(current_));
}

std::expected<void, std::string> RevocationList::sync() {
  std::lock_guard lock(mutex_);
  const core::TimePoint now = clock_.now();
  auto fresh = store_.revocations_since(last_sequence_, now);
  if (!fresh) return std::unexpected("the database is unavailable (see the log)");
  bool changed = false;
  for (store::Revocation& r : *fresh) {
    auto& map = r.kind == store::Revocation::Kind::kFamily ? current_.sids : current_.jtis;
    auto& slot = map[std::move(r.value)];
    slot = std::max(slot, r.expires_at);
    last_sequence_ = std::max(last_sequence_, r.sequence);
    changed = true;
  }
  for (auto* map : {&current_.jtis, &current_.sids}) {
    changed |= std::erase_if(*map, [&](const auto& entry) { return entry.second <= now; }) > 0;
  }
  if (changed) snapshot_.store(std::make_shared<const Snapshot>(current_));
  return {};
}

}  // namespace tessera::oauth
