// A throwaway PostgreSQL server for tests: initdb in a temporary directory, then postgres on
// a free port, listening on 127.0.0.1 only, trust authentication, stopped and removed at exit.
// PostgreSQL refuses to run as root, so when the tests run as root the server runs as the
// unprivileged user "nobody" (through runuser).
//
//   const auto& server = tessera::test::PostgresServer::shared();   // one per process
//   std::string url = server.create_database();                     // a fresh database
//
// Debian's postgresql package provides the binaries (/usr/lib/postgresql/<version>/bin).
#pragma once

#include <string>

namespace tessera::test {

class PostgresServer {
 public:
  // Started on first use; throws std::runtime_error (with the server's log) if it cannot.
  static PostgresServer& shared();

  // A new, empty database on the server; its postgresql:// URL.
  std::string create_database();
  std::string url(const std::string& database) const;

  // Stops and starts the server on the same port and data (for reconnect tests).
  void restart();

  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;
  ~PostgresServer();

 private:
  PostgresServer();
  void start();
  void stop();
  std::string run_as_owner(const std::string& command) const;

  std::string bin_;
  std::string dir_;
  int port_ = 0;
  int next_database_ = 0;
  bool as_nobody_ = false;
};

}  // namespace tessera::test
