// Where the key-encryption key comes from: the configured secret, else a private file beside
// the database, made once. Permission refusals are decided by the file's mode bits, so they
// hold when the tests run as root too.
#include "keys/key_encryption_key.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/random.h"
#include "jose/key_seal.h"

namespace tessera::keys {
namespace {

using ::testing::IsEmpty;

const std::string kSecret = "0123456789abcdef0123456789abcdef";
constexpr std::string_view kPlaintext = "a private key, in PKCS#8";
constexpr std::string_view kBinding = "tessera signing key|kid|EdDSA";

mode_t file_mode(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::string& path, const std::string& content, mode_t mode) {
  { std::ofstream(path, std::ios::binary) << content; }
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

class KeyEncryptionKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "tessera-kek-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = (dir_ / "tessera.kek").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::vector<std::string> files() {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
      names.push_back(entry.path().filename().string());
    }
    return names;
  }

  // What `sealer` sealed, opened by `opener`.
  std::optional<std::string> round_trip(const jose::KeySealer& sealer,
                                        const jose::KeySealer& opener) {
    auto sealed = sealer.seal(kPlaintext, kBinding, random_);
    if (!sealed) {
      ADD_FAILURE() << sealed.error();
      return std::nullopt;
    }
    auto opened = opener.open(*sealed, kBinding);
    if (!opened) return std::nullopt;
    return *opened;
  }

  // The error loading from `path_` with no configured secret ("" when it loads).
  std::string load_error() {
    auto sealer = load_key_encryption_key(std::nullopt, path_, random_);
    return sealer ? "" : sealer.error();
  }

