#include "store/sqlite/tables.h"
#include "store/word_list.h"

namespace tessera::store::sqlite {
namespace {

constexpr std::string_view kColumns =
    "SELECT code_hash, user_code, client_id, scopes, expires_at, poll_interval, last_poll, "
    "state, subject, sid, auth_time FROM device_codes ";

DeviceAuthorization read_device(const Statement& row) {
  return DeviceAuthorization{
      .code_hash = row.column_text(0),
      .user_code = row.column_text(1),
      .client_id = row.column_text(2),
      .scopes = split_words(row.column_text(3)),
      .expires_at = from_unix_seconds(row.column_int64(4)),
      .interval = std::chrono::seconds(row.column_int64(5)),
      .last_poll = optional_time(row, 6),
      // The CHECK constraint admits only the states parse_device_state knows.
      .state = parse_device_state(row.column_text(7)).value_or(DeviceState::kDenied),
      .subject = row.column_text(8),
      .sid = row.column_text(9),
      .auth_time = from_unix_seconds(row.column_int64(10))};
}

}  // namespace

StoreResult<void> SqliteDeviceCodes::add_device_code(const DeviceAuthorization& a) {
  auto added = db_.write("add_device_code",
                         "INSERT INTO device_codes (code_hash, user_code, client_id, scopes, "
                         "expires_at, poll_interval, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                         a.code_hash, a.user_code, a.client_id, join_words(a.scopes),
                         seconds_of(a.expires_at), static_cast<std::int64_t>(a.interval.count()),
                         to_string(a.state));
  if (!added) return std::unexpected(added.error());
  return {};
}

StoreResult<std::optional<DeviceAuthorization>> SqliteDeviceCodes::find_user_code(
    std::string_view user_code) {
  constexpr std::string_view kOp = "find_user_code";
  auto conn = db_.read();
  auto stmt = conn->prepare(std::string(kColumns) + "WHERE user_code = ?1", user_code);
  if (!stmt) return std::unexpected(unavailable(kOp, stmt.error()));
  auto row = stmt->step();
  if (!row) return std::unexpected(unavailable(kOp, row.error()));
  if (!*row) return std::optional<DeviceAuthorization>();
  return std::optional<DeviceAuthorization>(read_device(*stmt));
}

StoreResult<bool> SqliteDeviceCodes::decide_device_code(std::string_view user_code,
                                                        const DeviceDecision& d,
                                                        core::TimePoint now) {
  auto changed = db_.write(
      "decide_device_code",
      "UPDATE device_codes SET state = ?2, subject = ?3, sid = ?4, auth_time = ?5, scopes = ?6 "
      "WHERE user_code = ?1 AND state = 'pending' AND expires_at > ?7",
      user_code, to_string(d.approved ? DeviceState::kApproved : DeviceState::kDenied), d.subject,
      d.sid, seconds_of(d.auth_time), join_words(d.scopes), seconds_of(now));
  if (!changed) return std::unexpected(changed.error());
  return *changed == 1;
}

StoreResult<std::optional<Poll>> SqliteDeviceCodes::poll_device_code(std::string_view code_hash,
                                                                     std::string_view client_id,
                                                                     core::TimePoint now) {
  constexpr std::string_view kOp = "poll_device_code";
  using Result = StoreResult<std::optional<Poll>>;
  return db_.transact(kOp, [&](SqliteConnection& conn) -> Result {
    auto stmt = conn.prepare(std::string(kColumns) + "WHERE code_hash = ?1", code_hash);
    if (!stmt) return std::unexpected(unavailable(kOp, stmt.error()));
    auto row = stmt->step();
    if (!row) return std::unexpected(unavailable(kOp, row.error()));
    if (!*row) return std::optional<Poll>();
    const DeviceAuthorization before = read_device(*stmt);
    if (before.client_id != client_id) return std::optional<Poll>();
    Poll poll = next_poll(before, now);
    auto saved = conn.run(
        "UPDATE device_codes SET last_poll = ?2, poll_interval = ?3, state = ?4 "
        "WHERE code_hash = ?1",
        code_hash, seconds_of(poll.after.last_poll),
        static_cast<std::int64_t>(poll.after.interval.count()), to_string(poll.after.state));
    if (!saved) return std::unexpected(unavailable(kOp, saved.error()));
    return std::optional<Poll>(std::move(poll));
  });
}

StoreResult<std::size_t> SqliteDeviceCodes::purge_expired(core::TimePoint before) {
  auto deleted = db_.write("purge_device_codes", "DELETE FROM device_codes WHERE expires_at < ?1",
                           seconds_of(before));
  if (!deleted) return std::unexpected(deleted.error());
  return static_cast<std::size_t>(*deleted);
}

}  // namespace tessera::store::sqlite
