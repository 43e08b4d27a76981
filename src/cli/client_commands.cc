// tessera client add|list|delete
#include <array>
#include <cstdio>
#include <iostream>

#include "admin/client_admin.h"
#include "app/database.h"
#include "app/settings.h"
#include "cli/common.h"
#include "cli/terminal.h"
#include "core/small_file.h"
#include "oauth/client.h"
#include "password/password_hasher.h"

namespace tessera::cli {
namespace {

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : " ") + item;
  return out.empty() ? "-" : out;
}

// A grant as the table shows it: the RFC's URN without its common prefix ("device_code",
// "token-exchange"), so that the columns stay readable.
std::string short_grants(const std::vector<std::string>& grants) {
  constexpr std::string_view kUrnPrefix = "urn:ietf:params:oauth:grant-type:";
  std::vector<std::string> names;
  for (const std::string& g : grants) {
    names.push_back(g.starts_with(kUrnPrefix) ? g.substr(kUrnPrefix.size()) : g);
  }
  return joined(names);
}

int list(admin::ClientAdmin& admin) {
  auto clients = admin.list();
  if (!clients) return fail(clients.error());
  using Row = std::array<std::string, 6>;
  std::vector<Row> rows = {{"ID", "TYPE", "GRANTS", "SCOPES", "AUDIENCE", "CREATED"},
                           {std::string(oauth::kDefaultClientId), "public",
                            "password refresh_token", "(every scope)", "-", "(built-in)"}};
  for (const auto& c : *clients) {
    std::string type =
        c.secret_hash || c.auth_method == "private_key_jwt" ? "confidential" : "public";
    // RFC 7591: registered by itself at /register, not added here.
    if (!c.registration_token_hash.empty()) type += ",registered";
    rows.push_back({c.id, std::move(type), short_grants(c.grants), joined(c.scopes),
                    c.audience.empty() ? "-" : c.audience, core::format_utc(c.created_at)});
  }
  // Each column as wide as its widest value.
  Row::size_type columns = std::tuple_size_v<Row>;
  std::array<std::size_t, std::tuple_size_v<Row>> width{};
  for (const Row& r : rows) {
    for (Row::size_type i = 0; i < columns; ++i) width[i] = std::max(width[i], r[i].size());
  }
  for (const Row& r : rows) {
    std::string line;
    for (Row::size_type i = 0; i < columns; ++i) {
      line += r[i];
      if (i + 1 < columns) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
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
    client.resources = args.options("resource");
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
      auto text = core::read_small_file(*jwks_file, 64 * 1024);
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
