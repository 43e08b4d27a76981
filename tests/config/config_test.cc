#include "config/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace tessera::config {
namespace {

using std::chrono::seconds;

class LoadConfig : public testing::Test {
 protected:
  void SetUp() override {
    std::string dir = testing::TempDir() + "tessera-config-test-XXXXXX";
    ASSERT_NE(::mkdtemp(dir.data()), nullptr);
    dir_ = dir;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes a TOML file into this test's own directory and returns its path.
  std::string toml(std::string_view text, mode_t mode = 0600,
                   std::string_view name = "tessera.toml") {
    const std::string path = dir_ + "/" + std::string(name);
    std::ofstream(path) << text;
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    return path;
  }

  std::expected<Config, std::string> load(const std::optional<std::string>& file = std::nullopt) {
    return load_config(file, [vars = env_](const std::string& name) -> std::optional<std::string> {
      const auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    });
  }

  // The loaded configuration; a failure to load fails the test with its message.
  Config loaded(const std::optional<std::string>& file = std::nullopt) {
    auto config = load(file);
    if (!config) {
      ADD_FAILURE() << config.error();
      return {};
    }
    return std::move(*config);
  }

  // The one-line error, or "(loaded)". GoogleTest 1.12 cannot print std::expected.
  std::string error(const std::optional<std::string>& file = std::nullopt) {
    auto config = load(file);
    return config ? "(loaded)" : config.error();
  }

  std::string dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(LoadConfig, DefaultsAreTheContracts) {
  const Config c = loaded();
  EXPECT_EQ(c.listen.host, "127.0.0.1");
  EXPECT_EQ(c.listen.port, 8080);
  EXPECT_EQ(c.issuer, std::nullopt);
  EXPECT_EQ(c.database, "data/tessera.db");
  EXPECT_EQ(c.signing_alg, jose::Algorithm::kEdDSA);
  EXPECT_EQ(c.secret_key, std::nullopt);
  EXPECT_EQ(c.access_token_ttl, seconds{15 * 60});
  EXPECT_EQ(c.refresh_token_ttl, seconds{30 * 86400});
  EXPECT_EQ(c.key_rotation, seconds{30 * 86400});
  EXPECT_EQ(c.key_publish_delay, seconds{10 * 60});
  EXPECT_EQ(c.key_encryption_key, std::nullopt);
  EXPECT_EQ(c.tls_cert, std::nullopt);
  EXPECT_EQ(c.tls_key, std::nullopt);
  EXPECT_EQ(c.admin_username, std::nullopt);
  EXPECT_EQ(c.admin_password, std::nullopt);
  EXPECT_EQ(c.log, core::LogLevel::kInfo);
  EXPECT_GE(c.threads, 1u);
  EXPECT_EQ(c.threads, std::max(1u, std::thread::hardware_concurrency()));  // "number of cores"
  EXPECT_TRUE(c.warnings.empty());
}

TEST_F(LoadConfig, TakesEachSettingFromTheEnvironment) {
  env_ = {{"TESSERA_LISTEN", "0.0.0.0:9090"},
          {"TESSERA_ISSUER", "https://auth.example"},
          {"TESSERA_DATABASE", "/var/lib/tessera/t.db"},
          {"TESSERA_SIGNING_ALG", "HS256"},
          {"TESSERA_SECRET_KEY", "0123456789abcdef0123456789abcdef"},
          {"TESSERA_ACCESS_TOKEN_TTL", "5m"},
          {"TESSERA_REFRESH_TOKEN_TTL", "7d"},
          {"TESSERA_KEY_ROTATION", "90d"},
          {"TESSERA_KEY_PUBLISH_DELAY", "1h"},
          {"TESSERA_KEY_ENCRYPTION_KEY", "kek-0123456789abcdef-0123456789ab"},
          {"TESSERA_ADMIN_USERNAME", "root"},
          {"TESSERA_ADMIN_PASSWORD", "pw with spaces"},
          {"TESSERA_THREADS", "3"},
          {"TESSERA_LOG", "debug"}};
  const Config c = loaded();
  EXPECT_EQ(c.listen.host, "0.0.0.0");
  EXPECT_EQ(c.listen.port, 9090);
  EXPECT_EQ(c.issuer, "https://auth.example");
  EXPECT_EQ(c.database, "/var/lib/tessera/t.db");
  EXPECT_EQ(c.signing_alg, jose::Algorithm::kHS256);
  EXPECT_EQ(c.secret_key, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(c.access_token_ttl, seconds{300});
  EXPECT_EQ(c.refresh_token_ttl, seconds{7 * 86400});
  EXPECT_EQ(c.key_rotation, seconds{90 * 86400});
  EXPECT_EQ(c.key_publish_delay, seconds{3600});
  EXPECT_EQ(c.key_encryption_key, "kek-0123456789abcdef-0123456789ab");
  EXPECT_EQ(c.admin_username, "root");
  EXPECT_EQ(c.admin_password, "pw with spaces");
  EXPECT_EQ(c.threads, 3u);
  EXPECT_EQ(c.log, core::LogLevel::kDebug);
  EXPECT_TRUE(c.warnings.empty());
}

TEST_F(LoadConfig, BrowserSessionsLastAsSetAndNeverIdleLongerThanTheyLive) {
  EXPECT_EQ(loaded().session_idle, seconds{30 * 60});
  EXPECT_EQ(loaded().session_lifetime, seconds{10 * 3600});
  EXPECT_EQ(loaded().templates_dir, std::nullopt);
  env_ = {{"TESSERA_SESSION_IDLE", "2h"},
          {"TESSERA_SESSION_LIFETIME", "1d"},
          {"TESSERA_TEMPLATES_DIR", "/etc/tessera/templates"}};
  EXPECT_EQ(loaded().session_idle, seconds{2 * 3600});
  EXPECT_EQ(loaded().session_lifetime, seconds{86400});
  EXPECT_EQ(loaded().templates_dir, "/etc/tessera/templates");
  env_ = {{"TESSERA_SESSION_IDLE", "2d"}};
  EXPECT_EQ(error(),
            "TESSERA_SESSION_IDLE: must be at most TESSERA_SESSION_LIFETIME, which ends a session "
            "however busy");
  env_ = {{"TESSERA_TEMPLATES_DIR", ""}};
  EXPECT_NE(error().find("TESSERA_TEMPLATES_DIR"), std::string::npos);
}

TEST_F(LoadConfig, TakesEachSettingFromTheTomlFile) {
  const std::string path = toml(R"(listen = "[::1]:9443"
issuer = "https://id.example"
database = "db/t.db"
signing_alg = "ES256"
access_token_ttl = "10m"
refresh_token_ttl = "14d"
key_rotation = "60d"
key_publish_delay = "20m"
admin_username = "boss"
admin_password = "secret"
threads = 2
log = "warn"
)");
  const Config c = loaded(path);
  EXPECT_EQ(c.listen.host, "::1");
  EXPECT_EQ(c.listen.port, 9443);
  EXPECT_EQ(c.issuer, "https://id.example");
  EXPECT_EQ(c.database, "db/t.db");
  EXPECT_EQ(c.signing_alg, jose::Algorithm::kES256);
  EXPECT_EQ(c.access_token_ttl, seconds{600});
  EXPECT_EQ(c.refresh_token_ttl, seconds{14 * 86400});
  EXPECT_EQ(c.key_rotation, seconds{60 * 86400});
  EXPECT_EQ(c.key_publish_delay, seconds{1200});
  EXPECT_EQ(c.admin_username, "boss");
  EXPECT_EQ(c.admin_password, "secret");
  EXPECT_EQ(c.threads, 2u);
  EXPECT_EQ(c.log, core::LogLevel::kWarn);
  EXPECT_TRUE(c.warnings.empty());  // 0600: the secret in it is not readable by others
}

TEST_F(LoadConfig, ReadsTomlIntegersAsTheirDecimalText) {
  const Config c = loaded(toml("threads = 4\naccess_token_ttl = 900\n"));
  EXPECT_EQ(c.threads, 4u);
  EXPECT_EQ(c.access_token_ttl, seconds{900});
}

TEST_F(LoadConfig, LetsTheEnvironmentWinOverTheTomlFile) {
  const std::string path = toml("listen = \"127.0.0.1:1111\"\nlog = \"error\"\nthreads = 2\n");
  env_ = {{"TESSERA_LISTEN", "127.0.0.1:2222"}, {"TESSERA_THREADS", "5"}};
  const Config c = loaded(path);
  EXPECT_EQ(c.listen.port, 2222);
  EXPECT_EQ(c.threads, 5u);
  EXPECT_EQ(c.log, core::LogLevel::kError);  // only in the file
}

TEST_F(LoadConfig, LetsAGoodEnvironmentValueHideABadTomlValue) {
  env_ = {{"TESSERA_LOG", "info"}};
  EXPECT_EQ(loaded(toml("log = \"loud\"\n")).log, core::LogLevel::kInfo);
}

TEST_F(LoadConfig, RefusesAnUnknownTomlKey) {
  const std::string path = toml("lisen = \"127.0.0.1:1\"\n");
  EXPECT_EQ(error(path), "config " + path + ": unknown key 'lisen'");
}

TEST_F(LoadConfig, RefusesTomlTablesAndPrefixedKeys) {
  const std::string table = toml("[server]\nlisten = \"127.0.0.1:1\"\n", 0600, "table.toml");
  EXPECT_EQ(error(table), "config " + table + ": unknown key 'server'");
  const std::string prefixed = toml("TESSERA_LISTEN = \"127.0.0.1:1\"\n", 0600, "prefixed.toml");
  EXPECT_EQ(error(prefixed), "config " + prefixed + ": unknown key 'TESSERA_LISTEN'");
}

TEST_F(LoadConfig, RefusesATomlValueThatIsNeitherStringNorInteger) {
  const std::string path = toml("threads = true\n");
  EXPECT_EQ(error(path), "threads in " + path + ": expected a string or an integer");
  const std::string floats = toml("access_token_ttl = 1.5\n", 0600, "float.toml");
  EXPECT_EQ(error(floats), "access_token_ttl in " + floats + ": expected a string or an integer");
}

TEST_F(LoadConfig, NamesTheFileAndLineOfATomlSyntaxError) {
  const std::string path = toml("log = \"info\"\nthreads = 2\nlisten = \"127.0.0.1:1\n");
  const std::string e = error(path);
  EXPECT_TRUE(e.starts_with("config " + path + ": line 3: ")) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
}

TEST_F(LoadConfig, NamesAMissingConfigFile) {
  const std::string path = dir_ + "/absent.toml";
  const std::string e = error(path);
  EXPECT_TRUE(e.starts_with("config " + path + ": ")) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
}

TEST_F(LoadConfig, RefusesADirectoryAsTheConfigFile) {
  EXPECT_EQ(error(dir_), "config " + dir_ + ": is a directory, not a file");
}

TEST_F(LoadConfig, NamesTheTomlKeyAndFileOfABadValue) {
  const std::string path = toml("access_token_ttl = \"15x\"\n");
  EXPECT_EQ(error(path),
            "access_token_ttl in " + path +
                ": '15x' is not a duration; use a whole number with s, m, h or d, e.g. 15m");
  const std::string listen = toml("listen = \"abc\"\n", 0600, "listen.toml");
  EXPECT_EQ(error(listen), "listen in " + listen + ": expected ADDRESS:PORT, e.g. 127.0.0.1:8080");
}

TEST_F(LoadConfig, WarnsWhenAFileWithSecretsIsReadableByOthers) {
  const std::string path = toml("admin_password = \"pw\"\n", 0644);
  const Config c = loaded(path);
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0],
            "config " + path + " holds secrets and is readable by other users; chmod 600 it");
}

TEST_F(LoadConfig, DoesNotWarnAboutAReadableFileWithoutSecrets) {
  EXPECT_TRUE(loaded(toml("log = \"info\"\n", 0644)).warnings.empty());
}

TEST_F(LoadConfig, RequiresASecretForHs256) {
  env_ = {{"TESSERA_SIGNING_ALG", "HS256"}};
  EXPECT_EQ(error(), "TESSERA_SECRET_KEY: required when TESSERA_SIGNING_ALG is HS256");
}

TEST_F(LoadConfig, RefusesAnHs256SecretOf31Bytes) {
  env_ = {{"TESSERA_SIGNING_ALG", "HS256"}, {"TESSERA_SECRET_KEY", std::string(31, 's')}};
  EXPECT_EQ(error(), "TESSERA_SECRET_KEY: must be at least 32 bytes for HS256");
  env_["TESSERA_SECRET_KEY"] = std::string(32, 's');
  EXPECT_EQ(loaded().secret_key, std::string(32, 's'));
}

TEST_F(LoadConfig, CountsTheSecretInBytesNotCharacters) {
  // 16 two-byte characters are 32 bytes: "the string's bytes as given".
  std::string secret;
  for (int i = 0; i < 16; ++i) secret += "\xc3\xa9";
  env_ = {{"TESSERA_SIGNING_ALG", "HS256"}, {"TESSERA_SECRET_KEY", secret}};
  EXPECT_EQ(loaded().secret_key, secret);
}

TEST_F(LoadConfig, WarnsAboutASecretKeyThatIsNotUsed) {
  env_ = {{"TESSERA_SECRET_KEY", std::string(40, 's')}};
  const Config c = loaded();
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0],
            "TESSERA_SECRET_KEY is set but unused: the signing algorithm is not HS256");
}

