// tessera key rotate|list|retire
#include <cstdio>
#include <iostream>

#include "app/database.h"
#include "app/settings.h"
#include "cli/common.h"

namespace tessera::cli {
namespace {

int list(keys::KeyManager& manager) {
  auto keys = manager.list();
  if (!keys) return fail(keys.error());
  std::size_t width = 3;
  for (const auto& k : *keys) width = std::max(width, k.kid.size());
  std::printf("%-*s  %-5s  %-8s  %-20s  %-20s  %s\n", static_cast<int>(width), "KID", "ALG",
              "STATUS", "CREATED", "SIGNS FROM", "RETIRES");
  for (const auto& k : *keys) {
    std::printf("%-*s  %-5s  %-8s  %-20s  %-20s  %s\n", static_cast<int>(width), k.kid.c_str(),
                k.alg.c_str(), std::string(keys::to_string(k.status)).c_str(),
                core::format_utc(k.created_at).c_str(), core::format_utc(k.activates_at).c_str(),
                k.retires_at ? core::format_utc(*k.retires_at).c_str() : "-");
  }
  return kExitOk;
}

}  // namespace

int run_key(const config::Config& config, Args args) {
  const std::string action = args.positional("key command (rotate, list, retire)");
  std::optional<jose::Algorithm> alg;
  std::string kid;
  if (action == "rotate") {
    if (auto name = args.option("alg")) {
      alg = jose::parse_algorithm(*name);
      if (!alg || *alg == jose::Algorithm::kHS256) {
        throw UsageError{"--alg must be one of EdDSA, ES256, RS256, PS256"};
      }
    }
  } else if (action == "retire") {
    kid = args.positional("KID");
  } else if (action != "list") {
    throw UsageError{"unknown key command '" + action + "'"};
  }
  args.done();
  if (action == "rotate" && !alg && config.signing_alg == jose::Algorithm::kHS256) {
    return fail(
        "TESSERA_SIGNING_ALG is HS256, which signs with TESSERA_SECRET_KEY; give --alg to make "
        "an asymmetric key");
  }

  core::SystemClock clock;
  core::SystemRandom random;
  auto store = app::open_store(config, clock);
  if (!store) return fail(store.error());
  auto manager = app::open_key_manager(config, app::derive_settings(config).keys, (*store)->keys(),
                                       clock, random);
  if (!manager) return fail(manager.error());

  if (action == "list") return list(**manager);
  if (action == "rotate") {
    auto key = (*manager)->rotate(alg);
    if (!key) return fail(key.error());
    std::cout << "key " << key->kid << " (" << key->alg << ") added: published now, signs from "
              << core::format_utc(key->activates_at) << "\n";
    return kExitOk;
  }
  auto retired = (*manager)->retire(kid);
  if (!retired) return fail(retired.error());
  std::cout << "key " << kid << " retired: out of the JWKS now\n";
  if (retired->replacement) {
    std::cout << "key " << retired->replacement->kid << " (" << retired->replacement->alg
              << ") signs from now in its place\n";
  }
  return kExitOk;
}

}  // namespace tessera::cli
