// The HTTP/1.1 server on Boost.Beast: an accept loop and one coroutine per connection that
// reads, hands the request to the Router, writes, and goes round again while the connection
// is kept alive; a sweep once a second cuts off connections past their read, write or idle
// deadline. The io_context it runs on is run by N threads; each
// connection lives on its own strand.
//
//   Server server(ioc, router);
//   auto endpoint = server.listen("127.0.0.1", 0);   // port 0: the kernel picks
//   server.start();
//   ...                                               // ioc.run() on N threads
//   server.drain([&] { ioc.stop(); });                // on SIGTERM
//
// Limits (docs/reference.md, Bad input): headers over 8 KiB get 431, bodies over 64 KiB 413,
// anything unparsable 400, each closing the connection; a client that stalls while sending a
// request, or idles between requests, is cut off. Each request is logged once as one JSON line.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "http/request_metrics.h"
#include "http/router.h"

namespace tessera::http {

struct ServerLimits {
  std::size_t header_bytes = 8 * 1024;
  std::size_t body_bytes = 64 * 1024;
  // From the first byte of a request to its last.
  std::chrono::seconds read_timeout{15};
  std::chrono::seconds write_timeout{15};
  // A kept-alive connection with no request in progress.
  std::chrono::seconds idle_timeout{60};
  // How long drain() waits for in-flight requests before closing what is left.
  std::chrono::seconds drain_timeout{20};
  // Connections open at once; past it a new one gets 503 and is closed at once.
  std::size_t max_connections = 10000;
  // The same from one client address (trusted proxies are not counted).
  std::size_t max_connections_per_address = 1024;
  // Requests on one connection; the last one's answer says Connection: close.
  std::size_t max_requests_per_connection = 10000;
  // Reverse proxies whose X-Forwarded-For names the client (http/forwarded.h); empty: none.
  std::vector<boost::asio::ip::address> trusted_proxies;
};

class Server {
 public:
  Server(boost::asio::io_context& ioc, const Router& router, ServerLimits limits = {});
  ~Server();

  // Binds and listens; returns the address actually bound (for port 0).
  std::expected<boost::asio::ip::tcp::endpoint, std::string> listen(const std::string& host,
                                                                    std::uint16_t port);
  void start();

  // Speak HTTPS only, with `context`, from the next connection on (connections already open
  // keep theirs): called at start, and again to reload a renewed certificate (SIGHUP).
  void set_tls(std::shared_ptr<boost::asio::ssl::context> context);

  // Stops accepting, lets requests in progress finish (their responses say Connection:
  // close), closes idle connections, and calls `done` once no connection is left, or after
  // drain_timeout. Thread-safe; call once.
  void drain(std::function<void()> done);

  struct Connection;

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);
  struct SessionIo;
  struct ReadOutcome;
  using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

  template <class Stream>
  boost::asio::awaitable<void> session(Stream& stream, Connection& connection,
                                       const std::string& remote, bool https);
  template <class Stream>
  boost::asio::awaitable<ReadOutcome> read_request(Stream& stream, Connection& connection,
                                                   SessionIo& io, RequestParser& parser);
  template <class Stream>
  boost::asio::awaitable<boost::beast::error_code> read_more(
      Stream& stream, Connection& connection, SessionIo& io, RequestParser& parser,
      std::chrono::steady_clock::time_point deadline);
  static void finish_read(RequestParser& parser, std::optional<std::size_t> head_fields,
                          const boost::beast::error_code& ec, ReadOutcome& outcome);
  template <class Stream>
  boost::asio::awaitable<boost::beast::error_code> send(Stream& stream, Connection& connection,
                                                        const std::string& out);
  static Response handler_failed(const Request& request, const std::exception& e);
  void record(const Request& request, unsigned status, std::chrono::steady_clock::time_point start,
              std::chrono::steady_clock::time_point end, const std::string& remote,
              const std::string& id);
  template <class Stream>
  boost::asio::awaitable<void> refuse_request(Stream& stream, Connection& connection, SessionIo& io,
                                              ReadOutcome& read, const std::string& remote,
                                              bool https);
  template <class Stream>
  boost::asio::awaitable<void> close(Stream& stream, Connection& connection,
                                     boost::beast::error_code ec, const std::string& remote);
  boost::asio::awaitable<void> refuse(boost::asio::ip::tcp::socket& socket,
                                      const std::string& remote, std::string_view reason);
  boost::asio::awaitable<void> linger(boost::beast::tcp_stream& stream);
  boost::asio::awaitable<void> close_notify(
      boost::beast::ssl_stream<boost::beast::tcp_stream>& stream, Connection& connection);
  // The client's address: the peer's, or the one its trusted proxy forwards.
  std::string client_of(const Request& request, const std::string& peer) const;
  void sweep();
  void connection_closed();
  void finish_drain();

  boost::asio::io_context& ioc_;
  const Router& router_;
  const ServerLimits limits_;
  boost::asio::ip::tcp::acceptor acceptor_;
  // The drain and sweep timers are armed and cancelled from different threads (the signal
  // handler, the last connection to close, the sweep itself): only ever on this strand.
  boost::asio::strand<boost::asio::io_context::executor_type> timers_;
  boost::asio::steady_timer drain_timer_;
  boost::asio::steady_timer sweep_timer_;

  std::mutex mutex_;
  std::unordered_set<std::shared_ptr<Connection>> connections_;
  // Open connections per client address, trusted proxies not counted.
  std::unordered_map<boost::asio::ip::address, std::size_t> per_address_;
  std::atomic<bool> draining_{false};
  std::function<void()> on_drained_;
  std::atomic<bool> drained_{false};
  std::atomic<std::shared_ptr<boost::asio::ssl::context>> tls_;
  RequestMetrics metrics_;
};

}  // namespace tessera::http