TEST_F(LoadConfig, AcceptsEachSupportedSigningAlgorithm) {
  for (const auto& [text, alg] : {std::pair{"EdDSA", jose::Algorithm::kEdDSA},
                                  {"ES256", jose::Algorithm::kES256},
                                  {"RS256", jose::Algorithm::kRS256}}) {
    env_ = {{"TESSERA_SIGNING_ALG", text}};
    EXPECT_EQ(loaded().signing_alg, alg) << text;
  }
}

TEST_F(LoadConfig, RefusesAnUnsupportedSigningAlgorithm) {
  for (const std::string_view text : {"PS256", "none", "hs256", "EDDSA", "HS512", ""}) {
    env_ = {{"TESSERA_SIGNING_ALG", std::string(text)}};
    EXPECT_EQ(error(), "TESSERA_SIGNING_ALG: '" + std::string(text) +
                           "' is not one of EdDSA, ES256, RS256, HS256");
  }
}

TEST_F(LoadConfig, AcceptsListenAddressesWithPorts) {
  struct Case {
    std::string text, host;
    std::uint16_t port;
  };
  for (const Case& c : {Case{"[::1]:0", "::1", 0}, Case{"localhost:0", "127.0.0.1", 0},
                        Case{"0.0.0.0:443", "0.0.0.0", 443}, Case{"[::]:8080", "::", 8080},
                        Case{"127.0.0.1:65535", "127.0.0.1", 65535}}) {
    env_ = {{"TESSERA_LISTEN", c.text}};
    const Config config = loaded();
    EXPECT_EQ(config.listen.host, c.host) << c.text;
    EXPECT_EQ(config.listen.port, c.port) << c.text;
  }
}

