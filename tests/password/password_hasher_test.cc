#include "password/password_hasher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <fstream>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace tessera::password {

// Readable failure messages; GoogleTest finds these by argument-dependent lookup, so they live
// in the namespace of HashError rather than in the anonymous one.
void PrintTo(HashError e, std::ostream* os) { *os << to_string(e); }

void PrintTo(const std::unexpected<HashError>& e, std::ostream* os) {
  *os << "unexpected(" << to_string(e.error()) << ")";
}

template <typename T>
void PrintTo(const std::expected<T, HashError>& result, std::ostream* os) {
  if (!result) {
    PrintTo(std::unexpected(result.error()), os);
  } else if constexpr (std::is_void_v<T>) {
    *os << "(success)";
  } else {
    *os << testing::PrintToString(*result);
  }
}

namespace {

using namespace std::string_literals;

// Small enough for a fast test suite; the defaults get their own tests.
constexpr Argon2Params kFast{.memory_kib = 256, .iterations = 1, .parallelism = 1};

// Hands out the same byte over and over, so that salts are known in advance.
class FixedRandom final : public core::Random {
 public:
  explicit FixedRandom(std::byte value) : value_(value) {}
  void fill(std::span<std::byte> out) override { std::ranges::fill(out, value_); }

 private:
  std::byte value_;
};

struct StoredHash {
  std::string source;
  std::string password;
  std::string hash;
};

// Reads a tests/data file of "source<TAB>password<TAB>hash" lines ('#' starts a comment).
std::vector<StoredHash> read_hashes(const std::string& name) {
  std::ifstream in(std::string(TESSERA_TEST_DATA) + "/" + name);
  EXPECT_TRUE(in.is_open()) << "cannot open " << name;
  std::vector<StoredHash> hashes;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.starts_with('#')) continue;
    const std::size_t first = line.find('\t');
    const std::size_t second =
        first == std::string::npos ? std::string::npos : line.find('\t', first + 1);
    if (second == std::string::npos || line.find('\t', second + 1) != std::string::npos) {
      ADD_FAILURE() << name << ": not three tab-separated fields: " << line;
      continue;
    }
    hashes.push_back({line.substr(0, first), line.substr(first + 1, second - first - 1),
                      line.substr(second + 1)});
  }
  return hashes;
}

// The password passlib_bcrypt_hashes.py uses for bcrypt's 72-byte truncation.
std::string eighty_byte_password() {
  std::string password;
  for (int i = 0; i < 8; ++i) password += "0123456789";
  return password;
}

std::vector<StoredHash> bcrypt_hashes() { return read_hashes("passlib_bcrypt_hashes.txt"); }

StoredHash bcrypt_hash_of(std::string_view password) {
  for (const StoredHash& stored : bcrypt_hashes()) {
    if (stored.password == password) return stored;
  }
  ADD_FAILURE() << "no bcrypt hash of \"" << password << "\" in the test data";
  return {};
}

// Reference argon2id hash of "password" (phc-winner-argon2 src/test.c, see tests/data).
const std::string kReferenceArgon2id =
    "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4";

std::string argon2id_with(const std::string& parameters) {
  return "$argon2id$v=19$" + parameters +
         "$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4";
}

// A well-formed bcrypt hash for the syntax tests; which password it is for does not matter.
const std::string kBcrypt = "$2b$04$hNketuXRTBMILA7VB4lCueFzvIyNc0Q4YAmZ4PHSlOkBlP.Z8sYBq";

std::string bcrypt_with_cost(const std::string& cost) { return "$2b$" + cost + kBcrypt.substr(6); }

std::string with_char_at(std::string text, std::size_t index, char c) {
  text[index] = c;
  return text;
}

struct Malformed {
  std::string what;
  std::string hash;
  HashError error;
};

