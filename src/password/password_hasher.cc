#include "password/password_hasher.h"

#include <argon2.h>
#include <crypt.h>
#include <openssl/crypto.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "core/base64.h"
#include "core/metrics.h"

namespace tessera::password {
namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;

// Upper bounds for argon2id, the same for verification and import: an accepted hash costs at
// most 1 GiB and 16 passes per login, so one stored hash cannot take the server down.
constexpr std::uint64_t kMaxMemoryKib = 1024 * 1024;
constexpr std::uint64_t kMaxIterations = 16;
constexpr std::uint64_t kMaxParallelism = 16;
// RFC 9106 section 3.1: memory at least 8*p KiB, t and p at least 1, salt at least 8 bytes.
// A tag shorter than 16 bytes or a salt or tag longer than 64 bytes is no hash we would
// produce or expect from another system, so it is refused as malformed.
constexpr std::uint64_t kMinMemoryKibPerLane = 8;
constexpr std::size_t kMinSaltBytes = 8;
constexpr std::size_t kMaxSaltBytes = 64;
constexpr std::size_t kMinTagBytes = 16;
constexpr std::size_t kMaxTagBytes = 64;

// bcrypt's cost is log2 of its rounds; 4..31 is all that any bcrypt implements. Imports stop at
// 16 (several seconds a login; the seed's 12 takes about 0.4 s here) for the same reason as
// the argon2id bounds above.
constexpr int kMinBcryptCost = 4;
constexpr int kMaxBcryptCost = 31;
constexpr int kMaxImportedBcryptCost = 16;
// bcrypt's key schedule reads at most 72 bytes of the password (18 32-bit words).
constexpr std::size_t kBcryptKeyBytes = 72;

constexpr std::string_view kArgon2idPrefix = "$argon2id$";

enum class Scheme { kArgon2id, kBcrypt, kUnknown };

// Choosing by prefix is safe here because each parser below then checks the whole string.
Scheme scheme_of(std::string_view stored) {
  if (stored.starts_with(kArgon2idPrefix)) return Scheme::kArgon2id;
  // $2a$ (crypt_blowfish, with its 2011 fix), $2b$ (OpenBSD since 2014) and $2y$ (PHP's name
  // for the fixed $2a$) give the same hash for every UTF-8 password; $2x$ (the old sign
  // extension bug kept on purpose) is not accepted.
  if (stored.starts_with("$2a$") || stored.starts_with("$2b$") || stored.starts_with("$2y$")) {
    return Scheme::kBcrypt;
  }
  return Scheme::kUnknown;
}

bool consume(std::string_view& text, std::string_view literal) {
  if (!text.starts_with(literal)) return false;
  text.remove_prefix(literal.size());
  return true;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A PHC decimal: digits only, no sign, no leading zero. Values too large for any bound
// saturate, so that they are reported as out of range rather than as malformed.
std::optional<std::uint64_t> consume_decimal(std::string_view& text) {
  constexpr std::uint64_t kSaturated = std::uint64_t{1} << 40;
  std::size_t n = 0;
  while (n < text.size() && is_digit(text[n])) ++n;
  if (n == 0 || (n > 1 && text[0] == '0')) return std::nullopt;
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < n; ++i) {
    value = value * 10 + static_cast<std::uint64_t>(text[i] - '0');
    if (value > kSaturated) value = kSaturated;
  }
  text.remove_prefix(n);
  return value;
}

int phc_b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// The byte count of a PHC "B64" field (RFC 4648 section 4 alphabet, no padding), or nullopt
// unless it is the canonical encoding (unused trailing bits zero), as libargon2 also demands.
std::optional<std::size_t> phc_b64_decoded_size(std::string_view text) {
  for (const char c : text) {
    if (phc_b64_value(c) < 0) return std::nullopt;
  }
  const int last = text.empty() ? 0 : phc_b64_value(text.back());
  switch (text.size() % 4) {
    case 1: return std::nullopt;
    case 2:
      if ((last & 0x0f) != 0) return std::nullopt;
      break;
    case 3:
      if ((last & 0x03) != 0) return std::nullopt;
      break;
    default: break;
  }
  return text.size() * 3 / 4;
}

struct Argon2idCost {
  std::uint64_t memory_kib;
  std::uint64_t iterations;
  std::uint64_t parallelism;
};

std::expected<void, HashError> check_argon2id_cost(const Argon2idCost& cost) {
  const bool ok = cost.parallelism >= 1 && cost.parallelism <= kMaxParallelism &&
                  cost.iterations >= 1 && cost.iterations <= kMaxIterations &&
                  cost.memory_kib >= kMinMemoryKibPerLane * cost.parallelism &&
                  cost.memory_kib <= kMaxMemoryKib;
  if (!ok) return std::unexpected(HashError::kCostOutOfRange);
  return {};
}

// Exactly "$argon2id$v=19$m=M,t=T,p=P$SALT$TAG", the form libargon2 writes (PHC string format,
// https://github.com/P-H-C/phc-string-format). Version 19 is Argon2 1.3, the one RFC 9106
// specifies; the optional keyid and data parameters are not supported by libargon2.
std::expected<Argon2idCost, HashError> parse_argon2id(std::string_view stored) {
  const auto malformed = std::unexpected(HashError::kUnsupportedFormat);
  std::string_view rest = stored;
  if (!consume(rest, kArgon2idPrefix) || !consume(rest, "v=19$m=")) return malformed;
  const auto memory_kib = consume_decimal(rest);
  if (!memory_kib || !consume(rest, ",t=")) return malformed;
  const auto iterations = consume_decimal(rest);
  if (!iterations || !consume(rest, ",p=")) return malformed;
  const auto parallelism = consume_decimal(rest);
  if (!parallelism || !consume(rest, "$")) return malformed;

  const std::size_t dollar = rest.find('$');
  if (dollar == std::string_view::npos) return malformed;
  const auto salt_bytes = phc_b64_decoded_size(rest.substr(0, dollar));
  const auto tag_bytes = phc_b64_decoded_size(rest.substr(dollar + 1));
  if (!salt_bytes || *salt_bytes < kMinSaltBytes || *salt_bytes > kMaxSaltBytes) return malformed;
  if (!tag_bytes || *tag_bytes < kMinTagBytes || *tag_bytes > kMaxTagBytes) return malformed;

  const Argon2idCost cost{*memory_kib, *iterations, *parallelism};
  if (auto checked = check_argon2id_cost(cost); !checked) return std::unexpected(checked.error());
  return cost;
}

constexpr std::string_view kBcryptAlphabet =
    "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

// Exactly "$2b$NN$" and 53 characters of bcrypt's own base64: 22 for the 128-bit salt and 31
// for the 184-bit hash. The last character of each carries unused bits, which must be zero:
// libxcrypt would silently re-encode them and the hash could then never match, so such a
// hash is refused up front rather than locking its user out.
std::expected<int, HashError> parse_bcrypt(std::string_view stored) {
  const auto malformed = std::unexpected(HashError::kUnsupportedFormat);
  constexpr std::size_t kLength = 60;
  constexpr std::size_t kSaltEnd = 7 + 22;
  if (stored.size() != kLength || !is_digit(stored[4]) || !is_digit(stored[5]) ||
      stored[6] != '$') {
    return malformed;
  }
  for (std::size_t i = 7; i < kLength; ++i) {
    if (kBcryptAlphabet.find(stored[i]) == std::string_view::npos) return malformed;
  }
  if (kBcryptAlphabet.find(stored[kSaltEnd - 1]) % 16 != 0) return malformed;
  if (kBcryptAlphabet.find(stored[kLength - 1]) % 4 != 0) return malformed;

  const int cost = (stored[4] - '0') * 10 + (stored[5] - '0');
  if (cost < kMinBcryptCost || cost > kMaxBcryptCost) {
    return std::unexpected(HashError::kCostOutOfRange);
  }
  return cost;
}

// A copy of secret bytes that is wiped when it goes out of scope.
class WipedString {
 public:
  explicit WipedString(std::string_view bytes) : bytes_(bytes) {}
  WipedString(const WipedString&) = delete;
  WipedString& operator=(const WipedString&) = delete;
  ~WipedString() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }
  const char* c_str() const { return bytes_.c_str(); }

