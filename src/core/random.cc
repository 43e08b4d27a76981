#include "core/random.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "core/base64.h"

namespace tessera::core {

void SystemRandom::fill(std::span<std::byte> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      // Without randomness no secret, salt or token can be made safely: an impossible state.
      std::perror("getrandom");
      std::abort();
    }
    done += static_cast<std::size_t>(n);
  }
}

std::string random_bytes(Random& random, std::size_t n) {
  std::string bytes(n, '\0');
  random.fill(std::as_writable_bytes(std::span(bytes.data(), bytes.size())));
  return bytes;
}

std::string random_token(Random& random, std::size_t n) {
  return base64url_encode(random_bytes(random, n));
}

}  // namespace tessera::core
