// tessera::Verifier: the cached JWKS and the background thread that keeps it.
#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "core/strict_json.h"
#include "fetch/http_fetch.h"
#include "jose/jwks.h"
#include "tessera/verify.h"
#include "verify/internal.h"

namespace tessera {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kMaxDocumentBytes = 64 * 1024;
constexpr std::chrono::seconds kFirstRetry{1};

std::string strip_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

// The DPoP proofs seen within their window (RFC 9449 section 11.1), in this process: a map
// per shard, so that threads checking proofs at once rarely wait for each other, each swept
// of expired entries as it grows.
class ReplayCache {
 public:
  // Whether `key` was new, remembering it until `until` (Unix seconds).
  bool use_once(const std::string& key, std::int64_t until, std::int64_t now) {
    Shard& shard = shards_[std::hash<std::string>{}(key) % kShards];
    std::lock_guard lock(shard.mutex);
    if (shard.seen.size() >= shard.sweep_at) {
      std::erase_if(shard.seen, [&](const auto& entry) { return entry.second < now; });
      shard.sweep_at = std::max<std::size_t>(1024, shard.seen.size() * 2);
    }
    return shard.seen.try_emplace(key, until).second;
  }

 private:
  static constexpr std::size_t kShards = 16;
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, std::int64_t> seen;
    std::size_t sweep_at = 1024;
  };
  std::array<Shard, kShards> shards_;
};

struct Verifier::Impl {
  VerifierOptions options;
  jose::JwtPolicy policy;
  ReplayCache replays;

  std::atomic<std::shared_ptr<const jose::KeySet>> keys;
  std::atomic<std::size_t> key_count{0};

  mutable std::mutex mutex;
  mutable std::condition_variable wake;
  bool stopping = false;                  // guarded by mutex
  mutable bool refetch_wanted = false;    // guarded by mutex
  std::optional<std::string> last_error;  // guarded by mutex
  std::string jwks_uri;                   // the background thread's own
  std::thread thread;

  // One round: discovery if needed, then the JWKS. Returns how long to wait before the next.
  std::chrono::seconds fetch_once(std::chrono::seconds& backoff);
  void run();
  void request_refetch() const {
    {
      std::lock_guard lock(mutex);
      refetch_wanted = true;
    }
    wake.notify_all();
  }
};

std::chrono::seconds Verifier::Impl::fetch_once(std::chrono::seconds& backoff) {
  const auto fail = [&](std::string error) {
    {
      std::lock_guard lock(mutex);
      last_error = std::move(error);
    }
    const auto wait = backoff;
    backoff = std::min(backoff * 2, options.max_cache);
    return wait;
  };
  if (jwks_uri.empty()) {
    // RFC 8414 section 3: the metadata lives under the issuer, and must name that issuer.
    const std::string url = strip_slash(options.issuer) + "/.well-known/oauth-authorization-server";
    auto got = fetch::http_get(url, options.fetch_timeout, kMaxDocumentBytes);
    if (!got) return fail(got.error());
    if (got->status != 200) return fail("GET " + url + ": status " + std::to_string(got->status));
    auto doc = core::parse_strict_json(got->body);
    const json::object* metadata = doc ? doc->if_object() : nullptr;
    const json::value* issuer = metadata ? metadata->if_contains("issuer") : nullptr;
    const json::value* uri = metadata ? metadata->if_contains("jwks_uri") : nullptr;
    if (issuer == nullptr || !issuer->is_string() || uri == nullptr || !uri->is_string()) {
      return fail(url + ": not authorization server metadata");
    }
    if (issuer->get_string() != options.issuer) {
      return fail(url + ": names issuer " + std::string(issuer->get_string()));
    }
    if (!fetch::is_http_url(uri->get_string()))
      return fail(url + ": jwks_uri is not an http(s) URL");
    // Keys fetched in clear would let anyone on the path plant their own.
    if (fetch::is_https_url(options.issuer) && !fetch::is_https_url(uri->get_string())) {
      return fail(url + ": jwks_uri is not https, though the issuer is");
    }
    jwks_uri = uri->get_string();
  }
  auto got = fetch::http_get(jwks_uri, options.fetch_timeout, kMaxDocumentBytes);
  if (!got) return fail(got.error());
  if (got->status != 200)
    return fail("GET " + jwks_uri + ": status " + std::to_string(got->status));
  auto parsed = jose::parse_jwks(got->body);
  if (!parsed) return fail(jwks_uri + ": " + parsed.error());
  key_count.store(parsed->used);
  keys.store(std::make_shared<const jose::KeySet>(std::move(parsed->keys)));
  {
    std::lock_guard lock(mutex);
    last_error.reset();
  }
  wake.notify_all();  // wait_for_keys()
  backoff = kFirstRetry;
  return std::clamp(got->max_age.value_or(options.max_cache), options.min_cache, options.max_cache);
}

