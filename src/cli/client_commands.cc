// tessera client add|list|delete
#include <cstdio>
#include <iostream>

#include "admin/client_admin.h"
#include "app/database.h"
#include "app/settings.h"
#include "cli/common.h"
#include "cli/terminal.h"
#include "oauth/client.h"
#include "password/password_hasher.h"

namespace tessera::cli {
namespace {

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : " ") + item;
  return out.empty() ? "-" : out;
}

int list(admin::ClientAdmin& admin) {
  auto clients = admin.list();
  if (!clients) return fail(clients.error());
  std::size_t width = std::string_view(oauth::kDefaultClientId).size();
  for (const auto& c : *clients) width = std::max(width, c.id.size());
  const auto row = [&](std::string_view id, std::string_view type, std::string_view grants,
                       std::string_view scopes, std::string_view audience,
                       std::string_view created) {
    std::printf("%-*s  %-12s  %-40s  %-24s  %-24s  %s\n", static_cast<int>(width),
                std::string(id).c_str(), std::string(type).c_str(), std::string(grants).c_str(),
                std::string(scopes).c_str(), std::string(audience).c_str(),
                std::string(created).c_str());
  };
  row("ID", "TYPE", "GRANTS", "SCOPES", "AUDIENCE", "CREATED");
  row(oauth::kDefaultClientId, "public", "password refresh_token", "(every scope)", "-",
      "(built-in)");
  for (const auto& c : *clients) {
    row(c.id, c.secret_hash || c.auth_method == "private_key_jwt" ? "confidential" : "public",
        joined(c.grants), joined(c.scopes), c.audience.empty() ? "-" : c.audience,
        core::format_utc(c.created_at));
  }
  return kExitOk;
}

}  // namespace

int run_client(const config::Config& config, Args args) {
  const std::string action = args.positional("client command (add, list, delete)");
  admin::NewClient client;
  bool secret_from_stdin = false;
  std::optional<std::string> jwks_file;
  if (action == "add") {
    secret_from_stdin = args.flag("secret-stdin");
    client.is_public = args.flag("public");
    if (secret_from_stdin && client.is_public) {
      throw UsageError{"give --secret-stdin or --public, not both"};
    }
    client.grants = args.options("grant");
    if (auto scope = args.option("scope")) {
      auto parsed = oauth::parse_scope(*scope);
      if (!parsed) {
        return fail("--scope: '" + *scope + "' is not a space-separated list of scope tokens");
      }
      client.scopes = std::move(*parsed);
    }
    if (auto audience = args.option("audience")) client.audience = *audience;
    client.redirect_uris = args.options("redirect-uri");
    client.post_logout_redirect_uris = args.options("post-logout-redirect-uri");
    client.display_name = args.option("name").value_or("");
    client.skip_consent = args.flag("skip-consent");
    client.id_token_alg = args.option("id-token-alg").value_or("");
    client.require_dpop = args.flag("require-dpop");
    client.require_par = args.flag("require-par");
    client.auth_method = args.option("auth-method").value_or("");
    jwks_file = args.option("jwks");
    client.jwks_uri = args.option("jwks-uri").value_or("");
    client.exchange_audiences = args.options("exchange-audience");
    client.id = args.positional("client ID");
  } else if (action == "delete") {
    client.id = args.positional("client ID");
  } else if (action != "list") {
    throw UsageError{"unknown client command '" + action + "'"};
  }
  args.done();
  if (action == "add") {
    if (auto bad = admin::check_client_id(client.id)) return fail(*bad);
    if (secret_from_stdin) {
      auto secret = read_secret_from_stdin(password::kMaxPasswordBytes);
      if (!secret) return fail(secret.error());
      client.secret = std::move(*secret);
    }
    if (jwks_file) {
      auto text = read_small_file(*jwks_file, 64 * 1024);
      if (!text) return fail("--jwks: " + text.error());
      client.jwks = std::move(*text);
    }
  }

  core::SystemClock clock;
  core::SystemRandom random;
  auto store = app::open_store(config, clock);
  if (!store) return fail(store.error());
  password::PasswordHasher hasher(random);
  admin::ClientAdmin admin(**store, hasher, random, clock,
                           app::derive_settings(config).access_token_lifetime);

  if (action == "list") return list(admin);
  if (action == "delete") {
    if (auto removed = admin.remove(client.id); !removed) return fail(removed.error());
    std::cout << "client " << client.id << " deleted\n";
    return kExitOk;
  }
  auto added = admin.add(client);
  if (!added) return fail(added.error());
  std::cout << "client " << client.id << " added ("
            << (client.is_public                          ? "public"
                : client.auth_method == "private_key_jwt" ? "confidential, private_key_jwt"
                                                          : "confidential")
            << "; grants: " << joined(added->grants) << ")\n";
  if (added->generated_secret) {
    std::cout << "client secret: " << *added->generated_secret << " (shown once)\n";
  }
  return kExitOk;
}

}  // namespace tessera::cli
