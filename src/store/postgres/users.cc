#include "store/postgres/tables.h"
#include "store/word_list.h"

namespace tessera::store::postgres {
namespace {

constexpr std::string_view kUserColumns =
    "SELECT name, password_hash, scopes, disabled, display_name, email, created_at, updated_at "
    "FROM users";

User read_user(const PgResult& r, int row) {
  return User{.name = r.text(row, 0),
              .password_hash = r.text(row, 1),
              .scopes = split_words(r.text(row, 2)),
              .disabled = r.text(row, 3) == "t",
              .display_name = r.text(row, 4),
              .email = r.text(row, 5),
              .created_at = from_seconds(r.int64(row, 6)),
              .updated_at = from_seconds(r.int64(row, 7))};
}

}  // namespace

StoreResult<std::optional<User>> PgUsers::find_user(std::string_view name) {
  auto r = db_.query("find_user", std::string(kUserColumns) + " WHERE name = $1", {text(name)});
  if (!r) return std::unexpected(r.error());
  if (r->size() == 0) return std::optional<User>();
  return read_user(*r, 0);
}

StoreResult<std::vector<User>> PgUsers::list_users() {
  // COLLATE "C": ordered by bytes, as the SQLite store does, whatever the database locale.
  auto r = db_.query("list_users", std::string(kUserColumns) + " ORDER BY name COLLATE \"C\"", {});
  if (!r) return std::unexpected(r.error());
  std::vector<User> users;
  for (int i = 0; i < r->size(); ++i) users.push_back(read_user(*r, i));
  return users;
}

StoreResult<bool> PgUsers::has_users() {
  auto r = db_.query("has_users", "SELECT EXISTS (SELECT 1 FROM users)", {});
  if (!r) return std::unexpected(r.error());
  return r->text(0, 0) == "t";
}

StoreResult<std::vector<std::string>> PgUsers::list_user_scopes() {
  return db_.distinct_words("list_user_scopes",
                            "SELECT DISTINCT scopes FROM users WHERE scopes <> ''");
}

StoreResult<void> PgUsers::add_user(const User& user) {
  const std::int64_t now = db_.now_seconds();
  return done(
      db_.query("add_user",
                "INSERT INTO users (name, password_hash, scopes, disabled, display_name, "
                "email, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
                {text(user.name), text(user.password_hash), text(join_words(user.scopes)),
                 boolean(user.disabled), text(user.display_name), text(user.email), integer(now)}));
}

StoreResult<void> PgUsers::set_user_disabled(std::string_view name, bool disabled) {
  return db_.update_one("set_user_disabled",
                        "UPDATE users SET disabled = $2, updated_at = $3 WHERE name = $1",
                        {text(name), boolean(disabled), integer(db_.now_seconds())});
}

StoreResult<void> PgUsers::set_user_scopes(std::string_view name,
                                           const std::vector<std::string>& scopes) {
  return db_.update_one("set_user_scopes",
                        "UPDATE users SET scopes = $2, updated_at = $3 WHERE name = $1",
                        {text(name), text(join_words(scopes)), integer(db_.now_seconds())});
}

StoreResult<void> PgUsers::set_password_hash(std::string_view name, std::string_view hash) {
  return db_.update_one("set_password_hash",
                        "UPDATE users SET password_hash = $2, updated_at = $3 WHERE name = $1",
                        {text(name), text(hash), integer(db_.now_seconds())});
}

StoreResult<bool> PgUsers::replace_password_hash(std::string_view name, std::string_view old_hash,
                                                 std::string_view new_hash) {
  auto r = db_.query("replace_password_hash",
                     "UPDATE users SET password_hash = $3, updated_at = $4 "
                     "WHERE name = $1 AND password_hash = $2",
                     {text(name), text(old_hash), text(new_hash), integer(db_.now_seconds())});
  if (!r) return std::unexpected(r.error());
  return r->affected() > 0;
}

StoreResult<void> PgUsers::delete_user(std::string_view name) {
  return db_.update_one("delete_user", "DELETE FROM users WHERE name = $1", {text(name)});
}

}  // namespace tessera::store::postgres
