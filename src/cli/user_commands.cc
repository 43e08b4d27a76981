// tessera user add|list|disable|enable|delete|passwd
#include <cstdio>
#include <iostream>

#include "admin/user_admin.h"
#include "app/database.h"
#include "app/settings.h"
#include "cli/common.h"
#include "cli/terminal.h"
#include "password/password_hasher.h"

namespace tessera::cli {
namespace {

int list(admin::UserAdmin& admin) {
  auto users = admin.list();
  if (!users) return fail(users.error());
  std::size_t width = 4;
  for (const auto& u : *users) width = std::max(width, u.name.size());
  std::printf("%-*s  %-8s  %-20s  %s\n", static_cast<int>(width), "NAME", "STATUS", "CREATED",
              "SCOPES");
  for (const auto& u : *users) {
    std::printf("%-*s  %-8s  %-20s  %s\n", static_cast<int>(width), u.name.c_str(),
                u.disabled ? "disabled" : "enabled", core::format_utc(u.created_at).c_str(),
                oauth::format_scope(u.scopes).c_str());
  }
  return kExitOk;
}

}  // namespace

int run_user(const config::Config& config, Args args) {
  const std::string action =
      args.positional("user command (add, list, disable, enable, delete, passwd)");
  core::SystemClock clock;
  core::SystemRandom random;

  // Parse everything before touching the database, so a usage mistake changes nothing.
  std::optional<std::string> scope_text, hash;
  admin::UserProfile profile;
  bool from_stdin = false;
  std::string name;
  if (action == "add") {
    scope_text = args.option("scope");
    hash = args.option("password-hash");
    from_stdin = args.flag("password-stdin");
    profile.display_name = args.option("name").value_or("");
    profile.email = args.option("email").value_or("");
    if (hash && from_stdin) throw UsageError{"give --password-stdin or --password-hash, not both"};
  } else if (action == "passwd") {
    from_stdin = args.flag("password-stdin");
  } else if (action != "list" && action != "disable" && action != "enable" && action != "delete") {
    throw UsageError{"unknown user command '" + action + "'"};
  }
  if (action != "list") name = args.positional("user NAME");
  args.done();

  oauth::ScopeSet scopes;
  if (scope_text) {
    auto parsed = oauth::parse_scope(*scope_text);
    if (!parsed)
      return fail("--scope: '" + *scope_text + "' is not a space-separated list of scope tokens");
    scopes = std::move(*parsed);
  }
  if (action == "add" || action == "passwd") {
    if (auto bad = admin::check_user_name(name)) return fail(*bad);
    if (auto bad = admin::check_profile(profile)) return fail(*bad);
  }
  std::string password;
  if ((action == "add" && !hash) || action == "passwd") {
    auto read = from_stdin ? read_secret_from_stdin(password::kMaxPasswordBytes)
                           : prompt_new_secret("password", password::kMaxPasswordBytes);
    if (!read) return fail(read.error());
    password = std::move(*read);
    if (auto bad = admin::check_new_password(password)) return fail(*bad);
  }

  auto store = app::open_store(config, clock);
  if (!store) return fail(store.error());
  password::PasswordHasher hasher(random);
  // Disabling or deleting a user ends their refresh tokens; the running server learns of it
  // from the store's revocation log within a second.
  oauth::RevocationList revoked((*store)->revocations(), clock);
  const oauth::RefreshTokens refresh((*store)->refresh_tokens(),
                                     app::derive_settings(config).refresh, clock, random, revoked);
  admin::UserAdmin admin(**store, hasher, random, clock, &refresh);

  std::expected<void, std::string> result;
  std::string done;
  if (action == "list") return list(admin);
  if (action == "add") {
    result = hash ? admin.import(name, *hash, scopes, profile)
                  : admin.add(name, password, scopes, profile);
    done = "user " + name + " added";
  } else if (action == "passwd") {
    result = admin.set_password(name, password);
    done = "password of " + name + " changed";
  } else if (action == "disable" || action == "enable") {
    result = admin.set_disabled(name, action == "disable");
    done = "user " + name + " " + action + "d";
  } else {
    result = admin.remove(name);
    done = "user " + name + " deleted";
  }
  if (!result) return fail(result.error());
  std::cout << done << "\n";
  return kExitOk;
}

}  // namespace tessera::cli