TEST_F(LoadConfig, RefusesAListenAddressWithoutAPort) {
  for (const std::string_view text : {"abc", "1.2.3.4", ""}) {
    env_ = {{"TESSERA_LISTEN", std::string(text)}};
    EXPECT_EQ(error(), "TESSERA_LISTEN: expected ADDRESS:PORT, e.g. 127.0.0.1:8080") << text;
  }
}

TEST_F(LoadConfig, RefusesAPortOutOfRange) {
  env_ = {{"TESSERA_LISTEN", "1.2.3.4:99999"}};
  EXPECT_EQ(error(), "TESSERA_LISTEN: '99999' is not a port (0-65535)");
  env_ = {{"TESSERA_LISTEN", "1.2.3.4:65536"}};
  EXPECT_EQ(error(), "TESSERA_LISTEN: '65536' is not a port (0-65535)");
  env_ = {{"TESSERA_LISTEN", "1.2.3.4:-1"}};
  EXPECT_EQ(error(), "TESSERA_LISTEN: '-1' is not a port (0-65535)");
  env_ = {{"TESSERA_LISTEN", "1.2.3.4:"}};
  EXPECT_EQ(error(), "TESSERA_LISTEN: '' is not a port (0-65535)");
  env_ = {{"TESSERA_LISTEN", "1.2.3.4:http"}};
  EXPECT_EQ(error(), "TESSERA_LISTEN: 'http' is not a port (0-65535)");
}

