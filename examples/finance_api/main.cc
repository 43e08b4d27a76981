// finance-api: the seed's resource server in C++. GET /dart/finance/business/{bizNum} answers
// only requests with a Tessera access token for this audience that carries finance:read.
//
//   FINANCE_ISSUER=http://127.0.0.1:8080 build/finance-api
//   curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8090/dart/finance/business/0001234567
//
// Configuration: finance_config.h. Tokens are checked by tessera::Verifier (include/tessera/
// verify.h), which fetches Tessera's JWKS in the background; the HTTP server is Tessera's own.
// SIGTERM or SIGINT: stop accepting, finish the requests in flight, exit 0.
#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include "core/log.h"
#include "finance_config.h"
#include "finance_data.h"
#include "finance_routes.h"
#include "http/server.h"
#include "tessera/verify.h"

namespace {

namespace asio = boost::asio;
using tessera::core::LogLevel;

// How long the start waits for Tessera's keys. Past it the server starts anyway and answers
// 401 until the keys arrive: a resource server should not refuse to start because its
// authorization server is briefly away.
constexpr std::chrono::seconds kKeyWait{5};

int fail(std::string_view message) {
  std::cerr << "finance-api: " << message << std::endl;
  return 1;
}

std::expected<std::string, std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) return std::unexpected("cannot read " + path);
  return text.str();
}

std::string url_of(const asio::ip::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return "http://" + host + ":" + std::to_string(endpoint.port());
}

}  // namespace

int main() {
  const auto config = finance_api::load_config(finance_api::process_environment());
  if (!config) return fail(config.error());

  std::string dataset(finance_api::embedded_dataset());
  if (config->data_path) {
    auto text = read_file(*config->data_path);
    if (!text) return fail("FINANCE_DATA: " + text.error());
    dataset = std::move(*text);
  }
  auto data = finance_api::FinanceData::parse(dataset);
  if (!data) {
    return fail(std::string(config->data_path ? "FINANCE_DATA: " + *config->data_path
                                              : "the built-in dataset") +
                ": " + data.error());
  }

  std::unique_ptr<finance_api::Onward> onward;
  if (config->onward) {
    auto secret = read_file(config->onward->secret_file);
    if (!secret) return fail("FINANCE_CLIENT_SECRET_FILE: " + secret.error());
    while (!secret->empty() && (secret->back() == '\n' || secret->back() == '\r')) {
      secret->pop_back();
    }
    if (secret->empty()) return fail("FINANCE_CLIENT_SECRET_FILE: the file is empty");
    onward = std::make_unique<finance_api::Onward>(
        finance_api::OnwardConfig{.ledger_url = config->onward->url,
                                  .audience = config->onward->audience,
                                  .token_endpoint = config->issuer + "/token",
                                  .client_id = config->onward->client_id,
                                  .client_secret = std::move(*secret)});
  }
  // The onward calls block on two HTTP requests each: off the I/O threads.
  tessera::http::WorkerPool onward_pool(4, 256);

  const unsigned threads = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
  asio::io_context ioc(static_cast<int>(threads));
  tessera::http::Router router;
  tessera::http::Server server(ioc, router);
  const auto endpoint = server.listen(config->host, config->port);
  if (!endpoint) return fail("FINANCE_LISTEN: " + endpoint.error());
  // Known once bound (port 0): the origin DPoP proofs name, and the resource URL (RFC 9728).
  const std::string public_origin = config->public_url.value_or(url_of(*endpoint));
  const std::string resource = config->resource.value_or(public_origin);

  auto verifier = tessera::Verifier::create(
      {.issuer = config->issuer, .audience = config->audience, .resource = resource});
  if (!verifier) return fail("FINANCE_ISSUER: " + verifier.error());
  finance_api::register_routes(
      router, {.verifier = **verifier,
               .data = *data,
               .fault = config->fault,
               .public_origin = public_origin,
               .onward = onward.get(),
               .onward_pool = &onward_pool,
               .metadata = {.resource = resource,
                            .authorization_servers = {config->issuer},
                            .scopes_supported = {std::string(finance_api::kFinanceScope)},
                            .dpop = true}});

  if (!(*verifier)->wait_for_keys(kKeyWait)) {
    tessera::core::log(LogLevel::kWarn, "keys_unavailable",
                       {{"issuer", config->issuer},
                        {"detail", (*verifier)->last_error().value_or("no answer yet")}});
  }

  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        tessera::core::log(LogLevel::kInfo, "shutting_down", {{"signal", signal}});
        server.drain([&ioc] { ioc.stop(); });
        // Kept armed: a second signal during the drain is noted, not fatal.
        signals.async_wait([](const boost::system::error_code&, int) {});
      };
  signals.async_wait(on_signal);
  server.start();
  tessera::core::log(LogLevel::kInfo, "started",
                     {{"listen", url_of(*endpoint)},
                      {"issuer", config->issuer},
                      {"audience", config->audience},
                      {"resource", resource},
                      {"keys", (*verifier)->key_count()},
                      {"companies", data->company_count()}});
  std::cout << "listening on " << url_of(*endpoint) << std::endl;

  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  std::signal(SIGINT, SIG_IGN);
  std::signal(SIGTERM, SIG_IGN);
  tessera::core::log(LogLevel::kInfo, "stopped");
  return 0;
}
