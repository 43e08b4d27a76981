#include "config/env_file.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>

namespace tessera::config {
namespace {

using Values = std::map<std::string, std::string>;

Values parsed(std::string_view text) {
  auto values = parse_env_file(text, "tessera.env");
  if (!values) ADD_FAILURE() << values.error();
  return values ? *values : Values{};
}

std::string error_of(std::string_view text) {
  auto values = parse_env_file(text, "tessera.env");
  return values ? "(parsed)" : values.error();
}

// systemd.exec(5), EnvironmentFile=: what the units read is what config check reads.
TEST(EnvFile, ReadsAssignmentsAsSystemdDoes) {
  const Values v = parsed(
      "# comment\n"
      "; another\n"
      "\n"
      "TESSERA_ISSUER=https://auth.example.com\n"
      "  TESSERA_LOG = debug  \n"
      "TESSERA_DATABASE='/var/lib/tessera/tessera.db'\n"
      "TESSERA_ADMIN_PASSWORD=\"a \\\"quoted\\\" \\\\ word\"\n"
      "TESSERA_TRUSTED_PROXIES=127.0.0.1,\\\n"
      "10.0.0.1\n"
      "EMPTY=\r\n");
  EXPECT_EQ(v, (Values{{"TESSERA_ISSUER", "https://auth.example.com"},
                       {"TESSERA_LOG", "debug"},
                       {"TESSERA_DATABASE", "/var/lib/tessera/tessera.db"},
                       {"TESSERA_ADMIN_PASSWORD", "a \"quoted\" \\ word"},
                       {"TESSERA_TRUSTED_PROXIES", "127.0.0.1,10.0.0.1"},
                       {"EMPTY", ""}}));
}

TEST(EnvFile, ALaterAssignmentWins) { EXPECT_EQ(parsed("A=1\nA=2\n").at("A"), "2"); }

TEST(EnvFile, NamesTheLineOfEachMistake) {
  EXPECT_EQ(error_of("A=1\njunk\n"), "tessera.env:2: expected NAME=VALUE");
  EXPECT_EQ(error_of("1A=x\n"), "tessera.env:1: '1A' is not a variable name");
  EXPECT_EQ(error_of("A-B=x\n"), "tessera.env:1: 'A-B' is not a variable name");
  EXPECT_EQ(error_of("A=\"open\n"), "tessera.env:1: unterminated quote");
}

TEST(EnvFile, TheFilesValuesTakeThePlaceOfTheProcesss) {
  const Environment env = environment_with(
      {{"TESSERA_LOG", "debug"}}, [](const std::string& name) -> std::optional<std::string> {
        if (name == "TESSERA_LOG" || name == "TESSERA_THREADS") return "from-process";
        return std::nullopt;
      });
  EXPECT_EQ(env("TESSERA_LOG"), "debug");
  EXPECT_EQ(env("TESSERA_THREADS"), "from-process");
  EXPECT_EQ(env("TESSERA_ISSUER"), std::nullopt);
}

// `tessera config check` lists every setting that is wrong, not only the first.
TEST(ConfigProblems, NamesEveryWrongSettingAndNothingWhenAllIsWell) {
  const Values wrong{{"TESSERA_LISTEN", "nowhere"},
                     {"TESSERA_THREADS", "0"},
                     {"TESSERA_LOG", "loud"},
                     {"TESSERA_REGISTRATION", "maybe"}};
  const Environment env = environment_with(wrong, [](const std::string&) { return std::nullopt; });
  const auto problems = config_problems(std::nullopt, env);
  ASSERT_EQ(problems.size(), 4u);
  for (const std::string name :
       {"TESSERA_LISTEN: ", "TESSERA_THREADS: ", "TESSERA_LOG: ", "TESSERA_REGISTRATION: "}) {
    EXPECT_EQ(std::count_if(problems.begin(), problems.end(),
                            [&](const std::string& p) { return p.starts_with(name); }),
              1)
        << name;
  }
  const Environment good =
      environment_with({{"TESSERA_LOG", "debug"}}, [](const std::string&) { return std::nullopt; });
  EXPECT_TRUE(config_problems(std::nullopt, good).empty());
}

}  // namespace
}  // namespace tessera::config