  core::SystemRandom random_;
  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(KeyEncryptionKeyTest, TheConfiguredSecretWinsAndNoFileIsCreated) {
  auto sealer = load_key_encryption_key(kSecret, path_, random_);
  ASSERT_TRUE(sealer.has_value()) << sealer.error();

  EXPECT_THAT(files(), IsEmpty());
  auto same = jose::KeySealer::from_secret(kSecret);
  ASSERT_TRUE(same.has_value());
  EXPECT_EQ(round_trip(*sealer, *same), kPlaintext);
}

TEST_F(KeyEncryptionKeyTest, TheConfiguredSecretWinsOverAnExistingFile) {
  write_file(path_, std::string(32, 'f'), 0600);
  auto sealer = load_key_encryption_key(kSecret, path_, random_);
  ASSERT_TRUE(sealer.has_value()) << sealer.error();

  auto from_file = jose::KeySealer::from_secret(std::string(32, 'f'));
  ASSERT_TRUE(from_file.has_value());
  EXPECT_EQ(round_trip(*sealer, *from_file), std::nullopt);
}

TEST_F(KeyEncryptionKeyTest, AConfiguredSecretUnder32BytesIsRefused) {
  auto sealer = load_key_encryption_key(std::string(31, 'k'), path_, random_);
  ASSERT_FALSE(sealer.has_value());
  EXPECT_EQ(sealer.error(),
            "TESSERA_KEY_ENCRYPTION_KEY: a key-encryption key must be at least 32 bytes");
  EXPECT_THAT(files(), IsEmpty());
}

TEST_F(KeyEncryptionKeyTest, AMissingFileIsCreatedOwnerOnlyWith32RandomBytes) {
  const mode_t old_umask = ::umask(0);
  auto sealer = load_key_encryption_key(std::nullopt, path_, random_);
  ::umask(old_umask);
  ASSERT_TRUE(sealer.has_value()) << sealer.error();

  EXPECT_THAT(files(), ::testing::ElementsAre("tessera.kek"));
  EXPECT_EQ(file_mode(path_), 0600u);
  const std::string content = read_file(path_);
  ASSERT_EQ(content.size(), 32u);
  EXPECT_NE(content, std::string(32, '\0'));
  // The sealer is keyed by the file's bytes.
  auto from_content = jose::KeySealer::from_secret(content);
  ASSERT_TRUE(from_content.has_value());
  EXPECT_EQ(round_trip(*sealer, *from_content), kPlaintext);
}

TEST_F(KeyEncryptionKeyTest, AMissingFileIsNotMadeWhenTheDatabaseHoldsSealedKeys) {
  auto sealer = load_key_encryption_key(std::nullopt, path_, random_, /*may_create=*/false);
  ASSERT_FALSE(sealer.has_value());
  EXPECT_EQ(sealer.error(),
            path_ +
                " is missing, but the database holds signing keys sealed with a "
                "key-encryption key; restore the file or set TESSERA_KEY_ENCRYPTION_KEY");
  EXPECT_THAT(files(), IsEmpty());
}

TEST_F(KeyEncryptionKeyTest, AnExistingFileIsReadWhenNoneMayBeMade) {
  auto first = load_key_encryption_key(std::nullopt, path_, random_);
  ASSERT_TRUE(first.has_value()) << first.error();
  auto again = load_key_encryption_key(std::nullopt, path_, random_, /*may_create=*/false);
  ASSERT_TRUE(again.has_value()) << again.error();
  EXPECT_EQ(round_trip(*first, *again), kPlaintext);
}

TEST_F(KeyEncryptionKeyTest, TheConfiguredSecretNeedsNoFileEvenWhenNoneMayBeMade) {
  auto sealer = load_key_encryption_key(kSecret, path_, random_, /*may_create=*/false);
  ASSERT_TRUE(sealer.has_value()) << sealer.error();
  EXPECT_THAT(files(), IsEmpty());
}

TEST_F(KeyEncryptionKeyTest, TheSameFileGivesASealerThatOpensWhatTheFirstSealed) {
  auto first = load_key_encryption_key(std::nullopt, path_, random_);
  ASSERT_TRUE(first.has_value()) << first.error();
  const std::string content = read_file(path_);

  auto second = load_key_encryption_key(std::nullopt, path_, random_);
  ASSERT_TRUE(second.has_value()) << second.error();
  EXPECT_EQ(round_trip(*first, *second), kPlaintext);
  EXPECT_EQ(read_file(path_), content);
}

TEST_F(KeyEncryptionKeyTest, ADifferentDirectoryGetsADifferentKey) {
  auto first = load_key_encryption_key(std::nullopt, path_, random_);
  ASSERT_TRUE(first.has_value()) << first.error();
  std::filesystem::create_directory(dir_ / "other");
  auto second =
      load_key_encryption_key(std::nullopt, (dir_ / "other" / "tessera.kek").string(), random_);
  ASSERT_TRUE(second.has_value()) << second.error();

  EXPECT_EQ(round_trip(*first, *second), std::nullopt);
}

TEST_F(KeyEncryptionKeyTest, AFileLongerThan32BytesIsUsedWhole) {
  const std::string secret = std::string(40, 'a') + std::string(10, 'b');
  write_file(path_, secret, 0600);
  auto sealer = load_key_encryption_key(std::nullopt, path_, random_);
  ASSERT_TRUE(sealer.has_value()) << sealer.error();

  auto whole = jose::KeySealer::from_secret(secret);
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ(round_trip(*sealer, *whole), kPlaintext);
}

class KeyEncryptionKeyModeTest : public KeyEncryptionKeyTest,
                                 public ::testing::WithParamInterface<mode_t> {};

TEST_P(KeyEncryptionKeyModeTest, AFileOthersCanReachIsRefused) {
  write_file(path_, std::string(32, 'k'), GetParam());

  EXPECT_EQ(load_error(), path_ +
                              " is open to other users; chmod 600 it (it encrypts the "
                              "signing keys)");
  EXPECT_EQ(file_mode(path_), GetParam());
}

INSTANTIATE_TEST_SUITE_P(Modes, KeyEncryptionKeyModeTest,
                         ::testing::Values(0644, 0640, 0604, 0660, 0620, 0602, 0601, 0610),
                         [](const ::testing::TestParamInfo<mode_t>& info) {
                           std::ostringstream name;
                           name << "Mode0" << std::oct << info.param;
                           return name.str();
                         });

TEST_F(KeyEncryptionKeyTest, AnOwnerOnlyFileOfAnyOwnerModeIsAccepted) {
  for (const mode_t mode : {0600, 0400, 0700}) {
    write_file(path_, std::string(32, 'k'), mode);
    EXPECT_EQ(load_error(), "") << std::oct << mode;
    ::unlink(path_.c_str());
  }
}

TEST_F(KeyEncryptionKeyTest, AFileUnder32BytesIsRefused) {
  for (const std::string& content : {std::string(), std::string(31, 'k')}) {
    write_file(path_, content, 0600);
    EXPECT_EQ(load_error(), path_ + " does not hold a key-encryption key (32 bytes or more)")
        << content.size() << " bytes";
    EXPECT_EQ(read_file(path_), content);
  }
}

TEST_F(KeyEncryptionKeyTest, AnOversizedFileIsRefused) {
  write_file(path_, std::string(4097, 'k'), 0600);
  EXPECT_EQ(load_error(), path_ + " does not hold a key-encryption key (32 bytes or more)");
}

TEST_F(KeyEncryptionKeyTest, ADirectoryIsRefused) {
  ASSERT_TRUE(std::filesystem::create_directory(path_));
  ASSERT_EQ(::chmod(path_.c_str(), 0700), 0);
  EXPECT_EQ(load_error(), path_ + " is not a regular file");
}

TEST_F(KeyEncryptionKeyTest, ASymlinkToAGoodKeyFileIsRefused) {
  const std::string target = (dir_ / "real.kek").string();
  write_file(target, std::string(32, 'k'), 0600);
  ASSERT_EQ(::symlink(target.c_str(), path_.c_str()), 0);

  EXPECT_EQ(load_error(), "cannot open " + path_ + ": " + std::strerror(ELOOP));
}

TEST_F(KeyEncryptionKeyTest, ADanglingSymlinkIsRefusedAndNothingIsCreatedThroughIt) {
  const std::string target = (dir_ / "elsewhere.kek").string();
  ASSERT_EQ(::symlink(target.c_str(), path_.c_str()), 0);

  EXPECT_EQ(load_error(), "cannot open " + path_ + ": " + std::strerror(ELOOP));
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(target)));
}