TEST_F(LoadConfig, RefusesAHostThatIsNotAnIpAddress) {
  env_ = {{"TESSERA_LISTEN", "example.com:80"}};
  EXPECT_EQ(error(), "TESSERA_LISTEN: 'example.com' is not an IP address");
  env_ = {{"TESSERA_LISTEN", "256.1.1.1:80"}};
  EXPECT_EQ(error(), "TESSERA_LISTEN: '256.1.1.1' is not an IP address");
  env_ = {{"TESSERA_LISTEN", ":80"}};
  EXPECT_EQ(error(), "TESSERA_LISTEN: '' is not an IP address");
}

TEST_F(LoadConfig, NamesTheVariableOfABadDuration) {
  const std::map<std::string, std::pair<std::string, std::string>> cases = {
      {"TESSERA_ACCESS_TOKEN_TTL",
       {"15x", "'15x' is not a duration; use a whole number with s, m, h or d, e.g. 15m"}},
      {"TESSERA_REFRESH_TOKEN_TTL", {"0", "must be greater than zero"}},
      {"TESSERA_KEY_ROTATION", {"-1d", "must be greater than zero"}},
      {"TESSERA_KEY_PUBLISH_DELAY", {"", "is empty; expected a duration such as 15m"}},
  };
  for (const auto& [variable, value_and_message] : cases) {
    env_ = {{variable, value_and_message.first}};
    EXPECT_EQ(error(), variable + ": " + value_and_message.second);
  }
}

