#include "store/sqlite/replay_file.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <thread>
#include <vector>

namespace tessera::store::sqlite {
namespace {

using Slot = std::atomic_ref<std::uint64_t>;
static_assert(Slot::is_always_lock_free, "the slots are shared between processes");

// "TSRPLAY1": the layout of this file, version 1.
constexpr std::uint64_t kMagic = 0x315941'4c50'5253'54ULL;
constexpr std::size_t kHeaderBytes = 4096;
constexpr std::uint64_t kExpiryMask = 0xffff;

std::size_t table_bytes(std::size_t buckets) {
  return kHeaderBytes + buckets * ReplayFile::kSlotsPerBucket * sizeof(std::uint64_t);
}

bool is_live(std::uint64_t slot, std::int64_t now) {
  if (slot == 0) return false;
  const std::uint64_t ahead =
      ((slot & kExpiryMask) - static_cast<std::uint64_t>(now)) & kExpiryMask;
  return ahead < static_cast<std::uint64_t>(ReplayFile::kMaxAhead);
}

std::string errno_text() { return std::generic_category().message(errno); }

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// The file's first page.
struct Header {
  std::uint64_t magic;
  std::uint64_t buckets;
  std::uint8_t secret[32];  // keys the hash that places keys in buckets
};
static_assert(sizeof(Header) <= kHeaderBytes);

Header new_header(std::size_t buckets) {
  Header header{.magic = kMagic, .buckets = buckets, .secret = {}};
  if (RAND_bytes(header.secret, sizeof header.secret) != 1) std::abort();
  return header;
}

// A new file, whole, in a temporary name beside `path`, then linked to `path` unless another
// process linked its own first. Ok(false) when it did: open that one.
std::expected<bool, std::string> create(const std::string& path, std::size_t buckets) {
  std::string temporary = path + ".XXXXXX";
  Fd fd(::mkostemp(temporary.data(), O_CLOEXEC));
  if (fd.get() < 0) return std::unexpected(errno_text());
  const Header header = new_header(buckets);
  const bool made = ::fchmod(fd.get(), 0600) == 0 &&
                    ::ftruncate(fd.get(), static_cast<off_t>(table_bytes(buckets))) == 0 &&
                    ::pwrite(fd.get(), &header, sizeof header, 0) == sizeof header;
  const int made_errno = errno;
  const int linked = made ? ::link(temporary.c_str(), path.c_str()) : -1;
  const int link_errno = errno;
  ::unlink(temporary.c_str());
  if (!made) return std::unexpected(std::generic_category().message(made_errno));
  if (linked == 0) return true;
  if (link_errno == EEXIST) return false;
  return std::unexpected(std::generic_category().message(link_errno));
}

}  // namespace

std::expected<std::unique_ptr<ReplayFile>, std::string> ReplayFile::open(const std::string& path,
                                                                         std::size_t buckets) {
  const auto fail = [&](std::string_view why) {
    return std::unexpected("replay file " + path + ": " + std::string(why));
  };
  if (buckets == 0 || (buckets & (buckets - 1)) != 0) return fail("buckets not a power of two");
  const std::size_t bytes = table_bytes(buckets);
  for (int attempt = 0; attempt < 3; ++attempt) {
    Fd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW));
    if (fd.get() < 0) {
      if (errno != ENOENT) return fail(errno_text());
      auto created = create(path, buckets);
      if (!created) return fail(created.error());
      continue;  // open what is now there: ours, or the one another process linked first
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return fail(errno_text());
    if (!S_ISREG(st.st_mode) || static_cast<std::size_t>(st.st_size) != bytes) {
      return fail("not a replay file of this size; remove it while no tessera runs");
    }
    void* map = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
    if (map == MAP_FAILED) return fail(errno_text());
    std::unique_ptr<ReplayFile> file(new ReplayFile(map, bytes, buckets));
    const auto* header = static_cast<const Header*>(map);
    if (header->magic != kMagic || header->buckets != buckets) {
      return fail("made by another version; remove it while no tessera runs");
    }
    return file;
  }
  return fail("it keeps disappearing");
}

ReplayFile::ReplayFile(void* map, std::size_t map_bytes, std::size_t buckets)
    : map_(map), map_bytes_(map_bytes), buckets_(buckets) {}

ReplayFile::~ReplayFile() { ::munmap(map_, map_bytes_); }

std::array<std::uint8_t, 32> ReplayFile::digest(std::string_view key) const {
  // Fetched once: OpenSSL 3 looks an algorithm up under a lock each time it is named.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                                 &EVP_MD_CTX_free);
  const auto* header = static_cast<const Header*>(map_);
  std::array<std::uint8_t, 32> out{};
  unsigned int n = 0;
  if (sha256 == nullptr || ctx == nullptr || EVP_DigestInit_ex2(ctx.get(), sha256, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), header->secret, sizeof header->secret) != 1 ||
      EVP_DigestUpdate(ctx.get(), key.data(), key.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out.data(), &n) != 1) {
    std::abort();  // OpenSSL without SHA-256, or out of memory: nothing sensible to go on with
  }
  return out;
}