TEST_F(KeyEncryptionKeyTest, AMissingDirectoryFailsWithOneLine) {
  path_ = (dir_ / "missing" / "tessera.kek").string();
  const std::string error = load_error();
  // The temporary file's name ends in a random suffix.
  EXPECT_TRUE(error.starts_with("cannot create " + path_ + ".tmp.")) << error;
  EXPECT_TRUE(error.ends_with(std::string(": ") + std::strerror(ENOENT))) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos);
}

TEST_F(KeyEncryptionKeyTest, ProcessesCreatingTheFileAtOnceEndUpWithTheSameKey) {
  constexpr int kProcesses = 4;
  // The children wait for this file, so that they start at nearly the same time; each writes
  // what it sealed under the key it loaded.
  const std::string go = (dir_ / "go").string();
  std::vector<pid_t> children;
  for (int i = 0; i < kProcesses; ++i) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      for (int waited = 0; ::access(go.c_str(), F_OK) != 0; ++waited) {
        if (waited == 100'000) ::_exit(2);
        ::usleep(100);
      }
      core::SystemRandom random;
      auto sealer = load_key_encryption_key(std::nullopt, path_, random);
      if (!sealer) ::_exit(3);
      auto sealed = sealer->seal(kPlaintext, kBinding, random);
      if (!sealed) ::_exit(4);
      std::ofstream((dir_ / ("sealed-" + std::to_string(i))).string(), std::ios::binary) << *sealed;
      ::_exit(0);
    }
    children.push_back(pid);
  }
  { std::ofstream touch(go); }
  for (const pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  }

  auto sealer = load_key_encryption_key(std::nullopt, path_, random_);
  ASSERT_TRUE(sealer.has_value()) << sealer.error();
  for (int i = 0; i < kProcesses; ++i) {
    auto opened =
        sealer->open(read_file((dir_ / ("sealed-" + std::to_string(i))).string()), kBinding);
    EXPECT_TRUE(opened.has_value()) << "process " << i;
  }
  // No temporary file is left behind.
  for (const auto& name : files()) EXPECT_EQ(name.find(".tmp."), std::string::npos) << name;
}

TEST(KeyEncryptionKeyPath, IsTesseraKekBesideTheDatabase) {
  EXPECT_EQ(key_encryption_key_path("data/tessera.db"), "data/tessera.kek");
  EXPECT_EQ(key_encryption_key_path("/var/lib/tessera/main.sqlite"),
            "/var/lib/tessera/tessera.kek");
  EXPECT_EQ(key_encryption_key_path("tessera.db"), "tessera.kek");
}

}  // namespace
}  // namespace tessera::keys
