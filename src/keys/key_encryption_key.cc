#include "keys/key_encryption_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace tessera::keys {
namespace {

constexpr std::size_t kKeyBytes = 32;
constexpr std::size_t kMaxFileBytes = 4096;

std::string errno_text() { return std::strerror(errno); }

std::expected<std::string, std::string> read_key_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return std::unexpected("cannot open " + path + ": " + errno_text());
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return std::unexpected("cannot stat " + path + ": " + errno_text());
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return std::unexpected(path + " is not a regular file");
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    ::close(fd);
    return std::unexpected(path +
                           " is open to other users; chmod 600 it (it encrypts the signing keys)");
  }
  std::string content(kMaxFileBytes + 1, '\0');
  std::size_t got = 0;
  while (got < content.size()) {
    const ssize_t n = ::read(fd, content.data() + got, content.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  content.resize(got);
  if (content.size() < kKeyBytes || content.size() > kMaxFileBytes) {
    return std::unexpected(path + " does not hold a key-encryption key (32 bytes or more)");
  }
  return content;
}

// Writes the new key to a private temporary file and links it into place: link() fails if
// another process got there first, and then its key is the one used.
std::expected<void, std::string> create_key_file(const std::string& path, core::Random& random) {
  // Unique per attempt, so that threads and processes never share a temporary file.
  const std::string tmp = path + ".tmp." + core::random_token(random, 9);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return std::unexpected("cannot create " + tmp + ": " + errno_text());
  std::string key = core::random_bytes(random, kKeyBytes);
  const bool written = ::fchmod(fd, 0600) == 0 &&
                       ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) &&
                       ::fsync(fd) == 0;
  std::fill(key.begin(), key.end(), '\0');
  ::close(fd);
  if (!written) {
    ::unlink(tmp.c_str());
    return std::unexpected("cannot write " + tmp + ": " + errno_text());
  }
  const int linked = ::link(tmp.c_str(), path.c_str());
  const int link_errno = errno;
  ::unlink(tmp.c_str());
  if (linked != 0 && link_errno != EEXIST) {
    return std::unexpected("cannot create " + path + ": " + std::strerror(link_errno));
  }
  return {};
}

}  // namespace

std::string key_encryption_key_path(const std::string& database_path) {
  const std::filesystem::path db(database_path);
  return (db.parent_path() / "tessera.kek").string();
}

std::expected<jose::KeySealer, std::string> load_key_encryption_key(
    const std::optional<std::string>& secret, const std::string& path, core::Random& random,
    bool may_create) {
  if (secret) {
    auto sealer = jose::KeySealer::from_secret(*secret);
    if (!sealer) return std::unexpected("TESSERA_KEY_ENCRYPTION_KEY: " + sealer.error());
    return sealer;
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return std::unexpected("cannot stat " + path + ": " + errno_text());
    if (!may_create) {
      return std::unexpected(
          path +
          " is missing, but the database holds signing keys sealed with a "
          "key-encryption key; restore the file or set TESSERA_KEY_ENCRYPTION_KEY");
    }
    if (auto created = create_key_file(path, random); !created) {
      return std::unexpected(created.error());
    }
  }
  auto content = read_key_file(path);
  if (!content) return std::unexpected(content.error());
  auto sealer = jose::KeySealer::from_secret(*content);
  std::fill(content->begin(), content->end(), '\0');
  if (!sealer) return std::unexpected(path + ": " + sealer.error());
  return sealer;
}

}  // namespace tessera::keys