TEST_F(LoadConfig, RefusesAnAccessTokenLifetimeOverOneDay) {
  for (const std::string_view text : {"25h", "86401", "2d"}) {
    env_ = {{"TESSERA_ACCESS_TOKEN_TTL", std::string(text)}};
    EXPECT_EQ(
        error(),
        "TESSERA_ACCESS_TOKEN_TTL: must be at most 1d: access tokens are meant to be short-lived")
        << text;
  }
  env_ = {{"TESSERA_ACCESS_TOKEN_TTL", "1d"}};
  EXPECT_EQ(loaded().access_token_ttl, seconds{86400});
}

TEST_F(LoadConfig, AcceptsEachLogLevel) {
  for (const auto& [text, level] : {std::pair{"debug", core::LogLevel::kDebug},
                                    {"info", core::LogLevel::kInfo},
                                    {"warn", core::LogLevel::kWarn},
                                    {"error", core::LogLevel::kError}}) {
    env_ = {{"TESSERA_LOG", text}};
    EXPECT_EQ(loaded().log, level) << text;
  }
}

TEST_F(LoadConfig, RefusesAnUnknownLogLevel) {
  for (const std::string_view text : {"verbose", "warning", "trace", ""}) {
    env_ = {{"TESSERA_LOG", std::string(text)}};
    EXPECT_EQ(error(),
              "TESSERA_LOG: '" + std::string(text) + "' is not one of debug, info, warn, error");
  }
}

TEST_F(LoadConfig, AcceptsThreadsFrom1To256) {
  env_ = {{"TESSERA_THREADS", "1"}};
  EXPECT_EQ(loaded().threads, 1u);
  env_ = {{"TESSERA_THREADS", "256"}};
  EXPECT_EQ(loaded().threads, 256u);
}

TEST_F(LoadConfig, RefusesBadThreadCounts) {
  for (const std::string_view text :
       {"0", "257", "x", "-1", "", "4x", " 4", "4.0", "99999999999999999999"}) {
    env_ = {{"TESSERA_THREADS", std::string(text)}};
    EXPECT_EQ(error(), "TESSERA_THREADS: expected a whole number from 1 to 256")
        << "[" << text << "]";
  }
}

TEST_F(LoadConfig, AcceptsAnHttpsIssuerQuietly) {
  env_ = {{"TESSERA_ISSUER", "https://auth.example/tenant"}};
  const Config c = loaded();
  EXPECT_EQ(c.issuer, "https://auth.example/tenant");
  EXPECT_TRUE(c.warnings.empty());
}

TEST_F(LoadConfig, AcceptsAnHttpIssuerWithAWarning) {
  env_ = {{"TESSERA_ISSUER", "http://127.0.0.1:8080"}};
  const Config c = loaded();
  EXPECT_EQ(c.issuer, "http://127.0.0.1:8080");
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0], "TESSERA_ISSUER is not https: tokens name an issuer without TLS");
}

