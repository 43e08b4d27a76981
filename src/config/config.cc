#include "config/config.h"

#include <arpa/inet.h>
#include <sys/stat.h>
#include <toml++/toml.h>

#include <algorithm>
#include <boost/url/parse.hpp>
#include <charconv>
#include <cstdlib>
#include <map>
#include <thread>

#include "core/duration.h"
#include "core/text.h"

namespace tessera::config {
namespace {

constexpr std::chrono::seconds kMaxAccessTokenTtl{24 * 3600};
constexpr std::chrono::seconds kMaxRefreshReuseGrace{5 * 60};

// One configuration value as found, with where it came from for error messages.
struct Raw {
  std::string value;
  std::string origin;  // "TESSERA_LISTEN" or "listen in tessera.toml"
};

using RawValues = std::map<std::string, Raw>;

// Every known setting: the TOML key; the environment name is TESSERA_ + upper case.
constexpr std::string_view kKeys[] = {
    "listen",
    "issuer",
    "database",
    "signing_alg",
    "secret_key",
    "access_token_ttl",
    "refresh_token_ttl",
    "refresh_reuse_grace",
    "key_rotation",
    "key_publish_delay",
    "key_encryption_key",
    "tls_cert",
    "tls_key",
    "admin_username",
    "admin_password",
    "threads",
    "log",
    "allow_insecure_http",
    "dpop_nonce",
    "database_pool",
    "trusted_proxies",
    "max_connections_per_address",
    "metrics_token",
    "session_idle",
    "session_lifetime",
    "templates_dir",
    "device_code_ttl",
    "device_poll_interval",
    "registration",
    "registration_scopes",
    "registration_resources",
};

// Settings that hold secrets: they must not sit in a file others can read.
constexpr std::string_view kSecretKeys[] = {"secret_key", "key_encryption_key", "admin_password",
                                            "metrics_token"};

std::string env_name(std::string_view key) {
  std::string name = "TESSERA_";
  for (const char c : key)
    name.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return name;
}

std::string fail(const Raw& raw, std::string_view what) {
  return raw.origin + ": " + std::string(what);
}

// The words of a space-separated list, empty ones skipped.
std::vector<std::string> space_separated(std::string_view rest) {
  std::vector<std::string> words;
  while (!rest.empty()) {
    const auto space = rest.find(' ');
    if (space != 0) words.emplace_back(rest.substr(0, space));
    rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
  }
  return words;
}

std::expected<void, std::string> read_toml(const std::string& path, RawValues& out,
                                           std::vector<std::string>& warnings) {
  // toml++ reads a directory as an empty file, which would start with the defaults instead.
  if (struct stat dir{}; ::stat(path.c_str(), &dir) == 0 && S_ISDIR(dir.st_mode)) {
    return std::unexpected("config " + path + ": is a directory, not a file");
  }
  toml::table parsed;
  // Debian builds toml++ with exceptions: a syntax error arrives as toml::parse_error.
  try {
    parsed = toml::parse_file(path);
  } catch (const toml::parse_error& err) {
    if (err.source().begin.line == 0) {
      return std::unexpected("config " + path + ": " + std::string(err.description()));
    }
    return std::unexpected("config " + path + ": line " + std::to_string(err.source().begin.line) +
                           ": " + std::string(err.description()));
  }
  bool has_secret = false;
  for (const auto& [key, node] : parsed) {
    const std::string_view k = key.str();
    if (std::find(std::begin(kKeys), std::end(kKeys), k) == std::end(kKeys)) {
      return std::unexpected("config " + path + ": unknown key '" + core::printable(k) + "'");
    }
    const std::string origin = std::string(k) + " in " + path;
    if (const auto* s = node.as_string()) {
      out[std::string(k)] = Raw{s->get(), origin};
    } else if (const auto* i = node.as_integer()) {
      out[std::string(k)] = Raw{std::to_string(i->get()), origin};
    } else {
      return std::unexpected(origin + ": expected a string or an integer");
    }
    has_secret = has_secret || std::find(std::begin(kSecretKeys), std::end(kSecretKeys), k) !=
                                   std::end(kSecretKeys);
  }
  struct stat st {};
  if (has_secret && ::stat(path.c_str(), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    warnings.push_back("config " + path +
                       " holds secrets and is readable by other users; chmod 600 it");
  }
  return {};
}

std::expected<ListenAddress, std::string> parse_listen(const Raw& raw) {
  const std::string& v = raw.value;
  const std::size_t colon = v.rfind(':');
  if (colon == std::string::npos)
    return std::unexpected(fail(raw, "expected ADDRESS:PORT, e.g. 127.0.0.1:8080"));
  std::string host = v.substr(0, colon);
  const std::string port_text = v.substr(colon + 1);
  // IPv6 addresses are written in brackets ("[::1]:8080"), so the port is never ambiguous.
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  if (host == "localhost" && !bracketed) host = "127.0.0.1";
  unsigned char buf[16];
  const bool v4 = ::inet_pton(AF_INET, host.c_str(), buf) == 1;
  const bool v6 = ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
  if ((!v4 && !v6) || (v4 && bracketed)) {
    return std::unexpected(
        fail(raw, "'" + core::printable(v.substr(0, colon)) + "' is not an IP address"));
  }
  if (v6 && !bracketed) {
    return std::unexpected(fail(raw, "write an IPv6 address in brackets, e.g. [::1]:8080"));
  }
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return std::unexpected(
        fail(raw, "'" + core::printable(port_text) + "' is not a port (0-65535)"));
  }
  return ListenAddress{.host = host, .port = static_cast<std::uint16_t>(port)};
}

std::expected<std::string, std::string> parse_issuer(const Raw& raw,
                                                     std::vector<std::string>& warnings) {
  const std::string& v = raw.value;
  // RFC 8414 section 2: an https URL with no query or fragment. Plain http is allowed for
  // development and behind a TLS-terminating proxy, with a warning.
  const bool https = v.starts_with("https://");
  if (!https && !v.starts_with("http://"))
    return std::unexpected(fail(raw, "must be an http:// or https:// URL"));
  const std::size_t host_start = https ? 8 : 7;
  if (v.size() <= host_start || v.find_first_of("?# ") != std::string::npos ||
      core::has_control_character(v)) {
    return std::unexpected(fail(raw, "must be a URL with a host and no query or fragment"));
  }
  if (v.size() > 512) return std::unexpected(fail(raw, "is too long"));
  if (!https) warnings.push_back(raw.origin + " is not https: tokens name an issuer without TLS");
  return v;
}

template <class T>
std::expected<T, std::string> parse_number(const Raw& raw, T min, T max) {
  T n{};
  const auto [end, ec] = std::from_chars(raw.value.data(), raw.value.data() + raw.value.size(), n);
  if (raw.value.empty() || ec != std::errc{} || end != raw.value.data() + raw.value.size() ||
      n < min || n > max) {
    return std::unexpected(fail(
        raw, "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max)));
  }
  return n;
}

std::expected<std::chrono::seconds, std::string> parse_ttl(const Raw& raw) {
  auto d = core::parse_duration(raw.value);
  if (!d) return std::unexpected(fail(raw, d.error()));
  return *d;
}

// Builds a Config from the raw values, one group of settings at a time, in the order their
// errors are reported.
class Builder {
 public:
  explicit Builder(const RawValues& raw) : raw_(raw) {
    c_.threads = std::max(1u, std::thread::hardware_concurrency());
  }

  std::expected<Config, std::string> build() {
    using Step = std::expected<void, std::string> (Builder::*)();
    for (const Step step :
         {&Builder::where, &Builder::secrets, &Builder::signing, &Builder::limits,
          &Builder::network, &Builder::durations, &Builder::runtime, &Builder::registration}) {
      if (auto done = (this->*step)(); !done) return std::unexpected(done.error());
    }
    return std::move(c_);
  }

 private:
  using Result = std::expected<void, std::string>;

  const Raw* get(std::string_view key) const {
    const auto it = raw_.find(std::string(key));
    return it == raw_.end() ? nullptr : &it->second;
  }

  // Where the server listens, what it calls itself, where it keeps its data.
  Result where() {
    if (const Raw* r = get("listen")) {
      auto v = parse_listen(*r);
      if (!v) return std::unexpected(v.error());
      c_.listen = *v;
    }
    if (const Raw* r = get("issuer")) {
      auto v = parse_issuer(*r, c_.warnings);
      if (!v) return std::unexpected(v.error());
      c_.issuer = *v;
    }
    if (const Raw* r = get("database")) {
      if (r->value.empty()) return std::unexpected(fail(*r, "must not be empty"));
      if (core::has_control_character(r->value)) {
        return std::unexpected(fail(*r, "must not contain control characters"));
      }
      c_.database = r->value;
    }
    if (const Raw* r = get("signing_alg")) {
      const auto alg = jose::parse_algorithm(r->value);
      if (!alg || *alg == jose::Algorithm::kPS256) {
        return std::unexpected(fail(
            *r, "'" + core::printable(r->value) + "' is not one of EdDSA, ES256, RS256, HS256"));
      }
      c_.signing_alg = *alg;
    }
    return {};
  }

  // Settings that are strings when set, and never empty.
  Result secrets() {
    for (auto [key, field] : {std::pair{"secret_key", &c_.secret_key},
                              {"key_encryption_key", &c_.key_encryption_key},
                              {"tls_cert", &c_.tls_cert},
                              {"tls_key", &c_.tls_key},
                              {"admin_username", &c_.admin_username},
                              {"admin_password", &c_.admin_password},
                              {"metrics_token", &c_.metrics_token},
                              {"templates_dir", &c_.templates_dir}}) {
      const Raw* r = get(key);
      if (r == nullptr) continue;
      if (r->value.empty()) return std::unexpected(fail(*r, "must not be empty"));
      *field = r->value;
    }
    return {};
  }

  // The keys that sign: the HS256 secret, or asymmetric keys sealed by the key-encryption key.
  Result signing() {
    if (c_.signing_alg == jose::Algorithm::kHS256) {
      if (!c_.secret_key) {
        return std::unexpected("TESSERA_SECRET_KEY: required when TESSERA_SIGNING_ALG is HS256");
      }
      if (c_.secret_key->size() < 32) {
        return std::unexpected(fail(*get("secret_key"), "must be at least 32 bytes for HS256"));
      }
    } else if (c_.secret_key) {
      c_.warnings.push_back(
          "TESSERA_SECRET_KEY is set but unused: the signing algorithm is not HS256");
    }
    if (c_.uses_postgresql() && !c_.key_encryption_key &&
        c_.signing_alg != jose::Algorithm::kHS256) {
      // Each instance would otherwise make its own key file and could open none of the
      // others' keys.
      return std::unexpected(
          "TESSERA_KEY_ENCRYPTION_KEY: required with a PostgreSQL database, so that every "
          "instance opens the same signing keys");
    }
    return {};
  }

  Result limits() {
    if (const Raw* r = get("database_pool")) {
      auto v = parse_number<unsigned>(*r, 1, 256);
      if (!v) return std::unexpected(v.error());
      c_.database_pool = *v;
    }
    if (c_.metrics_token && (c_.metrics_token->size() < 16 || c_.metrics_token->size() > 512 ||
                             core::has_control_character(*c_.metrics_token) ||
                             c_.metrics_token->find(' ') != std::string::npos)) {
      return std::unexpected(
          fail(*get("metrics_token"),
               "must be 16 to 512 characters without spaces or control characters"));
    }
    if (const Raw* r = get("max_connections_per_address")) {
      auto v = parse_number<unsigned>(*r, 1, 10000);
      if (!v) return std::unexpected(v.error());
      c_.max_connections_per_address = *v;
    }
    if (c_.key_encryption_key && c_.key_encryption_key->size() < 32) {
      return std::unexpected(fail(*get("key_encryption_key"), "must be at least 32 bytes"));
    }
    return {};
  }

  // Dynamic client registration (RFC 7591): off, open, or with initial access tokens; the
  // scopes a registered client may ask for, and the resources (RFC 8707) it may name.
  Result registration() {
    if (const Raw* r = get("registration")) {
      if (r->value != "off" && r->value != "token" && r->value != "open") {
        return std::unexpected(fail(*r, "must be off, token or open"));
      }
      c_.registration = r->value;
    }
    if (const Raw* r = get("registration_scopes")) {
      c_.registration_scopes = space_separated(r->value);
      for (const std::string& word : c_.registration_scopes) {
        const bool token = std::all_of(word.begin(), word.end(), [](char ch) {
          return ch > 0x20 && ch < 0x7f && ch != '"' && ch != '\\';
        });
        if (!token) {
          return std::unexpected(fail(*r, "'" + core::printable(word) + "' is not a scope"));
        }
      }
    }
    if (const Raw* r = get("registration_resources")) {
      c_.registration_resources = space_separated(r->value);
      for (const std::string& uri : c_.registration_resources) {
        // RFC 8707 section 2: an absolute URI without a fragment.
        if (uri.size() > 2048 || !boost::urls::parse_absolute_uri(uri)) {
          return std::unexpected(
              fail(*r, "'" + core::printable(uri) + "' is not an absolute URI without a fragment"));
        }
      }
    }
    return {};
  }

  // TLS, plain HTTP beyond loopback, and the proxies whose X-Forwarded-For is believed.
  Result network() {
    if (c_.tls_cert.has_value() != c_.tls_key.has_value()) {
      return std::unexpected("TESSERA_TLS_CERT and TESSERA_TLS_KEY: set both or neither");
    }
    if (const Raw* r = get("allow_insecure_http")) {
      if (r->value != "0" && r->value != "1") return std::unexpected(fail(*r, "must be 0 or 1"));
      c_.allow_insecure_http = r->value == "1";
    }
    if (const Raw* r = get("dpop_nonce")) {
      if (r->value != "0" && r->value != "1") return std::unexpected(fail(*r, "must be 0 or 1"));
      c_.dpop_nonce = r->value == "1";
    }
    const Raw* r = get("trusted_proxies");
    if (r == nullptr) return {};
    std::string_view rest = r->value;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      std::string entry(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      std::erase_if(entry, [](char ch) { return ch == ' ' || ch == '\t'; });
      unsigned char buf[16];
      if (::inet_pton(AF_INET, entry.c_str(), buf) != 1 &&
          ::inet_pton(AF_INET6, entry.c_str(), buf) != 1) {
        return std::unexpected(fail(
            *r, "'" + core::printable(entry) + "' is not an IP address (a comma-separated list)"));
      }
      c_.trusted_proxies.push_back(std::move(entry));
    }
    return {};
  }

  // RFC 8628: how long a device code lives, and how often a device may poll.
  Result device_durations() {
    if (const Raw* r = get("device_code_ttl")) {
      auto v = parse_ttl(*r);
      if (!v) return std::unexpected(v.error());
      if (*v < std::chrono::seconds(5) || *v > std::chrono::hours(1)) {
        return std::unexpected(fail(*r, "must be between 5s and 1h"));
      }
      c_.device_code_ttl = *v;
    }
    if (const Raw* r = get("device_poll_interval")) {
      auto v = parse_ttl(*r);
      if (!v) return std::unexpected(v.error());
      if (*v > std::chrono::minutes(1)) return std::unexpected(fail(*r, "must be at most 1m"));
      c_.device_poll_interval = *v;
    }
    return {};
  }

  Result durations() {
    for (auto [key, field] : {std::pair{"access_token_ttl", &c_.access_token_ttl},
                              {"refresh_token_ttl", &c_.refresh_token_ttl},
                              {"key_rotation", &c_.key_rotation},
                              {"key_publish_delay", &c_.key_publish_delay},
                              {"session_idle", &c_.session_idle},
                              {"session_lifetime", &c_.session_lifetime}}) {
      if (const Raw* r = get(key)) {
        auto v = parse_ttl(*r);
        if (!v) return std::unexpected(v.error());
        *field = *v;
      }
    }
    if (const Raw* r = get("refresh_reuse_grace")) {
      auto grace = r->value == "0" ? std::chrono::seconds(0) : parse_ttl(*r);
      if (!grace) return std::unexpected(grace.error());
      if (*grace > kMaxRefreshReuseGrace) {
        return std::unexpected(
            fail(*r, "must be at most 5m: within it a copied refresh token goes unnoticed"));
      }
      c_.refresh_reuse_grace = *grace;
    }
    if (auto device = device_durations(); !device) return device;
    if (c_.session_idle > c_.session_lifetime) {
      return std::unexpected(
          "TESSERA_SESSION_IDLE: must be at most TESSERA_SESSION_LIFETIME, which ends a session "
          "however busy");
    }
    if (c_.key_rotation <= c_.key_publish_delay) {
      return std::unexpected(
          "TESSERA_KEY_ROTATION: must be longer than TESSERA_KEY_PUBLISH_DELAY, or keys would "
          "be replaced before they sign");
    }
    if (c_.access_token_ttl > kMaxAccessTokenTtl) {
      return std::unexpected(fail(*get("access_token_ttl"),
                                  "must be at most 1d: access tokens are meant to be short-lived"));
    }
    return {};
  }

  Result runtime() {
    if (const Raw* r = get("threads")) {
      auto v = parse_number<unsigned>(*r, 1, 256);
      if (!v) return std::unexpected(v.error());
      c_.threads = *v;
    }
    if (const Raw* r = get("log")) {
      const auto level = core::parse_log_level(r->value);
      if (!level) {
        return std::unexpected(
            fail(*r, "'" + core::printable(r->value) + "' is not one of debug, info, warn, error"));
      }
      c_.log = *level;
    }
    return {};
  }

  const RawValues& raw_;
  Config c_;
};

}  // namespace

Environment process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

namespace {

// The file's values, then the environment's over them.
std::expected<RawValues, std::string> read_raw(const std::optional<std::string>& file,
                                               const Environment& env,
                                               std::vector<std::string>& warnings) {
  RawValues raw;
  if (file) {
    if (auto ok = read_toml(*file, raw, warnings); !ok) return std::unexpected(ok.error());
  }
  for (const std::string_view key : kKeys) {
    const std::string name = env_name(key);
    if (auto v = env(name)) raw[std::string(key)] = Raw{std::move(*v), name};
  }
  return raw;
}

}  // namespace

std::expected<Config, std::string> load_config(const std::optional<std::string>& file,
                                               const Environment& env) {
  std::vector<std::string> warnings;
  auto raw = read_raw(file, env, warnings);
  if (!raw) return std::unexpected(raw.error());
  auto config = Builder(*raw).build();
  if (config) config->warnings.insert(config->warnings.begin(), warnings.begin(), warnings.end());
  return config;
}

std::vector<std::string> config_problems(const std::optional<std::string>& file,
                                         const Environment& env) {
  std::vector<std::string> warnings;
  auto raw = read_raw(file, env, warnings);
  if (!raw) return {raw.error()};
  std::vector<std::string> problems;
  for (;;) {
    auto config = Builder(*raw).build();
    if (config) return problems;
    problems.push_back(config.error());
    // The setting the message names is set aside, and the rest checked again; a problem
    // that names no one setting (a pair set by halves) ends the list.
    const auto named = std::find_if(raw->begin(), raw->end(), [&](const auto& entry) {
      return config.error().starts_with(entry.second.origin + ": ");
    });
    if (named == raw->end()) return problems;
    raw->erase(named);
  }
}

}  // namespace tessera::config