void Verifier::Impl::run() {
  std::chrono::seconds backoff = kFirstRetry;
  Clock::time_point last_fetch{};
  for (;;) {
    {
      // Cleared before the fetch, not after it: an unknown kid seen while this fetch runs
      // (or before this thread gets the lock back) asks for the next one, and is not lost.
      std::lock_guard lock(mutex);
      refetch_wanted = false;
    }
    last_fetch = Clock::now();
    const auto wait = fetch_once(backoff);
    std::unique_lock lock(mutex);
    const auto due = last_fetch + wait;
    // Early for an unknown kid, but never sooner than min_refetch_interval after a fetch.
    const auto earliest = last_fetch + options.min_refetch_interval;
    for (;;) {
      if (stopping) return;
      const auto now = Clock::now();
      if (now >= due || (refetch_wanted && now >= earliest)) break;
      wake.wait_until(lock, refetch_wanted ? std::min(due, earliest) : due);
    }
  }
}

Verifier::Verifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Verifier::~Verifier() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  // An HTTP exchange in progress ends within fetch_timeout.
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::expected<std::unique_ptr<Verifier>, std::string> Verifier::create(VerifierOptions options) {
  if (!fetch::is_http_url(options.issuer)) {
    return std::unexpected("the issuer must be an http(s) URL, not '" + options.issuer + "'");
  }
  if (!options.jwks_uri.empty() && !fetch::is_http_url(options.jwks_uri)) {
    return std::unexpected("jwks_uri must be an http(s) URL, not '" + options.jwks_uri + "'");
  }
  // An issuer reached over https has its keys fetched over https too: a JWKS in clear text
  // would let anyone on the network path plant a key and forge tokens.
  if (!options.jwks_uri.empty() && fetch::is_https_url(options.issuer) &&
      !fetch::is_https_url(options.jwks_uri)) {
    return std::unexpected("jwks_uri must be https when the issuer is, not '" + options.jwks_uri +
                           "'");
  }
  auto algorithms = detail::parse_algorithms(options.algorithms);
  if (!algorithms) return std::unexpected(algorithms.error());
  if (options.min_cache <= std::chrono::seconds(0) || options.max_cache < options.min_cache) {
    return std::unexpected("the JWKS cache bounds must satisfy 0 < min_cache <= max_cache");
  }
  auto impl = std::make_unique<Impl>();
  impl->policy = jose::JwtPolicy{
      .issuer = options.issuer,
      // Only a resource URL: "aud" must be it (a token for any other service is refused).
      .audience = !options.audience.empty()   ? std::optional(options.audience)
                  : !options.resource.empty() ? std::optional(options.resource)
                                              : std::nullopt,
      .algorithms = std::move(*algorithms),
      .typ = "at+jwt",
      .leeway = options.leeway,
      .require_iat = true,
      .resource = options.resource};
  impl->jwks_uri = options.jwks_uri;
  impl->options = std::move(options);
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->run(); });
  return std::unique_ptr<Verifier>(new Verifier(std::move(impl)));
}

bool Verifier::wait_for_keys(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->wake.wait_for(lock, timeout, [&] { return impl_->keys.load() != nullptr; });
}

std::expected<Claims, VerifyError> Verifier::verify(std::string_view token) const {
  const auto keys = impl_->keys.load();
  if (!keys) return std::unexpected(VerifyError::kKeysUnavailable);
  auto claims =
      detail::verify_bearer(token, *keys, impl_->policy, std::chrono::system_clock::now());
  // A key we have not seen: perhaps a rotation our cache has not caught up with. The thread
  // looks again (rate-limited); this request is answered now, without waiting on the network.
  if (!claims && claims.error() == VerifyError::kUnknownKey) impl_->request_refetch();
  return claims;
}

std::expected<Claims, VerifyError> Verifier::verify_dpop(std::string_view token,
                                                         const DpopRequest& request) const {
  const auto keys = impl_->keys.load();
  if (!keys) return std::unexpected(VerifyError::kKeysUnavailable);
  const auto now = std::chrono::system_clock::now();
  auto verified = detail::verify_dpop_with(token, request, *keys, impl_->policy, now);
  if (!verified) {
    if (verified.error() == VerifyError::kUnknownKey) impl_->request_refetch();
    return std::unexpected(verified.error());
  }
  const std::int64_t seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (!impl_->replays.use_once(verified->replay_key, verified->replay_until, seconds)) {
    return std::unexpected(VerifyError::kDpopReplayed);
  }
  return std::move(verified->claims);
}

std::size_t Verifier::key_count() const { return impl_->key_count.load(); }

std::optional<std::string> Verifier::last_error() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->last_error;
}

}  // namespace tessera