// Hashes that verify() and check_importable() both refuse, each with its exact error. None of
// them reaches libargon2 or libxcrypt.
std::vector<Malformed> malformed_hashes() {
  const std::string bcrypt_body = kBcrypt.substr(7);
  const std::string salt_and_tag = "$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4";
  constexpr HashError kFormat = HashError::kUnsupportedFormat;
  constexpr HashError kCost = HashError::kCostOutOfRange;
  return {
      {"empty", "", kFormat},
      {"plain text", "correct horse", kFormat},
      {"unknown scheme", "$1$saltsalt$hash", kFormat},
      {"bare bcrypt prefix", "$2b$", kFormat},
      {"bcrypt one character short", kBcrypt.substr(0, 59), kFormat},
      {"bcrypt with trailing garbage", kBcrypt + "x", kFormat},
      {"bcrypt with trailing newline", kBcrypt + "\n", kFormat},
      {"bcrypt with one-digit cost", "$2b$4$" + bcrypt_body, kFormat},
      {"bcrypt with three-digit cost", "$2b$004$" + bcrypt_body, kFormat},
      {"bcrypt with non-digit cost", "$2b$0a$" + bcrypt_body, kFormat},
      {"bcrypt without dollar after cost", "$2b$04x" + bcrypt_body, kFormat},
      {"bcrypt with '+' in the salt", with_char_at(kBcrypt, 10, '+'), kFormat},
      {"bcrypt with '$' in the hash", with_char_at(kBcrypt, 40, '$'), kFormat},
      {"bcrypt salt with unused bits set", with_char_at(kBcrypt, 28, 'f'), kFormat},
      {"bcrypt hash with unused bits set", with_char_at(kBcrypt, 59, 'r'), kFormat},
      {"bcrypt $2x$ (the sign-extension bug)", "$2x$" + kBcrypt.substr(4), kFormat},
      {"bcrypt $2c$", "$2c$" + kBcrypt.substr(4), kFormat},
      {"bcrypt $2$", "$2$" + kBcrypt.substr(4), kFormat},
      {"argon2i",
       "$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$iekCn0Y3spW+sCcFanM2xBT63UP2sghkUoHLIUpWRS8",
       kFormat},
      {"argon2d", "$argon2d$v=19$m=256,t=2,p=1" + salt_and_tag, kFormat},
      {"argon2id in capitals", "$ARGON2ID$v=19$m=256,t=2,p=1" + salt_and_tag, kFormat},
      {"argon2id without leading dollar", kReferenceArgon2id.substr(1), kFormat},
      {"argon2id version 16", "$argon2id$v=16$m=256,t=2,p=1" + salt_and_tag, kFormat},
      {"argon2id without version", "$argon2id$m=256,t=2,p=1" + salt_and_tag, kFormat},
      {"argon2id without p", argon2id_with("m=256,t=2"), kFormat},
      {"argon2id parameters reordered", argon2id_with("t=2,m=256,p=1"), kFormat},
      {"argon2id with keyid", argon2id_with("m=256,t=2,p=1,keyid=abc"), kFormat},
      {"argon2id with leading zero", argon2id_with("m=0256,t=2,p=1"), kFormat},
      {"argon2id with plus sign", argon2id_with("m=+256,t=2,p=1"), kFormat},
      {"argon2id with minus sign", argon2id_with("m=-256,t=2,p=1"), kFormat},
      {"argon2id with empty number", argon2id_with("m=,t=2,p=1"), kFormat},
      {"argon2id with spaces", argon2id_with("m=256, t=2, p=1"), kFormat},
      {"argon2id without tag", "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ", kFormat},
      {"argon2id with empty tag", "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$", kFormat},
      {"argon2id with empty salt",
       "$argon2id$v=19$m=256,t=2,p=1$$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", kFormat},
      {"argon2id with 4-byte salt",
       "$argon2id$v=19$m=256,t=2,p=1$c29tZQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", kFormat},
      {"argon2id with 12-byte tag", "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIP",
       kFormat},
      {"argon2id with '-' in the salt",
       "$argon2id$v=19$m=256,t=2,p=1$c29t-XNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
       kFormat},
      {"argon2id with padded salt",
       "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ=$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
       kFormat},
      {"argon2id tag with unused bits set",
       with_char_at(kReferenceArgon2id, kReferenceArgon2id.size() - 1, '5'), kFormat},
      {"argon2id with trailing dollar", kReferenceArgon2id + "$", kFormat},
      {"argon2id with trailing newline", kReferenceArgon2id + "\n", kFormat},
      {"bcrypt cost 00", bcrypt_with_cost("00"), kCost},
      {"bcrypt cost 03", bcrypt_with_cost("03"), kCost},
      {"bcrypt cost 32", bcrypt_with_cost("32"), kCost},
      {"bcrypt cost 99", bcrypt_with_cost("99"), kCost},
      {"argon2id with m of 2 GiB", argon2id_with("m=2097152,t=2,p=1"), kCost},
      {"argon2id with m of 1 GiB + 1 KiB", argon2id_with("m=1048577,t=2,p=1"), kCost},
      {"argon2id with m beyond 64 bits", argon2id_with("m=99999999999999999999999,t=2,p=1"), kCost},
      {"argon2id with m below 8 KiB a lane", argon2id_with("m=15,t=2,p=2"), kCost},
      {"argon2id with t=0", argon2id_with("m=256,t=0,p=1"), kCost},
      {"argon2id with t=17", argon2id_with("m=256,t=17,p=1"), kCost},
      {"argon2id with p=0", argon2id_with("m=256,t=2,p=0"), kCost},
      {"argon2id with p=17", argon2id_with("m=256,t=2,p=17"), kCost},
  };
}