std::span<std::uint64_t> ReplayFile::bucket(std::size_t index) const {
  auto* slots = reinterpret_cast<std::uint64_t*>(static_cast<std::byte*>(map_) + kHeaderBytes);
  return {slots + index * kSlotsPerBucket, kSlotsPerBucket};
}

namespace {

// A slot: the pending bit, 47 bits of the key's hash, 16 bits of its expiry.
constexpr std::uint64_t kPending = 1ULL << 63;
constexpr std::uint64_t kFingerprintMask = (1ULL << 47) - 1;

std::uint64_t fingerprint_of(std::uint64_t slot) { return (slot >> 16) & kFingerprintMask; }

// How long a use waits for a racing use of the same key (one that took a later slot) to
// settle before refusing: only a process stopped between two instructions takes long.
constexpr auto kRaceWait = std::chrono::milliseconds(50);

}  // namespace

ReplayFile::Use ReplayFile::use_once(std::string_view key, std::int64_t expires_at,
                                     std::int64_t now) {
  expires_at = std::max(expires_at, now);
  if (expires_at - now >= kMaxAhead) return Use::kFull;
  const auto h = digest(key);
  std::uint64_t index = 0;
  std::uint64_t fingerprint = 0;
  std::memcpy(&index, h.data(), sizeof index);
  std::memcpy(&fingerprint, h.data() + 8, sizeof fingerprint);
  fingerprint = std::max<std::uint64_t>(fingerprint & kFingerprintMask, 1);  // 0 is empty
  const std::uint64_t committed =
      (fingerprint << 16) | (static_cast<std::uint64_t>(expires_at) & kExpiryMask);
  const std::uint64_t pending = committed | kPending;
  const std::span<std::uint64_t> slots = bucket(index & (buckets_ - 1));
  const auto same_key = [&](std::uint64_t slot) {
    return is_live(slot, now) && fingerprint_of(slot) == fingerprint;
  };

  // Take a free slot, marked pending. Any live slot of the key, pending or not, is a use
  // before this one (or racing with it, which then settles who won).
  std::size_t mine = kSlotsPerBucket;
  for (int attempt = 0; attempt < 8 && mine == kSlotsPerBucket; ++attempt) {
    std::size_t free = kSlotsPerBucket;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < slots.size(); ++i) {
      const std::uint64_t slot = Slot(slots[i]).load();
      if (same_key(slot)) return Use::kUsed;
      if (!is_live(slot, now) && free == kSlotsPerBucket) {
        free = i;
        seen = slot;
      }
    }
    if (free == kSlotsPerBucket) return Use::kFull;
    if (Slot(slots[free]).compare_exchange_strong(seen, pending)) mine = free;
  }
  if (mine == kSlotsPerBucket) return Use::kFull;  // lost every race for a slot

  // Racing uses of the key took slots at the same moment; each looks again after taking its
  // own, so at least one sees the other (every access is sequentially consistent). A use that
  // sees one committed, or pending in an earlier slot, lost; one that sees a pending use in a
  // later slot waits for it to settle; one that sees none commits.
  const auto lose = [&] {
    std::uint64_t expected = pending;
    Slot(slots[mine]).compare_exchange_strong(expected, 0);
    return Use::kUsed;
  };
  const auto deadline = std::chrono::steady_clock::now() + kRaceWait;
  for (;;) {
    bool wait = false;
    for (std::size_t i = 0; i < slots.size(); ++i) {
      const std::uint64_t slot = Slot(slots[i]).load();
      if (i == mine || !same_key(slot)) continue;
      if ((slot & kPending) == 0 || i < mine) return lose();
      wait = true;
    }
    if (!wait) break;
    if (std::chrono::steady_clock::now() >= deadline) return lose();
    std::this_thread::yield();
  }
  std::uint64_t expected = pending;
  Slot(slots[mine]).compare_exchange_strong(expected, committed);
  return Use::kFresh;
}

std::size_t ReplayFile::purge_expired(std::int64_t now) {
  // Only the pages some key was written to: reading the others would bring the whole file
  // into memory.
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t slots_bytes = map_bytes_ - kHeaderBytes;
  auto* first = static_cast<std::byte*>(map_) + kHeaderBytes;
  std::vector<unsigned char> resident((slots_bytes + page - 1) / page);
  const bool known = ::mincore(first, slots_bytes, resident.data()) == 0;
  const std::size_t buckets_per_page =
      std::max<std::size_t>(1, page / (kSlotsPerBucket * sizeof(std::uint64_t)));
  std::size_t purged = 0;
  for (std::size_t b = 0; b < buckets_; ++b) {
    if (known && (resident[b / buckets_per_page] & 1) == 0) continue;
    for (std::uint64_t& s : bucket(b)) {
      std::uint64_t slot = Slot(s).load(std::memory_order_relaxed);
      if (slot != 0 && !is_live(slot, now) && Slot(s).compare_exchange_strong(slot, 0)) ++purged;
    }
  }
  return purged;
}

}  // namespace tessera::store::sqlite
