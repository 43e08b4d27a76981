#include "admin/user_admin.h"

#include "core/log.h"
#include "core/text.h"

namespace tessera::admin {
namespace {

std::string store_failure(store::StoreError e, std::string_view name) {
  switch (e) {
    case store::StoreError::kNotFound: return "user " + std::string(name) + " does not exist";
    case store::StoreError::kAlreadyExists: return "user " + std::string(name) + " already exists";
    case store::StoreError::kUnavailable: return "the database is unavailable (see the log)";
  }
  return "the database is unavailable";
}

bool is_valid_utf8_without_controls(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = core::decode_utf8(s, i);
    if (!c) return false;  // overlong forms and surrogates included
    const char32_t cp = c->code_point;
    // ASCII controls and space, C1 controls, and no-break and other spaces are refused.
    if (cp <= 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0xa0) || cp == 0x2028 || cp == 0x2029 ||
        cp == 0x3000 || (cp >= 0x2000 && cp <= 0x200b) || cp == 0xfeff) {
      return false;
    }
    i += c->length;
  }
  return true;
}

}  // namespace

std::optional<std::string> check_user_name(std::string_view name) {
  if (name.empty()) return "a user name cannot be empty";
  if (name.size() > kMaxUserNameBytes) return "a user name is at most 128 bytes";
  if (!is_valid_utf8_without_controls(name)) {
    return "a user name must be UTF-8 without spaces or control characters";
  }
  return std::nullopt;
}

std::optional<std::string> check_new_password(std::string_view password) {
  if (password.size() < kMinPasswordBytes) return "a password must be at least 8 characters";
  if (password.size() > password::kMaxPasswordBytes) return "a password is at most 1024 bytes";
  if (password.find('\0') != std::string_view::npos) return "a password cannot contain NUL";
  return std::nullopt;
}

std::optional<std::string> check_display_name(std::string_view name, std::size_t max_bytes) {
  if (name.size() > max_bytes || core::has_control_character(name) ||
      core::replace_invalid_utf8(name) != name) {
    return "a name is at most " + std::to_string(max_bytes) +
           " bytes of UTF-8 without control characters";
  }
  return std::nullopt;
}

std::optional<std::string> check_profile(const UserProfile& profile) {
  if (auto bad = check_display_name(profile.display_name, 256)) return bad;
  const std::string_view email = profile.email;
  if (email.empty()) return std::nullopt;
  const auto at = email.find('@');
  const bool shaped = email.size() <= 254 && at != std::string_view::npos && at > 0 &&
                      at + 1 < email.size() && email.find('@', at + 1) == std::string_view::npos;
  if (!shaped || core::has_control_character(email) || email.find(' ') != std::string_view::npos ||
      core::replace_invalid_utf8(email) != email) {
    return "'" + core::printable(email) + "' is not an email address";
  }
  return std::nullopt;
}

std::expected<void, std::string> UserAdmin::add(std::string_view name, std::string_view password,
                                                const oauth::ScopeSet& scopes,
                                                const UserProfile& profile) {
  if (auto bad = check_user_name(name)) return std::unexpected(*bad);
  if (auto bad = check_new_password(password)) return std::unexpected(*bad);
  if (auto bad = check_profile(profile)) return std::unexpected(*bad);
  auto hash = hasher_.hash(password);
  if (!hash) return std::unexpected(std::string(password::to_string(hash.error())));
  return insert(name, std::move(*hash), scopes, profile);
}

std::expected<void, std::string> UserAdmin::import(std::string_view name, std::string_view hash,
                                                   const oauth::ScopeSet& scopes,
                                                   const UserProfile& profile) {
  if (auto bad = check_user_name(name)) return std::unexpected(*bad);
  if (auto bad = check_profile(profile)) return std::unexpected(*bad);
  if (auto ok = password::check_importable(hash); !ok) {
    return std::unexpected(
        "cannot import this hash: " + std::string(password::to_string(ok.error())) +
        " (bcrypt $2a$/$2b$/$2y$ or argon2id PHC expected)");
  }
  return insert(name, std::string(hash), scopes, profile);
}

