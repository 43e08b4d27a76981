#include "oauth/revocation_list.h"

#include <algorithm>

namespace tessera::oauth {

RevocationList::RevocationList(store::RevocationLog& log, const core::Clock& clock)
    : store_(log), clock_(clock), snapshot_(std::make_shared<const Snapshot>()) {}

namespace {

// Heterogeneous lookup needs C++20 transparent hashing, which GCC 12's unordered_map does not
// have for std::string keys; the copy is a few dozen bytes, made only when the map has entries.
template <class Map>
const typename Map::mapped_type* find(const Map& map, std::string_view key) {
  if (map.empty() || key.empty()) return nullptr;
  const auto it = map.find(std::string(key));
  return it == map.end() ? nullptr : &it->second;
}

}  // namespace

bool RevocationList::revokes(const TokenIdentity& token) const {
  const auto snapshot = snapshot_.load();
  if (find(snapshot->jtis, token.jti) != nullptr) return true;
  if (find(snapshot->sids, token.sid) != nullptr) return true;
  for (const auto& [map, key] : {std::pair{&snapshot->subjects, token.sub},
                                 std::pair{&snapshot->clients, token.client_id}}) {
    if (const Cutoff* cutoff = find(*map, key);
        cutoff != nullptr && token.issued_ms <= core::unix_milliseconds(cutoff->issued_until)) {
      return true;
    }
  }
  return false;
}

void RevocationList::add(store::Revocation r) {
  using Kind = store::Revocation::Kind;
  switch (r.kind) {
    case Kind::kAccessToken:
    case Kind::kFamily: {
      auto& slot = (r.kind == Kind::kFamily ? current_.sids : current_.jtis)[std::move(r.value)];
      slot = std::max(slot, r.expires_at);
      return;
    }
    case Kind::kSubject:
    case Kind::kClient: {
      auto& map = r.kind == Kind::kSubject ? current_.subjects : current_.clients;
      const auto [it, added] =
          map.try_emplace(std::move(r.value), Cutoff{r.issued_until, r.expires_at});
      if (!added) {
        it->second.issued_until = std::max(it->second.issued_until, r.issued_until);
        it->second.expires_at = std::max(it->second.expires_at, r.expires_at);
      }
      return;
    }
  }
}

void RevocationList::note(store::Revocation revocation) {
  std::lock_guard lock(mutex_);
  add(std::move(revocation));
  snapshot_.store(std::make_shared<const Snapshot>(current_));
}

std::expected<void, std::string> RevocationList::sync() {
  std::lock_guard lock(mutex_);
  const core::TimePoint now = clock_.now();
  auto fresh = store_.revocations_since(last_sequence_, now);
  if (!fresh) return std::unexpected("the database is unavailable (see the log)");
  bool changed = false;
  for (store::Revocation& r : *fresh) {
    last_sequence_ = std::max(last_sequence_, r.sequence);
    add(std::move(r));
    changed = true;
  }
  for (auto* map : {&current_.jtis, &current_.sids}) {
    changed |= std::erase_if(*map, [&](const auto& entry) { return entry.second <= now; }) > 0;
  }
  for (auto* map : {&current_.subjects, &current_.clients}) {
    changed |=
        std::erase_if(*map, [&](const auto& entry) { return entry.second.expires_at <= now; }) > 0;
  }
  if (changed) snapshot_.store(std::make_shared<const Snapshot>(current_));
  return {};
}

}  // namespace tessera::oauth
