#include "cli/terminal.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

namespace tessera::cli {
namespace {

std::string strip_newline(std::string s) {
  if (s.ends_with("\r\n")) {
    s.resize(s.size() - 2);
  } else if (s.ends_with("\n")) {
    s.pop_back();
  }
  return s;
}

// Reads one line from `fd`, at most max_bytes + 2 bytes.
std::expected<std::string, std::string> read_line(int fd, std::size_t max_bytes) {
  std::string line;
  char c = 0;
  while (true) {
    const ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || c == '\n') break;
    if (line.size() > max_bytes) return std::unexpected("the input is too long");
    line.push_back(c);
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

std::expected<std::string, std::string> read_secret_from_stdin(std::size_t max_bytes) {
  std::string all;
  char buf[4096];
  while (true) {
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected("cannot read stdin");
    if (n == 0) break;
    all.append(buf, static_cast<std::size_t>(n));
    if (all.size() > max_bytes + 2) return std::unexpected("the secret on stdin is too long");
  }
  all = strip_newline(std::move(all));
  if (all.find('\n') != std::string::npos) return std::unexpected("give exactly one line on stdin");
  if (all.empty()) return std::unexpected("nothing on stdin");
  return all;
}

std::expected<std::string, std::string> prompt_new_secret(std::string_view what,
                                                          std::size_t max_bytes) {
  const int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return std::unexpected("no terminal to ask for a " + std::string(what) +
                           "; use --password-stdin");
  termios saved{};
  const bool is_tty = ::tcgetattr(fd, &saved) == 0;
  if (is_tty) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    ::tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  auto ask = [&](std::string_view prompt) {
    [[maybe_unused]] const ssize_t w = ::write(fd, prompt.data(), prompt.size());
    return read_line(fd, max_bytes);
  };
  const std::string first_prompt = "New " + std::string(what) + ": ";
  const std::string second_prompt = "Repeat " + std::string(what) + ": ";
  auto first = ask(first_prompt);
  auto second = first ? ask(second_prompt) : first;
  if (is_tty) ::tcsetattr(fd, TCSAFLUSH, &saved);
  ::close(fd);
  if (!first) return first;
  if (!second) return second;
  if (*first != *second) return std::unexpected("the two entries do not match");
  return first;
}

}  // namespace tessera::cli
