// tessera key rotate|list|retire
#include <cstdio>
#include <iostream>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "app/database.h"
#include "app/settings.h"
#include "cli/common.h"

namespace tessera::cli {
namespace {

// The two key rings (docs/reference.md, Signing keys): the access tokens' and the id_tokens'.
struct Rings {
  std::unique_ptr<keys::KeyManager> access;
  std::unique_ptr<keys::KeyManager> id_token;
};

int list(const Rings& rings) {
  std::vector<std::pair<std::string_view, keys::KeyInfo>> rows;
  for (const auto& [purpose, manager] :
       {std::pair{"access", rings.access.get()}, std::pair{"id_token", rings.id_token.get()}}) {
    auto keys = manager->list();
    if (!keys) return fail(keys.error());
    for (auto& k : *keys) rows.emplace_back(purpose, std::move(k));
  }
  std::size_t width = 3;
  for (const auto& [purpose, k] : rows) width = std::max(width, k.kid.size());
  std::printf("%-*s  %-8s  %-5s  %-8s  %-20s  %-20s  %s\n", static_cast<int>(width), "KID",
              "PURPOSE", "ALG", "STATUS", "CREATED", "SIGNS FROM", "RETIRES");
  for (const auto& [purpose, k] : rows) {
    std::printf("%-*s  %-8s  %-5s  %-8s  %-20s  %-20s  %s\n", static_cast<int>(width),
                k.kid.c_str(), std::string(purpose).c_str(), k.alg.c_str(),
                std::string(keys::to_string(k.status)).c_str(),
                core::format_utc(k.created_at).c_str(), core::format_utc(k.activates_at).c_str(),
                k.retires_at ? core::format_utc(*k.retires_at).c_str() : "-");
  }
  return kExitOk;
}

int retire(const Rings& rings, const std::string& kid) {
  auto retired = rings.access->retire(kid);
  // A kid the access ring does not hold may be an id_token key.
  if (!retired && retired.error().starts_with("no signing key has kid")) {
    retired = rings.id_token->retire(kid);
  }
  if (!retired) return fail(retired.error());
  std::cout << "key " << kid << " retired: out of the JWKS now\n";
  if (retired->replacement) {
    std::cout << "key " << retired->replacement->kid << " (" << retired->replacement->alg
              << ") signs from now in its place\n";
  }
  return kExitOk;
}

}  // namespace

int run_key(const config::Config& config, Args args) {
  const std::string action = args.positional("key command (rotate, list, retire)");
  std::optional<jose::Algorithm> alg;
  bool id_token_ring = false;
  std::string kid;
  if (action == "rotate") {
    if (auto name = args.option("alg")) {
      alg = jose::parse_algorithm(*name);
      if (!alg || *alg == jose::Algorithm::kHS256) {
        throw UsageError{"--alg must be one of EdDSA, ES256, RS256, PS256"};
      }
    }
    if (auto purpose = args.option("purpose")) {
      if (*purpose != "access" && *purpose != "id_token") {
        throw UsageError{"--purpose must be access or id_token"};
      }
      id_token_ring = *purpose == "id_token";
    }
  } else if (action == "retire") {
    kid = args.positional("KID");
  } else if (action != "list") {
    throw UsageError{"unknown key command '" + action + "'"};
  }
  args.done();
  if (id_token_ring && alg && *alg != jose::Algorithm::kRS256) {
    return fail(
        "the id_token ring holds RS256 keys (a client that registered --id-token-alg "
        "gets the access tokens' key of that algorithm)");
  }
  if (action == "rotate" && !alg && !id_token_ring &&
      config.signing_alg == jose::Algorithm::kHS256) {
    return fail(
        "TESSERA_SIGNING_ALG is HS256, which signs with TESSERA_SECRET_KEY; give --alg to make "
        "an asymmetric key");
  }

  core::SystemClock clock;
  core::SystemRandom random;
  auto store = app::open_store(config, clock);
  if (!store) return fail(store.error());
  const app::Settings settings = app::derive_settings(config);
  Rings rings;
  for (auto [policy, ring] : {std::pair{&settings.keys, &rings.access},
                              std::pair{&settings.id_token_keys, &rings.id_token}}) {
    auto manager = app::open_key_manager(config, *policy, (*store)->keys(), clock, random);
    if (!manager) return fail(manager.error());
    *ring = std::move(*manager);
  }

  if (action == "list") return list(rings);
  if (action == "retire") return retire(rings, kid);
  auto key = (id_token_ring ? rings.id_token : rings.access)->rotate(alg);
  if (!key) return fail(key.error());
  std::cout << "key " << key->kid << " (" << key->alg << ") added: published now, signs from "
            << core::format_utc(key->activates_at) << "\n";
  return kExitOk;
}

}  // namespace tessera::cli
