#include "support/postgres_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace tessera::test {
namespace {

std::string find_bin() {
  for (const int version : {17, 16, 15, 14, 13}) {
    const std::string bin = "/usr/lib/postgresql/" + std::to_string(version) + "/bin";
    if (std::filesystem::exists(bin + "/initdb")) return bin;
  }
  throw std::runtime_error(
      "no PostgreSQL server binaries under /usr/lib/postgresql (package postgresql)");
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("cannot find a free port");
  }
  const int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out.push_back(c);
  }
  return out + "'";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

PostgresServer& PostgresServer::shared() {
  static PostgresServer server;
  return server;
}

PostgresServer::PostgresServer() : bin_(find_bin()) {
  std::string pattern = (std::filesystem::temp_directory_path() / "tessera-pg-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  as_nobody_ = ::geteuid() == 0;
  if (as_nobody_) {
    std::filesystem::permissions(dir_, std::filesystem::perms::all);
    if (std::system(("chown nobody " + shell_quote(dir_)).c_str()) != 0) {
      throw std::runtime_error("cannot give " + dir_ + " to nobody");
    }
  }
  port_ = free_port();
  const std::string out = run_as_owner(bin_ + "/initdb -D " + shell_quote(dir_ + "/data") +
                                       " -U postgres -A trust -E UTF8 --no-locale >" +
                                       shell_quote(dir_ + "/initdb.log") + " 2>&1");
  if (!out.empty()) throw std::runtime_error("initdb failed: " + read_file(dir_ + "/initdb.log"));
  start();
}

PostgresServer::~PostgresServer() {
  stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string PostgresServer::run_as_owner(const std::string& command) const {
  const std::string full =
      as_nobody_ ? "runuser -u nobody -- sh -c " + shell_quote(command) : command;
  return std::system(full.c_str()) == 0 ? "" : "failed";
}

void PostgresServer::start() {
  const std::string options = "-c listen_addresses=127.0.0.1 -c port=" + std::to_string(port_) +
                              " -c unix_socket_directories=" + dir_ +
                              " -c fsync=off -c max_connections=200";
  if (!run_as_owner(bin_ + "/pg_ctl -D " + shell_quote(dir_ + "/data") + " -l " +
                    shell_quote(dir_ + "/server.log") + " -o " + shell_quote(options) +
                    " -w -t 30 start >/dev/null 2>&1")
           .empty()) {
    throw std::runtime_error("PostgreSQL did not start: " + read_file(dir_ + "/server.log"));
  }
}

void PostgresServer::stop() {
  run_as_owner(bin_ + "/pg_ctl -D " + shell_quote(dir_ + "/data") +
               " -m fast -w stop >/dev/null 2>&1");
}

void PostgresServer::restart() {
  stop();
  start();
}

std::string PostgresServer::url(const std::string& database) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string PostgresServer::create_database() {
  const std::string name =
      "t" + std::to_string(::getpid()) + "_" + std::to_string(next_database_++);
  if (std::system(("psql -q -h 127.0.0.1 -p " + std::to_string(port_) +
                   " -U postgres -d postgres -c " + shell_quote("CREATE DATABASE " + name) +
                   " >/dev/null")
                      .c_str()) != 0) {
    throw std::runtime_error("cannot create database " + name);
  }
  return url(name);
}

}  // namespace tessera::test
