// tessera registration token create [--expires 1d] [--max-uses N]
#include <charconv>
#include <iostream>

#include "app/database.h"
#include "cli/common.h"
#include "core/duration.h"
#include "oauth/registration.h"

namespace tessera::cli {
namespace {

constexpr std::chrono::seconds kDefaultLifetime{24 * 3600};
constexpr std::chrono::seconds kMaxLifetime{365 * 24 * 3600};

}  // namespace

int run_registration(const config::Config& config, Args args) {
  const std::string noun = args.positional("registration command (token)");
  const std::string verb = args.positional("registration token command (create)");
  if (noun != "token" || verb != "create") {
    throw UsageError{"unknown registration command '" + noun + " " + verb + "'"};
  }
  std::chrono::seconds lifetime = kDefaultLifetime;
  if (auto expires = args.option("expires")) {
    auto parsed = core::parse_duration(*expires);
    if (!parsed || *parsed > kMaxLifetime) {
      return fail("--expires: '" + *expires + "' is not a duration up to 365d (e.g. 1d, 12h)");
    }
    lifetime = *parsed;
  }
  std::int64_t max_uses = 0;
  if (auto uses = args.option("max-uses")) {
    const auto [end, ec] = std::from_chars(uses->data(), uses->data() + uses->size(), max_uses);
    if (ec != std::errc{} || end != uses->data() + uses->size() || max_uses < 1) {
      return fail("--max-uses: '" + *uses + "' is not a positive number");
    }
  }
  args.done();
  if (config.registration != "token") {
    std::cerr << "tessera: note: TESSERA_REGISTRATION is " << config.registration
              << "; the token works once it is \"token\"\n";
  }
  core::SystemClock clock;
  core::SystemRandom random;
  auto store = app::open_store(config, clock);
  if (!store) return fail(store.error());
  auto token = oauth::create_initial_access_token((*store)->registration_tokens(), clock, random,
                                                  lifetime, max_uses);
  if (!token) return fail(token.error());
  std::cout << "initial access token: " << *token << " (shown once; expires in " << lifetime.count()
            << " s" << (max_uses > 0 ? ", " + std::to_string(max_uses) + " use(s)" : std::string())
            << ")\n";
  return kExitOk;
}

}  // namespace tessera::cli