TEST_F(LoadConfig, RefusesAnIssuerThatIsNotAnHttpUrl) {
  for (const std::string_view text :
       {"ftp://auth.example", "auth.example", "HTTPS://auth.example", ""}) {
    env_ = {{"TESSERA_ISSUER", std::string(text)}};
    EXPECT_EQ(error(), "TESSERA_ISSUER: must be an http:// or https:// URL") << text;
  }
}

TEST_F(LoadConfig, RefusesAnIssuerWithAQueryFragmentOrNoHost) {
  // RFC 8414 section 2: no query or fragment components.
  for (const std::string_view text :
       {"https://auth.example/?x=1", "https://auth.example?", "https://auth.example#top",
        "https://", "http://", "https://auth example"}) {
    env_ = {{"TESSERA_ISSUER", std::string(text)}};
    EXPECT_EQ(error(), "TESSERA_ISSUER: must be a URL with a host and no query or fragment")
        << text;
  }
}

TEST_F(LoadConfig, RefusesAnIssuerLongerThan512Characters) {
  env_ = {{"TESSERA_ISSUER", "https://auth.example/" + std::string(500, 'a')}};
  EXPECT_EQ(error(), "TESSERA_ISSUER: is too long");
}

TEST_F(LoadConfig, RefusesATlsCertificateWithoutAKey) {
  env_ = {{"TESSERA_TLS_CERT", "/etc/tessera/cert.pem"}};
  EXPECT_EQ(error(), "TESSERA_TLS_CERT and TESSERA_TLS_KEY: set both or neither");
  env_ = {{"TESSERA_TLS_KEY", "/etc/tessera/key.pem"}};
  EXPECT_EQ(error(), "TESSERA_TLS_CERT and TESSERA_TLS_KEY: set both or neither");
}

TEST_F(LoadConfig, TakesTheTlsFilesAsGiven) {
  // The files themselves are read when the server starts (and on SIGHUP).
  env_ = {{"TESSERA_TLS_CERT", "/etc/tessera/cert.pem"},
          {"TESSERA_TLS_KEY", "/etc/tessera/key.pem"}};
  const Config c = loaded();
  EXPECT_EQ(c.tls_cert, "/etc/tessera/cert.pem");
  EXPECT_EQ(c.tls_key, "/etc/tessera/key.pem");
}

TEST_F(LoadConfig, AllowInsecureHttpIsZeroOrOne) {
  EXPECT_FALSE(loaded().allow_insecure_http);
  env_ = {{"TESSERA_ALLOW_INSECURE_HTTP", "1"}};
  EXPECT_TRUE(loaded().allow_insecure_http);
  env_ = {{"TESSERA_ALLOW_INSECURE_HTTP", "yes"}};
  EXPECT_EQ(error(), "TESSERA_ALLOW_INSECURE_HTTP: must be 0 or 1");
}

TEST_F(LoadConfig, DpopNonceIsOffByDefaultAndZeroOrOne) {
  EXPECT_FALSE(loaded().dpop_nonce);
  env_ = {{"TESSERA_DPOP_NONCE", "1"}};
  EXPECT_TRUE(loaded().dpop_nonce);
  env_ = {{"TESSERA_DPOP_NONCE", "on"}};
  EXPECT_EQ(error(), "TESSERA_DPOP_NONCE: must be 0 or 1");
}

TEST_F(LoadConfig, TrustedProxiesAreACommaSeparatedListOfIpAddresses) {
  EXPECT_TRUE(loaded().trusted_proxies.empty());
  env_ = {{"TESSERA_TRUSTED_PROXIES", "127.0.0.1, ::1,10.0.0.2"}};
  EXPECT_EQ(loaded().trusted_proxies, (std::vector<std::string>{"127.0.0.1", "::1", "10.0.0.2"}));
  env_ = {{"TESSERA_TRUSTED_PROXIES", "127.0.0.1,nginx.internal"}};
  EXPECT_EQ(error(),
            "TESSERA_TRUSTED_PROXIES: 'nginx.internal' is not an IP address (a comma-separated "
            "list)");
  env_ = {{"TESSERA_TRUSTED_PROXIES", "10.0.0.0/8"}};
  EXPECT_EQ(error(),
            "TESSERA_TRUSTED_PROXIES: '10.0.0.0/8' is not an IP address (a comma-separated list)");
}

