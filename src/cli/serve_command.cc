// tessera serve: the token server, built and run by app::ServerApp until SIGTERM or SIGINT.
#include "app/server_app.h"
#include "cli/common.h"

namespace tessera::cli {

int run_serve(const config::Config& config, Args args) {
  args.done();
  auto app = app::ServerApp::create(config);
  if (!app) return fail(app.error());
  return (*app)->run();
}

}  // namespace tessera::cli