TEST(PasswordHasher, HashThenVerifyAcceptsTheSamePassword) {
  core::SystemRandom random;
  const PasswordHasher hasher(random, kFast);
  const auto stored = hasher.hash("correct horse battery staple");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(hasher.verify("correct horse battery staple", *stored), true);
}

TEST(PasswordHasher, VerifyRejectsAWrongPassword) {
  core::SystemRandom random;
  const PasswordHasher hasher(random, kFast);
  const std::string stored = hasher.hash("correct horse battery staple").value();
  EXPECT_EQ(hasher.verify("correct horse battery stapler", stored), false);
  EXPECT_EQ(hasher.verify("Correct horse battery staple", stored), false);
  EXPECT_EQ(hasher.verify("", stored), false);
}

TEST(PasswordHasher, HashIsArgon2idPhcWithTheConfiguredParameters) {
  core::SystemRandom random;
  const PasswordHasher hasher(random, {.memory_kib = 512, .iterations = 3, .parallelism = 2});
  const std::string stored = hasher.hash("hunter2").value();
  const std::string prefix = "$argon2id$v=19$m=512,t=3,p=2$";
  ASSERT_TRUE(stored.starts_with(prefix)) << stored;
  // 16-byte salt and 32-byte tag in unpadded base64: 22 and 43 characters.
  const std::string salt_and_tag = stored.substr(prefix.size());
  const std::size_t dollar = salt_and_tag.find('$');
  ASSERT_NE(dollar, std::string::npos);
  EXPECT_EQ(dollar, 22u);
  EXPECT_EQ(salt_and_tag.size() - dollar - 1, 43u);
  EXPECT_EQ(hasher.verify("hunter2", stored), true);
}

TEST(PasswordHasher, SaltComesFromTheInjectedRandom) {
  FixedRandom random(std::byte{0xab});
  const PasswordHasher hasher(random, kFast);
  const std::string stored = hasher.hash("hunter2").value();
  // Sixteen 0xab bytes in base64.
  EXPECT_TRUE(stored.starts_with("$argon2id$v=19$m=256,t=1,p=1$q6urq6urq6urq6urq6urqw$")) << stored;
  EXPECT_EQ(hasher.hash("hunter2").value(), stored);
}

TEST(PasswordHasher, TwoHashesOfTheSamePasswordDiffer) {
  core::SystemRandom random;
  const PasswordHasher hasher(random, kFast);
  const std::string first = hasher.hash("hunter2").value();
  const std::string second = hasher.hash("hunter2").value();
  EXPECT_NE(first, second);
  EXPECT_EQ(hasher.verify("hunter2", first), true);
  EXPECT_EQ(hasher.verify("hunter2", second), true);
}