// Instances sharing PostgreSQL must share the key-encryption key: a file per instance would
// not open the others' keys.
TEST_F(LoadConfig, APostgresqlUrlNeedsTheKeyEncryptionKeyFromTheEnvironment) {
  for (const std::string_view url : {"postgresql://tessera@db/tessera", "postgres://db/tessera"}) {
    env_ = {{"TESSERA_DATABASE", std::string(url)}};
    EXPECT_EQ(error(),
              "TESSERA_KEY_ENCRYPTION_KEY: required with a PostgreSQL database, so that every "
              "instance opens the same signing keys");
    env_["TESSERA_KEY_ENCRYPTION_KEY"] = std::string(32, 'k');
    const Config c = loaded();
    EXPECT_TRUE(c.uses_postgresql());
    EXPECT_EQ(c.database, url);
  }
}

TEST_F(LoadConfig, DatabasePoolIsAWholeNumberFrom1To256) {
  EXPECT_EQ(loaded().database_pool, 8u);
  env_ = {{"TESSERA_DATABASE_POOL", "32"}};
  EXPECT_EQ(loaded().database_pool, 32u);
  env_ = {{"TESSERA_DATABASE_POOL", "0"}};
  EXPECT_EQ(error(), "TESSERA_DATABASE_POOL: expected a whole number from 1 to 256");
}

TEST_F(LoadConfig, MaxConnectionsPerAddressDefaultsTo1024AndIsBounded) {
  EXPECT_EQ(loaded().max_connections_per_address, 1024u);
  env_ = {{"TESSERA_MAX_CONNECTIONS_PER_ADDRESS", "64"}};
  EXPECT_EQ(loaded().max_connections_per_address, 64u);
  for (const char* bad : {"0", "10001", "many", "-1"}) {
    env_ = {{"TESSERA_MAX_CONNECTIONS_PER_ADDRESS", bad}};
    EXPECT_EQ(error(),
              "TESSERA_MAX_CONNECTIONS_PER_ADDRESS: expected a whole number from 1 to 10000")
        << bad;
  }
}

TEST_F(LoadConfig, MetricsTokenIsUnsetByDefaultAndMustBeLongEnough) {
  EXPECT_FALSE(loaded().metrics_token.has_value());
  env_ = {{"TESSERA_METRICS_TOKEN", "scrape-token-0123456789"}};
  EXPECT_EQ(loaded().metrics_token, "scrape-token-0123456789");
  for (const char* bad : {"short", "has a space in it ok", "line\nbreak-0123456789"}) {
    env_ = {{"TESSERA_METRICS_TOKEN", bad}};
    EXPECT_EQ(error(),
              "TESSERA_METRICS_TOKEN: must be 16 to 512 characters without spaces or "
              "control characters")
        << bad;
    EXPECT_EQ(error().find(bad), std::string::npos) << "a secret is never quoted";
  }
  // A file holding it is a file holding a secret.
  const std::string path = toml("metrics_token = \"scrape-token-0123456789\"\n", 0644);
  env_ = {};
  const Config config = loaded(path);
  ASSERT_EQ(config.warnings.size(), 1u);
  EXPECT_NE(config.warnings[0].find("holds secrets"), std::string::npos);
}

TEST_F(LoadConfig, RefusesEmptyValues) {
  for (const std::string_view variable :
       {"TESSERA_DATABASE", "TESSERA_SECRET_KEY", "TESSERA_KEY_ENCRYPTION_KEY", "TESSERA_TLS_CERT",
        "TESSERA_TLS_KEY", "TESSERA_ADMIN_USERNAME", "TESSERA_ADMIN_PASSWORD",
        "TESSERA_METRICS_TOKEN"}) {
    env_ = {{std::string(variable), ""}};
    EXPECT_EQ(error(), std::string(variable) + ": must not be empty");
  }
}

