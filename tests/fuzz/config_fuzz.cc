// The configuration file: config::load_config on the input as a TOML file, with an empty
// environment. Any answer is fine (most inputs are refused with one line); a crash, a hang
// or an exception escaping load_config is not.
//
// toml++ comes from Debian as a compiled library, so its parser is not instrumented: the
// fuzzer steers by our code's coverage, and AddressSanitizer still sees every access our
// code makes to what it returns.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "config/config.h"
#include "fuzz_support.h"

namespace {

using namespace tessera;

// One file per process in the temporary directory, mode 0600 (as a file holding secrets must
// be), rewritten for each input and removed at exit.
class ConfigFile {
 public:
  ConfigFile() {
    const char* tmp = std::getenv("TMPDIR");
    path_ =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/tessera-config-fuzz-XXXXXX";
    fd_ = ::mkstemp(path_.data());
    if (fd_ < 0) fuzz::fail("mkstemp failed", path_);
  }
  ~ConfigFile() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }

  const std::string& write(const std::uint8_t* data, std::size_t size) {
    if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, data, size, 0) != static_cast<ssize_t>(size)) {
      fuzz::fail("cannot write the config file", path_);
    }
    return path_;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static ConfigFile file;
  const std::optional<std::string> path = file.write(data, size);
  const config::Environment no_environment = [](const std::string&) -> std::optional<std::string> {
    return std::nullopt;
  };
  (void)config::load_config(path, no_environment);
  return 0;
}