 private:
  std::string bytes_;
};

// libxcrypt's scratch space (about 32 KiB, too big for a worker's stack), zeroed before use as
// crypt_rn requires and wiped after, since it holds the expanded key.
struct CryptScratch {
  crypt_data data{};
  CryptScratch() = default;
  CryptScratch(const CryptScratch&) = delete;
  CryptScratch& operator=(const CryptScratch&) = delete;
  ~CryptScratch() { OPENSSL_cleanse(&data, sizeof data); }
};

std::expected<bool, HashError> verify_argon2id(std::string_view password, std::string_view stored) {
  const std::string encoded(stored);  // libargon2 wants a NUL-terminated string
  // argon2id_verify recomputes the tag and compares it in constant time (argon2_compare).
  const int rc = argon2id_verify(encoded.c_str(), password.data(), password.size());
  switch (rc) {
    case ARGON2_OK: return true;
    case ARGON2_VERIFY_MISMATCH: return false;
    case ARGON2_DECODING_FAIL: return std::unexpected(HashError::kUnsupportedFormat);
    default: return std::unexpected(HashError::kInternal);
  }
}

std::expected<bool, HashError> verify_bcrypt(std::string_view password, std::string_view stored) {
  // bcrypt takes the password as a C string: "abc\0xyz" would be checked as "abc". passlib
  // and python3-bcrypt refuse such passwords outright, so no stored hash can be for one.
  if (password.find('\0') != std::string_view::npos) return false;
  // Passing only the bytes bcrypt reads gives the same hash and keeps clear of libxcrypt's
  // own limit (CRYPT_MAX_PASSPHRASE_SIZE, 512 bytes), which is below kMaxPasswordBytes.
  const WipedString phrase(password.substr(0, kBcryptKeyBytes));
  const std::string setting(stored);
  const auto scratch = std::make_unique<CryptScratch>();
  // crypt_rn returns NULL on failure, never a "*0" token; checking for '*' as well costs
  // nothing should that change. The format was checked before, so a failure is ours.
  const char* computed = crypt_rn(phrase.c_str(), setting.c_str(), &scratch->data,
                                  static_cast<int>(sizeof scratch->data));
  if (computed == nullptr || computed[0] == '*') return std::unexpected(HashError::kInternal);
  return constant_time_equals(computed, stored);
}

}  // namespace