TEST_F(LoadConfig, ErrorsAreOneLineEvenWhenAValueHasANewline) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"TESSERA_LISTEN", "1.2.3.4:80\n0"},     {"TESSERA_LISTEN", "local\nhost:80"},
      {"TESSERA_SIGNING_ALG", "EdDSA\nHS256"}, {"TESSERA_LOG", "info\nerror"},
      {"TESSERA_ACCESS_TOKEN_TTL", "15m\n"},   {"TESSERA_THREADS", "4\n"},
      {"TESSERA_ISSUER", "https://a\nb"},      {"TESSERA_DATABASE", "postgresql://\n"},
  };
  for (const auto& [variable, value] : cases) {
    env_ = {{variable, value}};
    const std::string e = error();
    EXPECT_TRUE(e.starts_with(variable + ": ")) << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
    EXPECT_EQ(e.find('\r'), std::string::npos) << e;
  }
}

TEST_F(LoadConfig, EscapesControlCharactersOfTheValuesItQuotes) {
  env_ = {{"TESSERA_LOG", "info\nerror"}};
  EXPECT_EQ(error(), "TESSERA_LOG: 'info\\x0aerror' is not one of debug, info, warn, error");
  env_ = {{"TESSERA_LISTEN", "127.0.0.1:80\r"}};
  EXPECT_EQ(error(), "TESSERA_LISTEN: '80\\x0d' is not a port (0-65535)");
  const std::string path = toml("\"lo\\ng\" = 1\n");
  EXPECT_EQ(error(path), "config " + path + ": unknown key 'lo\\x0ag'");
}

TEST_F(LoadConfig, RefusesAnIssuerWithControlCharacters) {
  for (const std::string_view text :
       {"https://auth.example\n", "https://auth.example/\tx", "https://a\x7f"}) {
    env_ = {{"TESSERA_ISSUER", std::string(text)}};
    EXPECT_EQ(error(), "TESSERA_ISSUER: must be a URL with a host and no query or fragment");
  }
}

TEST_F(LoadConfig, NeverQuotesASecretInAnError) {
  env_ = {{"TESSERA_SIGNING_ALG", "HS256"}, {"TESSERA_SECRET_KEY", "short-secret-value"}};
  EXPECT_EQ(error().find("short-secret-value"), std::string::npos);
}

TEST_F(LoadConfig, AsksTheEnvironmentOnlyForTesseraVariables) {
  std::vector<std::string> asked;
  const auto config =
      load_config(std::nullopt, [&](const std::string& name) -> std::optional<std::string> {
        asked.push_back(name);
        return std::nullopt;
      });
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(asked.size(), 31u);
  for (const std::string& name : asked) EXPECT_TRUE(name.starts_with("TESSERA_")) << name;
  for (const std::string_view name : {"TESSERA_LISTEN",
                                      "TESSERA_ISSUER",
                                      "TESSERA_DATABASE",
                                      "TESSERA_SIGNING_ALG",
                                      "TESSERA_SECRET_KEY",
                                      "TESSERA_ACCESS_TOKEN_TTL",
                                      "TESSERA_REFRESH_TOKEN_TTL",
                                      "TESSERA_KEY_ROTATION",
                                      "TESSERA_KEY_PUBLISH_DELAY",
                                      "TESSERA_KEY_ENCRYPTION_KEY",
                                      "TESSERA_TLS_CERT",
                                      "TESSERA_TLS_KEY",
                                      "TESSERA_ADMIN_USERNAME",
                                      "TESSERA_ADMIN_PASSWORD",
                                      "TESSERA_THREADS",
                                      "TESSERA_LOG",
                                      "TESSERA_ALLOW_INSECURE_HTTP",
                                      "TESSERA_DATABASE_POOL",
                                      "TESSERA_TRUSTED_PROXIES",
                                      "TESSERA_SESSION_IDLE",
                                      "TESSERA_SESSION_LIFETIME",
                                      "TESSERA_TEMPLATES_DIR"}) {
    EXPECT_NE(std::find(asked.begin(), asked.end(), name), asked.end()) << name;
  }
}

TEST(ProcessEnvironment, ReadsTheProcessEnvironment) {
  const Environment env = process_environment();
  ASSERT_EQ(::setenv("TESSERA_CONFIG_TEST_PROBE", "value", 1), 0);
  EXPECT_EQ(env("TESSERA_CONFIG_TEST_PROBE"), "value");
  ASSERT_EQ(::unsetenv("TESSERA_CONFIG_TEST_PROBE"), 0);
  EXPECT_EQ(env("TESSERA_CONFIG_TEST_PROBE"), std::nullopt);
}

}  // namespace
}  // namespace tessera::config