std::expected<void, std::string> UserAdmin::insert(std::string_view name, std::string hash,
                                                   const oauth::ScopeSet& scopes,
                                                   const UserProfile& profile) {
  // A client_credentials token's "sub" is the client id: a user of the same name would be
  // indistinguishable from that client at /userinfo and introspection (RFC 9700 4.15).
  auto client = clients_.find_client(name);
  if (!client) return std::unexpected(store_failure(client.error(), name));
  if (*client)
    return std::unexpected("a client is named " + std::string(name) +
                           "; user and client names must differ");
  for (const std::string& scope : scopes) {
    if (!oauth::is_scope_token(scope))
      return std::unexpected("'" + scope + "' is not a scope token");
  }
  store::User user{.name = std::string(name),
                   .password_hash = std::move(hash),
                   .scopes = oauth::make_scope_set(scopes),
                   .disabled = false,
                   .display_name = profile.display_name,
                   .email = profile.email,
                   .created_at = {},
                   .updated_at = {}};
  if (auto ok = users_.add_user(user); !ok) return std::unexpected(store_failure(ok.error(), name));
  core::audit("user_added", {{"user", name}});
  return {};
}

std::expected<void, std::string> UserAdmin::set_password(std::string_view name,
                                                         std::string_view password) {
  if (auto bad = check_new_password(password)) return std::unexpected(*bad);
  auto hash = hasher_.hash(password);
  if (!hash) return std::unexpected(std::string(password::to_string(hash.error())));
  if (auto ok = users_.set_password_hash(name, *hash); !ok) {
    return std::unexpected(store_failure(ok.error(), name));
  }
  core::audit("password_changed", {{"user", name}});
  // Whoever knew the old password may hold tokens: they end.
  return end_sessions(name, clock_.now(), "password_changed");
}

std::expected<void, std::string> UserAdmin::set_disabled(std::string_view name, bool disabled) {
  if (auto ok = users_.set_user_disabled(name, disabled); !ok) {
    return std::unexpected(store_failure(ok.error(), name));
  }
  core::audit(disabled ? "user_disabled" : "user_enabled", {{"user", name}});
  if (disabled) return end_sessions(name, clock_.now(), "user_disabled");
  return {};
}

std::expected<void, std::string> UserAdmin::remove(std::string_view name) {
  if (auto ok = users_.delete_user(name); !ok)
    return std::unexpected(store_failure(ok.error(), name));
  core::audit("user_deleted", {{"user", name}});
  if (!consents_.forget_subject(name)) {
    return std::unexpected("user " + std::string(name) +
                           " deleted, but their consents could not be forgotten: the database is "
                           "unavailable (see the log)");
  }
  return end_sessions(name, clock_.now(), "user_deleted");
}

std::expected<void, std::string> UserAdmin::end_sessions(std::string_view name,
                                                         core::TimePoint issued_until,
                                                         std::string_view reason) {
  auto signed_out = sessions_.end_subject_sessions(name);
  if (!signed_out) {
    return std::unexpected("user " + std::string(name) +
                           " changed, but their browser sessions could not be ended: the "
                           "database is unavailable (see the log)");
  }
  if (*signed_out > 0) {
    core::audit("user_signed_out", {{"user", name}, {"sessions", *signed_out}, {"reason", reason}});
  }
  if (refresh_ == nullptr) return {};
  if (auto revoked = refresh_->revoke_subject(name, issued_until, reason); !revoked) {
    return std::unexpected("user " + std::string(name) +
                           " changed, but their tokens could not be revoked: the "
                           "database is unavailable (see the log)");
  }
  return {};
}

std::expected<std::vector<store::User>, std::string> UserAdmin::list() {
  auto users = users_.list_users();
  if (!users) return std::unexpected(store_failure(users.error(), ""));
  return std::move(*users);
}

std::expected<UserAdmin::Bootstrap, std::string> UserAdmin::bootstrap(
    std::optional<std::string> name, std::optional<std::string> password) {
  Bootstrap result;
  if (!name) {
    auto any = users_.has_users();
    if (!any) return std::unexpected(store_failure(any.error(), ""));
    if (*any) return result;
  }
  result.name = name.value_or("admin");
  auto existing = users_.find_user(result.name);
  if (!existing) return std::unexpected(store_failure(existing.error(), result.name));
  if (*existing) return result;
  if (!password) {
    result.generated_password = core::random_token(random_, 18);
    password = result.generated_password;
  }
  if (auto ok = add(result.name, *password, {}); !ok) {
    // Instances started together on one database race here; the first one creates the user.
    auto now = users_.find_user(result.name);
    if (now && *now) {
      result.generated_password.reset();
      return result;
    }
    return std::unexpected("cannot create the bootstrap user " + result.name + ": " + ok.error());
  }
  result.created = true;
  return result;
}

}  // namespace tessera::admin
