// finance-api's configuration: read once from the environment at start, then immutable.
//
//   auto config = finance_api::load_config(finance_api::process_environment());
//   if (!config) { std::cerr << "finance-api: " << config.error() << "\n"; return 1; }
//
//   FINANCE_LISTEN    127.0.0.1:8090  ADDRESS:PORT ([::1]:8090 for IPv6); port 0 picks a free one
//   FINANCE_ISSUER    (required)      Tessera's issuer URL, exactly as its tokens' "iss"
//   FINANCE_AUDIENCE  finance-api     the "aud" tokens must name (tessera client add --audience)
//   FINANCE_DATA      (built in)      a dataset file to serve instead of data/finance.json
//   FINANCE_FAULT     (unset)         "1": every lookup fails, so tests can reach the 500 path
//   FINANCE_PUBLIC_URL  http://ADDR:PORT bound  the origin clients address this service by,
//                                     which DPoP proofs' htu must name (RFC 9449 section 4.3)
//   FINANCE_RESOURCE  FINANCE_PUBLIC_URL  this API's resource URL (RFC 9728): named in its
//                                     protected-resource metadata and its 401 challenges;
//                                     tokens whose "aud" is it are accepted too (RFC 8707)
//   FINANCE_ONWARD_URL  (unset)       the ledger service's origin: with it, GET
//                                     .../{bizNum}/ledger asks it with an exchanged token
//   FINANCE_ONWARD_AUDIENCE           the ledger's "aud" (required with FINANCE_ONWARD_URL)
//   FINANCE_CLIENT_ID  finance-api    this API's client id at Tessera (with token exchange)
//   FINANCE_CLIENT_SECRET_FILE        a file holding its secret (never the secret itself in
//                                     the environment or on the command line)
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <string>

namespace finance_api {

struct Config {
  std::string host = "127.0.0.1";  // an IP literal, IPv6 without brackets
  std::uint16_t port = 8090;
  std::string issuer;
  std::string audience = "finance-api";
  std::optional<std::string> data_path;
  bool fault = false;
  std::optional<std::string> public_url;
  std::optional<std::string> resource;
  // The onward call (finance_onward.h); unset: no /ledger route.
  struct Onward {
    std::string url;
    std::string audience;
    std::string client_id = "finance-api";
    std::string secret_file;
  };
  std::optional<Onward> onward;
};

using Environment = std::function<std::optional<std::string>(const char* name)>;
Environment process_environment();

// The error is one line naming the variable and what is wrong with it. The issuer is only
// checked for presence here; tessera::Verifier::create judges the URL.
std::expected<Config, std::string> load_config(const Environment& env);

}  // namespace finance_api
