#include "store/sqlite/tables.h"
#include "store/word_list.h"

namespace tessera::store::sqlite {
namespace {

constexpr std::string_view kColumns =
    "SELECT name, password_hash, scopes, disabled, display_name, email, created_at, updated_at "
    "FROM users ";

User read_user(const Statement& row) {
  return User{
      .name = row.column_text(0),
      .password_hash = row.column_text(1),
      .scopes = split_words(row.column_text(2)),
      .disabled = row.column_int64(3) != 0,
      .display_name = row.column_text(4),
      .email = row.column_text(5),
      .created_at = from_unix_seconds(row.column_int64(6)),
      .updated_at = from_unix_seconds(row.column_int64(7)),
  };
}

}  // namespace

StoreResult<std::optional<User>> SqliteUsers::find_user(std::string_view name) {
  auto conn = db_.read();
  auto stmt = conn->prepare(std::string(kColumns) + "WHERE name = ?1", name);
  if (!stmt) return std::unexpected(unavailable("find_user", stmt.error()));
  auto row = stmt->step();
  if (!row) return std::unexpected(unavailable("find_user", row.error()));
  if (!*row) return std::optional<User>();
  return read_user(*stmt);
}

StoreResult<std::vector<User>> SqliteUsers::list_users() {
  // BINARY collation: names ordered by their UTF-8 bytes, whatever the locale.
  auto conn = db_.read();
  auto stmt = conn->prepare(std::string(kColumns) + "ORDER BY name");
  if (!stmt) return std::unexpected(unavailable("list_users", stmt.error()));
  std::vector<User> users;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(unavailable("list_users", row.error()));
    if (!*row) return users;
    users.push_back(read_user(*stmt));
  }
}

StoreResult<bool> SqliteUsers::has_users() {
  auto conn = db_.read();
  auto stmt = conn->prepare("SELECT EXISTS (SELECT 1 FROM users)");
  if (!stmt) return std::unexpected(unavailable("has_users", stmt.error()));
  auto row = stmt->step();
  if (!row) return std::unexpected(unavailable("has_users", row.error()));
  return *row && stmt->column_int64(0) != 0;
}

StoreResult<std::vector<std::string>> SqliteUsers::list_user_scopes() {
  return db_.distinct_words("list_user_scopes",
                            "SELECT DISTINCT scopes FROM users WHERE scopes != ''");
}

StoreResult<void> SqliteUsers::add_user(const User& user) {
  auto added = db_.write("add_user",
                         "INSERT INTO users (name, password_hash, scopes, disabled, display_name, "
                         "email, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                         user.name, user.password_hash, join_words(user.scopes), user.disabled,
                         user.display_name, user.email, db_.now_seconds());
  if (!added) return std::unexpected(added.error());
  return {};
}

StoreResult<void> SqliteUsers::set_user_disabled(std::string_view name, bool disabled) {
  return db_.write_one("set_user_disabled",
                       "UPDATE users SET disabled = ?2, updated_at = ?3 WHERE name = ?1", name,
                       disabled, db_.now_seconds());
}

StoreResult<void> SqliteUsers::set_user_scopes(std::string_view name,
                                               const std::vector<std::string>& scopes) {
  return db_.write_one("set_user_scopes",
                       "UPDATE users SET scopes = ?2, updated_at = ?3 WHERE name = ?1", name,
                       join_words(scopes), db_.now_seconds());
}

StoreResult<void> SqliteUsers::set_password_hash(std::string_view name, std::string_view hash) {
  return db_.write_one("set_password_hash",
                       "UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE name = ?1", name,
                       hash, db_.now_seconds());
}

// A compare-and-set in one statement. An unknown user is not an error here: its hash was not
// replaced, which is all a caller rehashing after a login needs to know.
StoreResult<bool> SqliteUsers::replace_password_hash(std::string_view name,
                                                     std::string_view old_hash,
                                                     std::string_view new_hash) {
  auto changed = db_.write("replace_password_hash",
                           "UPDATE users SET password_hash = ?3, updated_at = ?4 "
                           "WHERE name = ?1 AND password_hash = ?2",
                           name, old_hash, new_hash, db_.now_seconds());
  if (!changed) return std::unexpected(changed.error());
  return *changed > 0;
}

StoreResult<void> SqliteUsers::delete_user(std::string_view name) {
  return db_.write_one("delete_user", "DELETE FROM users WHERE name = ?1", name);
}

}  // namespace tessera::store::sqlite