std::string_view to_string(HashError e) {
  switch (e) {
    case HashError::kUnsupportedFormat: return "unsupported password hash format";
    case HashError::kCostOutOfRange: return "password hash cost out of range";
    case HashError::kPasswordTooLong: return "password too long";
    case HashError::kInternal: return "password hashing failed";
  }
  std::abort();
}

PasswordHasher::PasswordHasher(core::Random& random, Argon2Params params)
    : random_(random), params_(params) {
  // Configuration error: our own hashes would be refused by verify().
  if (!check_argon2id_cost({params.memory_kib, params.iterations, params.parallelism})) {
    throw std::invalid_argument(
        "argon2id parameters out of range: need 8*p <= m <= 1048576 KiB, 1 <= t <= 16, "
        "1 <= p <= 16");
  }
  // A well-formed argon2id hash with the current parameters whose salt and tag are random
  // bytes: verifying against it costs exactly what a real verification costs, and nothing
  // matches it. Made without running argon2, so the start stays fast.
  const auto b64 = [&](std::size_t n) {
    std::string text = core::base64url_encode(core::random_bytes(random_, n));
    for (char& c : text) c = c == '-' ? '+' : c == '_' ? '/' : c;  // PHC uses standard base64
    return text;
  };
  dummy_hash_ = "$argon2id$v=19$m=" + std::to_string(params_.memory_kib) +
                ",t=" + std::to_string(params_.iterations) +
                ",p=" + std::to_string(params_.parallelism) + "$" + b64(kSaltBytes) + "$" +
                b64(kHashBytes);
}

std::expected<std::string, HashError> PasswordHasher::hash(std::string_view password) const {
  if (password.size() > kMaxPasswordBytes) return std::unexpected(HashError::kPasswordTooLong);
  const std::string salt = core::random_bytes(random_, kSaltBytes);
  // argon2_encodedlen counts the terminating NUL.
  std::string encoded(argon2_encodedlen(params_.iterations, params_.memory_kib, params_.parallelism,
                                        kSaltBytes, kHashBytes, Argon2_id),
                      '\0');
  const int rc = argon2id_hash_encoded(params_.iterations, params_.memory_kib, params_.parallelism,
                                       password.data(), password.size(), salt.data(), salt.size(),
                                       kHashBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) return std::unexpected(HashError::kInternal);
  encoded.resize(std::strlen(encoded.c_str()));
  return encoded;
}

std::expected<bool, HashError> PasswordHasher::verify(std::string_view password,
                                                      std::string_view stored) const {
  if (password.size() > kMaxPasswordBytes) return std::unexpected(HashError::kPasswordTooLong);
  static core::Counter& verifications = core::metrics().counter(
      "tessera_password_verifications_total",
      "Password and client-secret hashes checked, those spent on unknown names included");
  verifications.inc();
  switch (scheme_of(stored)) {
    case Scheme::kArgon2id:
      if (auto parsed = parse_argon2id(stored); !parsed) return std::unexpected(parsed.error());
      return verify_argon2id(password, stored);
    case Scheme::kBcrypt:
      if (auto parsed = parse_bcrypt(stored); !parsed) return std::unexpected(parsed.error());
      return verify_bcrypt(password, stored);
    case Scheme::kUnknown: break;
  }
  return std::unexpected(HashError::kUnsupportedFormat);
}

void PasswordHasher::dummy_verify(std::string_view password) const {
  // The same path as a real login, so that it also takes the same time for a password over
  // the limit. The volatile store keeps the call from being treated as dead code.
  const auto result = verify(password, dummy_hash_);
  volatile bool sink = result.value_or(false);
  static_cast<void>(sink);
}

bool PasswordHasher::needs_rehash(std::string_view stored) const {
  const auto parsed = parse_argon2id(stored);
  return !parsed || parsed->memory_kib != params_.memory_kib ||
         parsed->iterations != params_.iterations || parsed->parallelism != params_.parallelism;
}

std::expected<void, HashError> check_importable(std::string_view stored) {
  switch (scheme_of(stored)) {
    case Scheme::kArgon2id:
      if (auto parsed = parse_argon2id(stored); !parsed) return std::unexpected(parsed.error());
      return {};
    case Scheme::kBcrypt: {
      const auto cost = parse_bcrypt(stored);
      if (!cost) return std::unexpected(cost.error());
      if (*cost > kMaxImportedBcryptCost) return std::unexpected(HashError::kCostOutOfRange);
      return {};
    }
    case Scheme::kUnknown: break;
  }
  return std::unexpected(HashError::kUnsupportedFormat);
}

bool constant_time_equals(std::string_view a, std::string_view b) {
  // As promised, only the lengths may show in the timing; the content never does.
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace tessera::password
