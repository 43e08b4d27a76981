#include "store/postgres/tables.h"
#include "store/word_list.h"

namespace tessera::store::postgres {
namespace {

constexpr std::string_view kColumns =
    "SELECT code_hash, user_code, client_id, scopes, expires_at, poll_interval, last_poll, "
    "state, subject, sid, auth_time FROM device_codes ";

DeviceAuthorization read_device(const PgResult& r) {
  return DeviceAuthorization{
      .code_hash = r.text(0, 0),
      .user_code = r.text(0, 1),
      .client_id = r.text(0, 2),
      .scopes = split_words(r.text(0, 3)),
      .expires_at = from_seconds(r.int64(0, 4)),
      .interval = std::chrono::seconds(r.int64(0, 5)),
      .last_poll = optional_time(r, 0, 6),
      // The CHECK constraint admits only the states parse_device_state knows.
      .state = parse_device_state(r.text(0, 7)).value_or(DeviceState::kDenied),
      .subject = r.text(0, 8),
      .sid = r.text(0, 9),
      .auth_time = from_seconds(r.int64(0, 10))};
}

}  // namespace

StoreResult<void> PgDeviceCodes::add_device_code(const DeviceAuthorization& a) {
  return done(db_.query(
      "add_device_code",
      "INSERT INTO device_codes (code_hash, user_code, client_id, scopes, "
      "expires_at, poll_interval, state) VALUES ($1, $2, $3, $4, $5, $6, $7)",
      {text(a.code_hash), text(a.user_code), text(a.client_id), text(join_words(a.scopes)),
       integer(seconds_of(a.expires_at)), integer(a.interval.count()), text(to_string(a.state))}));
}

StoreResult<std::optional<DeviceAuthorization>> PgDeviceCodes::find_user_code(
    std::string_view user_code) {
  auto r = db_.query("find_user_code", std::string(kColumns) + "WHERE user_code = $1",
                     {text(user_code)});
  if (!r) return std::unexpected(r.error());
  if (r->size() == 0) return std::optional<DeviceAuthorization>();
  return std::optional<DeviceAuthorization>(read_device(*r));
}

StoreResult<bool> PgDeviceCodes::decide_device_code(std::string_view user_code,
                                                    const DeviceDecision& d, core::TimePoint now) {
  auto r = db_.query(
      "decide_device_code",
      "UPDATE device_codes SET state = $2, subject = $3, sid = $4, auth_time = $5, scopes = $6 "
      "WHERE user_code = $1 AND state = 'pending' AND expires_at > $7",
      {text(user_code), text(to_string(d.approved ? DeviceState::kApproved : DeviceState::kDenied)),
       text(d.subject), text(d.sid), integer(seconds_of(d.auth_time)), text(join_words(d.scopes)),
       integer(seconds_of(now))});
  if (!r) return std::unexpected(r.error());
  return r->affected() == 1;
}

StoreResult<std::optional<Poll>> PgDeviceCodes::poll_device_code(std::string_view code_hash,
                                                                 std::string_view client_id,
                                                                 core::TimePoint now) {
  constexpr std::string_view kOp = "poll_device_code";
  using Result = StoreResult<std::optional<Poll>>;
  return db_.in_transaction(kOp, [&](PgConnection& conn) -> Result {
    // FOR UPDATE: a concurrent poll of the same code waits, then sees this one's writes.
    auto r =
        conn.exec(std::string(kColumns) + "WHERE code_hash = $1 FOR UPDATE", {text(code_hash)});
    if (!r) return std::unexpected(unavailable(kOp, r.error()));
    if (r->size() == 0) return std::optional<Poll>();
    const DeviceAuthorization before = read_device(*r);
    if (before.client_id != client_id) return std::optional<Poll>();
    Poll poll = next_poll(before, now);
    auto saved = conn.exec(
        "UPDATE device_codes SET last_poll = $2, poll_interval = $3, state = $4 "
        "WHERE code_hash = $1",
        {text(code_hash), integer(seconds_of(*poll.after.last_poll)),
         integer(poll.after.interval.count()), text(to_string(poll.after.state))});
    if (!saved) return std::unexpected(unavailable(kOp, saved.error()));
    return std::optional<Poll>(std::move(poll));
  });
}

StoreResult<std::size_t> PgDeviceCodes::purge_expired(core::TimePoint before) {
  auto r = db_.query("purge_device_codes", "DELETE FROM device_codes WHERE expires_at < $1",
                     {integer(seconds_of(before))});
  if (!r) return std::unexpected(r.error());
  return static_cast<std::size_t>(r->affected());
}

}  // namespace tessera::store::postgres
