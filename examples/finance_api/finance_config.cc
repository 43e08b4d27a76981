#include "finance_config.h"

#include <charconv>
#include <cstdlib>

#include "core/text.h"

namespace finance_api {

Environment process_environment() {
  return [](const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

namespace {

// "ADDRESS:PORT"; the address itself is checked when the server binds it.
std::expected<void, std::string> parse_listen(const std::string& value, Config& config) {
  const std::size_t colon = value.rfind(':');
  if (colon == std::string::npos) {
    return std::unexpected("FINANCE_LISTEN: expected ADDRESS:PORT, e.g. 127.0.0.1:8090");
  }
  std::string host = value.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host == "localhost") {
    host = "127.0.0.1";
  }
  const std::string port_text = value.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return std::unexpected("FINANCE_LISTEN: '" + tessera::core::printable(port_text) +
                           "' is not a port (0-65535)");
  }
  config.host = std::move(host);
  config.port = static_cast<std::uint16_t>(port);
  return {};
}

std::expected<void, std::string> parse_onward(const Environment& env, Config& config) {
  auto url = env("FINANCE_ONWARD_URL");
  if (!url || url->empty()) return {};
  if (!url->starts_with("http://") && !url->starts_with("https://")) {
    return std::unexpected("FINANCE_ONWARD_URL: expected http(s)://HOST[:PORT], not '" +
                           tessera::core::printable(*url) + "'");
  }
  while (url->ends_with("/")) url->pop_back();
  Config::Onward onward{.url = std::move(*url), .audience = {}, .secret_file = {}};
  auto audience = env("FINANCE_ONWARD_AUDIENCE");
  if (!audience || audience->empty()) {
    return std::unexpected("FINANCE_ONWARD_AUDIENCE is required with FINANCE_ONWARD_URL");
  }
  onward.audience = std::move(*audience);
  if (auto id = env("FINANCE_CLIENT_ID"); id && !id->empty()) onward.client_id = std::move(*id);
  auto secret_file = env("FINANCE_CLIENT_SECRET_FILE");
  if (!secret_file || secret_file->empty()) {
    return std::unexpected("FINANCE_CLIENT_SECRET_FILE is required with FINANCE_ONWARD_URL");
  }
  onward.secret_file = std::move(*secret_file);
  config.onward = std::move(onward);
  return {};
}

}  // namespace

std::expected<Config, std::string> load_config(const Environment& env) {
  Config config;
  if (auto listen = env("FINANCE_LISTEN")) {
    if (auto parsed = parse_listen(*listen, config); !parsed) {
      return std::unexpected(parsed.error());
    }
  }
  auto issuer = env("FINANCE_ISSUER");
  if (!issuer || issuer->empty()) {
    return std::unexpected(
        "FINANCE_ISSUER is required: Tessera's issuer URL, e.g. http://127.0.0.1:8080");
  }
  config.issuer = std::move(*issuer);
  if (auto audience = env("FINANCE_AUDIENCE")) {
    if (audience->empty()) return std::unexpected("FINANCE_AUDIENCE: must not be empty");
    config.audience = std::move(*audience);
  }
  if (auto path = env("FINANCE_DATA"); path && !path->empty()) config.data_path = std::move(*path);
  if (auto fault = env("FINANCE_FAULT"); fault && !fault->empty()) {
    if (*fault != "0" && *fault != "1") {
      return std::unexpected("FINANCE_FAULT: expected 0 or 1, not '" +
                             tessera::core::printable(*fault) + "'");
    }
    config.fault = *fault == "1";
  }
  for (const auto& [name, field] : {std::pair{"FINANCE_PUBLIC_URL", &config.public_url},
                                    {"FINANCE_RESOURCE", &config.resource}}) {
    auto url = env(name);
    if (!url || url->empty()) continue;
    if (!url->starts_with("http://") && !url->starts_with("https://")) {
      return std::unexpected(std::string(name) + ": expected http(s)://HOST[:PORT], not '" +
                             tessera::core::printable(*url) + "'");
    }
    while (url->ends_with("/")) url->pop_back();
    *field = std::move(*url);
  }
  if (auto onward = parse_onward(env, config); !onward) return std::unexpected(onward.error());
  return config;
}

}  // namespace finance_api