TEST(PasswordHasher, DefaultParametersAreOwaspsAndRoundTrip) {
  core::SystemRandom random;
  const PasswordHasher hasher(random);
  EXPECT_EQ(hasher.params().memory_kib, 19456u);
  EXPECT_EQ(hasher.params().iterations, 2u);
  EXPECT_EQ(hasher.params().parallelism, 1u);
  const std::string stored = hasher.hash("correct horse").value();
  EXPECT_TRUE(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$")) << stored;
  EXPECT_EQ(hasher.verify("correct horse", stored), true);
  EXPECT_EQ(hasher.verify("correct hors", stored), false);
  EXPECT_FALSE(hasher.needs_rehash(stored));
  EXPECT_TRUE(check_importable(stored).has_value());
}

TEST(PasswordHasher, EmptyPasswordIsHashedAndVerified) {
  core::SystemRandom random;
  const PasswordHasher hasher(random, kFast);
  const std::string stored = hasher.hash("").value();
  EXPECT_EQ(hasher.verify("", stored), true);
  EXPECT_EQ(hasher.verify(" ", stored), false);
  // A default string_view has no data pointer at all.
  EXPECT_EQ(hasher.verify(std::string_view(), stored), true);
  EXPECT_EQ(hasher.verify(std::string_view(), hasher.hash(std::string_view()).value()), true);
  EXPECT_EQ(hasher.verify(std::string_view(), bcrypt_hash_of("").hash), true);
}

TEST(PasswordHasher, NulBytesAreOrdinaryPasswordBytesForArgon2id) {
  core::SystemRandom random;
  const PasswordHasher hasher(random, kFast);
  const std::string stored = hasher.hash("a\0b"s).value();
  EXPECT_EQ(hasher.verify("a\0b"s, stored), true);
  EXPECT_EQ(hasher.verify("a", stored), false);
  EXPECT_EQ(hasher.verify("a\0c"s, stored), false);
}

TEST(PasswordHasher, HashRefusesPasswordsOverTheLimit) {
  core::SystemRandom random;
  const PasswordHasher hasher(random, kFast);
  const std::string longest(kMaxPasswordBytes, 'x');
  const std::string stored = hasher.hash(longest).value();
  EXPECT_EQ(hasher.verify(longest, stored), true);
  EXPECT_EQ(hasher.hash(std::string(1025, 'x')), std::unexpected(HashError::kPasswordTooLong));
}

TEST(PasswordHasher, VerifyRefusesPasswordsOverTheLimit) {
  core::SystemRandom random;
  const PasswordHasher hasher(random, kFast);
  const std::string too_long(1025, 'x');
  EXPECT_EQ(hasher.verify(too_long, kReferenceArgon2id),
            std::unexpected(HashError::kPasswordTooLong));
  EXPECT_EQ(hasher.verify(too_long, kBcrypt), std::unexpected(HashError::kPasswordTooLong));
  // The length is checked first, whatever the stored hash.
  EXPECT_EQ(hasher.verify(too_long, "garbage"), std::unexpected(HashError::kPasswordTooLong));
}

TEST(PasswordHasher, VerifiesTheArgon2ReferenceImplementationsHashes) {
  core::SystemRandom random;
  const PasswordHasher hasher(random, kFast);
  const std::vector<StoredHash> hashes = read_hashes("argon2id_reference_hashes.txt");
  ASSERT_EQ(hashes.size(), 7u);
  for (const StoredHash& stored : hashes) {
    SCOPED_TRACE(stored.hash);
    EXPECT_EQ(hasher.verify(stored.password, stored.hash), true);
    EXPECT_TRUE(check_importable(stored.hash).has_value());
  }
}

TEST(PasswordHasher, ChangedArgon2idTagDoesNotMatch) {
  core::SystemRandom random;
  const PasswordHasher hasher(random, kFast);
  ASSERT_EQ(hasher.verify("password", kReferenceArgon2id), true);
  EXPECT_EQ(hasher.verify("passwore", kReferenceArgon2id), false);
  const std::size_t tag = kReferenceArgon2id.rfind('$') + 1;
  EXPECT_EQ(hasher.verify("password", with_char_at(kReferenceArgon2id, tag, 'o')), false);
  // Same tag, other salt: "somesalu".
  std::string other_salt = kReferenceArgon2id;
  other_salt.replace(other_salt.find("c29tZXNhbHQ"), 11, "c29tZXNhbHU");
  EXPECT_EQ(hasher.verify("password", other_salt), false);
}

TEST(PasswordHasher, VerifiesBcryptHashesWrittenByPasslibAndPythonBcrypt) {
  core::SystemRandom random;
  const PasswordHasher hasher(random, kFast);
  const std::vector<StoredHash> hashes = bcrypt_hashes();
  ASSERT_EQ(hashes.size(), 8u);
  for (const std::string prefix : {"$2a$", "$2b$", "$2y$", "$2b$12$"}) {
    EXPECT_TRUE(std::ranges::any_of(
        hashes, [&](const StoredHash& h) { return h.hash.starts_with(prefix); }))
        << "no " << prefix << " hash in the test data";
  }
  for (const std::string source : {"passlib", "python3-bcrypt"}) {
    EXPECT_TRUE(
        std::ranges::any_of(hashes, [&](const StoredHash& h) { return h.source == source; }))
        << "no hash by " << source << " in the test data";
  }
  for (const StoredHash& stored : hashes) {
    SCOPED_TRACE(stored.source + " " + stored.hash);
    EXPECT_EQ(hasher.verify(stored.password, stored.hash), true);
    // At the front: bytes past the 72nd would not count for the 80-byte password.
    EXPECT_EQ(hasher.verify("!" + stored.password, stored.hash), false);
  }
}

TEST(PasswordHasher, BcryptReadsOnlyTheFirst72BytesAsPasslibDoes) {
  core::SystemRandom random;
  const PasswordHasher hasher(random, kFast);
  // An 80-byte password; passlib itself was checked to agree when the data was made.
  const StoredHash stored = bcrypt_hash_of(eighty_byte_password());
  ASSERT_EQ(stored.password.size(), 80u);
  const std::string first72 = stored.password.substr(0, 72);
  EXPECT_EQ(hasher.verify(stored.password, stored.hash), true);
  EXPECT_EQ(hasher.verify(first72, stored.hash), true);
  EXPECT_EQ(hasher.verify(first72 + "X", stored.hash), true);
  // Past libxcrypt's own 512-byte limit, still only the first 72 bytes count.
  EXPECT_EQ(hasher.verify(first72 + std::string(kMaxPasswordBytes - 72, 'y'), stored.hash), true);
  EXPECT_EQ(hasher.verify(stored.password.substr(0, 71), stored.hash), false);
}

TEST(PasswordHasher, PasswordWithNulNeverMatchesBcrypt) {
  core::SystemRandom random;
  const PasswordHasher hasher(random, kFast);
  const StoredHash hunter2 = bcrypt_hash_of("hunter2");
  ASSERT_EQ(hasher.verify("hunter2", hunter2.hash), true);
  // A C string would end at the NUL and match.
  EXPECT_EQ(hasher.verify("hunter2\0"s, hunter2.hash), false);
  EXPECT_EQ(hasher.verify("hunter2\0anything"s, hunter2.hash), false);
  const StoredHash empty = bcrypt_hash_of("");
  ASSERT_EQ(hasher.verify("", empty.hash), true);
  EXPECT_EQ(hasher.verify("\0"s, empty.hash), false);
  // Past byte 72, where bcrypt would not even look.
  const StoredHash long_password = bcrypt_hash_of(eighty_byte_password());
  EXPECT_EQ(hasher.verify(long_password.password + "\0"s, long_password.hash), false);
}

TEST(PasswordHasher, MalformedHashesGiveExactErrors) {
  core::SystemRandom random;
  const PasswordHasher hasher(random, kFast);
  ASSERT_EQ(hasher.verify("password", kReferenceArgon2id), true);
  ASSERT_TRUE(check_importable(kBcrypt).has_value());
  for (const Malformed& bad : malformed_hashes()) {
    SCOPED_TRACE(bad.what);
    EXPECT_EQ(hasher.verify("password", bad.hash), std::unexpected(bad.error));
  }
}

TEST(PasswordHasher, NeedsRehashUnlessArgon2idWithTheCurrentParameters) {
  core::SystemRandom random;
  const PasswordHasher hasher(random, kFast);
  EXPECT_FALSE(hasher.needs_rehash(hasher.hash("hunter2").value()));
  for (const Argon2Params other :
       {Argon2Params{.memory_kib = 512, .iterations = 1, .parallelism = 1},
        Argon2Params{.memory_kib = 256, .iterations = 2, .parallelism = 1},
        Argon2Params{.memory_kib = 256, .iterations = 1, .parallelism = 2}}) {
    const PasswordHasher old_hasher(random, other);
    EXPECT_TRUE(hasher.needs_rehash(old_hasher.hash("hunter2").value()));
  }
  EXPECT_TRUE(hasher.needs_rehash(kBcrypt));
  EXPECT_TRUE(hasher.needs_rehash(bcrypt_hash_of("hunter2").hash));
  EXPECT_TRUE(hasher.needs_rehash(""));
  EXPECT_TRUE(hasher.needs_rehash(
      "$argon2i$v=19$m=256,t=1,p=1$c29tZXNhbHQ$iekCn0Y3spW+sCcFanM2xBT63UP2sghkUoHLIUpWRS8"));
  EXPECT_TRUE(hasher.needs_rehash(
      "$argon2id$v=16$m=256,t=1,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"));
  EXPECT_FALSE(hasher.needs_rehash(argon2id_with("m=256,t=1,p=1")));
}

TEST(PasswordHasher, DummyVerifyRunsWithTheCurrentParameters) {
  core::SystemRandom random;
  const PasswordHasher fast(random, kFast);
  fast.dummy_verify("some password");
  fast.dummy_verify("");
  fast.dummy_verify(std::string(1025, 'x'));
  const PasswordHasher defaults(random);
  defaults.dummy_verify("some password");
}

TEST(PasswordHasher, RefusesParametersItsOwnVerifyWouldReject) {
  core::SystemRandom random;
  for (const Argon2Params bad :
       {Argon2Params{.memory_kib = 7, .iterations = 1, .parallelism = 1},
        Argon2Params{.memory_kib = 15, .iterations = 1, .parallelism = 2},
        Argon2Params{.memory_kib = 2097152, .iterations = 1, .parallelism = 1},
        Argon2Params{.memory_kib = 256, .iterations = 0, .parallelism = 1},
        Argon2Params{.memory_kib = 256, .iterations = 17, .parallelism = 1},
        Argon2Params{.memory_kib = 256, .iterations = 1, .parallelism = 0},
        Argon2Params{.memory_kib = 256, .iterations = 1, .parallelism = 17}}) {
    SCOPED_TRACE(testing::Message()
                 << "m=" << bad.memory_kib << ",t=" << bad.iterations << ",p=" << bad.parallelism);
    EXPECT_THROW(PasswordHasher(random, bad), std::invalid_argument);
  }
}

TEST(CheckImportable, AcceptsPasslibAndPythonBcryptHashes) {
  for (const StoredHash& stored : bcrypt_hashes()) {
    SCOPED_TRACE(stored.hash);
    EXPECT_TRUE(check_importable(stored.hash).has_value());
  }
}

TEST(CheckImportable, AcceptsArgon2idHashesFromHash) {
  core::SystemRandom random;
  const PasswordHasher hasher(random, kFast);
  EXPECT_TRUE(check_importable(hasher.hash("hunter2").value()).has_value());
  EXPECT_TRUE(check_importable(kReferenceArgon2id).has_value());
}

TEST(CheckImportable, AcceptsCostsAtTheBounds) {
  EXPECT_TRUE(check_importable(bcrypt_with_cost("04")).has_value());
  EXPECT_TRUE(check_importable(bcrypt_with_cost("16")).has_value());
  EXPECT_TRUE(check_importable(argon2id_with("m=1048576,t=16,p=16")).has_value());
  EXPECT_TRUE(check_importable(argon2id_with("m=8,t=1,p=1")).has_value());
  EXPECT_TRUE(check_importable(argon2id_with("m=128,t=1,p=16")).has_value());
}

TEST(CheckImportable, RefusesCostsBeyondTheBounds) {
  EXPECT_EQ(check_importable(bcrypt_with_cost("17")), std::unexpected(HashError::kCostOutOfRange));
  EXPECT_EQ(check_importable(bcrypt_with_cost("31")), std::unexpected(HashError::kCostOutOfRange));
  EXPECT_EQ(check_importable(argon2id_with("m=2097152,t=2,p=1")),
            std::unexpected(HashError::kCostOutOfRange));
  EXPECT_EQ(check_importable(argon2id_with("m=256,t=17,p=1")),
            std::unexpected(HashError::kCostOutOfRange));
  EXPECT_EQ(check_importable(argon2id_with("m=256,t=2,p=17")),
            std::unexpected(HashError::kCostOutOfRange));
}

TEST(CheckImportable, MalformedHashesGiveExactErrors) {
  for (const Malformed& bad : malformed_hashes()) {
    SCOPED_TRACE(bad.what);
    EXPECT_EQ(check_importable(bad.hash), std::unexpected(bad.error));
  }
}

TEST(ConstantTimeEquals, ComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equals("abc", "abc"));
  EXPECT_TRUE(constant_time_equals("", ""));
  EXPECT_TRUE(constant_time_equals("a\0b"s, "a\0b"s));
  EXPECT_FALSE(constant_time_equals("abc", "abd"));
  EXPECT_FALSE(constant_time_equals("abc", "xbc"));
  EXPECT_FALSE(constant_time_equals("abc", "abcd"));
  EXPECT_FALSE(constant_time_equals("abcd", "abc"));
  EXPECT_FALSE(constant_time_equals("", "a"));
  EXPECT_FALSE(constant_time_equals("a\0b"s, "a\0c"s));
  EXPECT_FALSE(constant_time_equals("a"s, "a\0"s));
}

TEST(HashError, ToStringGivesShortPhrases) {
  EXPECT_EQ(to_string(HashError::kUnsupportedFormat), "unsupported password hash format");
  EXPECT_EQ(to_string(HashError::kCostOutOfRange), "password hash cost out of range");
  EXPECT_EQ(to_string(HashError::kPasswordTooLong), "password too long");
  EXPECT_EQ(to_string(HashError::kInternal), "password hashing failed");
}

}  // namespace
}  // namespace tessera::password
