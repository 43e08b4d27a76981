#include "http/server.h"

#include <strings.h>

#include <algorithm>
#include <array>
#include <cctype>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "core/log.h"
#include "core/random.h"
#include "http/forwarded.h"
#include "http/response.h"

namespace tessera::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;
using beast::error_code;

// What drain() needs to reach a connection: its executor, its stream, and whether a request
// is in flight (read whole and not yet answered). Touched only on the connection's strand.
struct Server::Connection {
  asio::any_io_executor executor;
  beast::tcp_stream* stream = nullptr;
  bool idle = false;  // no request in flight
};

namespace {

constexpr std::size_t kMaxLoggedPath = 256;
// How long, and how much, a connection closed after an error response is drained.
constexpr std::chrono::seconds kLingerTime{2};
constexpr std::size_t kMaxLingerBytes = 1024 * 1024;

std::string_view path_of(std::string_view target) {
  const std::string_view path = request_path(target);
  return path.substr(0, std::min(path.size(), kMaxLoggedPath));
}

// The request's own X-Request-Id when it is a sane one, else a new id: unique in this
// process (a random prefix drawn at start, and a counter), not a secret.
std::string request_id(const Request& request) {
  const std::string_view given = request["X-Request-Id"];
  if (!given.empty() && given.size() <= 128 &&
      std::all_of(given.begin(), given.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
               c == ':';
      })) {
    return std::string(given);
  }
  static const std::string prefix = [] {
    core::SystemRandom random;
    return core::random_token(random, 6);
  }();
  static std::atomic<std::uint64_t> counter{0};
  return prefix + "-" + std::to_string(counter.fetch_add(1, std::memory_order_relaxed) + 1);
}

void log_request(std::string_view method, std::string_view path, unsigned status,
                 std::chrono::steady_clock::time_point start, const std::string& remote,
                 std::string_view id = "-") {
  if (!core::log_enabled(core::LogLevel::kInfo)) return;
  // Whole microseconds: Boost.JSON would print a fractional millisecond as 5.6565E1.
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  core::log(core::LogLevel::kInfo, "request",
            {{"method", method},
             {"path", path},
             {"status", status},
             {"duration_us", us},
             {"remote", remote},
             {"request_id", id}});
}

// The answer to a request that could not be read, or std::nullopt to just close.
std::optional<Response> read_error_response(const error_code& ec) {
  if (ec == bhttp::error::header_limit) {
    return error_response(Status::request_header_fields_too_large, "headers_too_large",
                          "the request headers exceed 8 KiB");
  }
  if (ec == bhttp::error::body_limit || ec == beast::error_code(bhttp::error::buffer_overflow)) {
    return error_response(Status::payload_too_large, "request_too_large",
                          "the request body exceeds 64 KiB");
  }
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
      ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
    return error_response(Status::bad_request, "invalid_request", "malformed HTTP request");
  }
  return std::nullopt;
}

// RFC 6797: browsers that reached us over HTTPS keep to HTTPS for a year.
void set_hsts(Response& res) {
  res.set(bhttp::field::strict_transport_security, "max-age=31536000");
}

bool is_expected_close(const error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
         ec == beast::error::timeout || ec == asio::error::broken_pipe ||
         ec == bhttp::error::partial_message;
}

}  // namespace

Server::Server(asio::io_context& ioc, const Router& router, ServerLimits limits)
    : ioc_(ioc),
      router_(router),
      limits_(limits),
      acceptor_(asio::make_strand(ioc)),
      drain_timer_(ioc) {}

Server::~Server() = default;

std::expected<tcp::endpoint, std::string> Server::listen(const std::string& host,
                                                         std::uint16_t port) {
  error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return std::unexpected("'" + host + "' is not an IP address");
  const tcp::endpoint endpoint(address, port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return std::unexpected("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                           ec.message());
  return acceptor_.local_endpoint();
}

void Server::start() { asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached); }

awaitable<void> Server::accept_loop() {
  asio::steady_timer backoff(acceptor_.get_executor());
  while (!draining_) {
    error_code ec;
    // Each connection gets its own strand (named: see the GCC 12 note in serve()).
    const auto strand = asio::make_strand(ioc_);
    tcp::socket socket =
        co_await acceptor_.async_accept(strand, asio::redirect_error(use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) break;
    if (ec) {
      // Out of file descriptors and the like: say so and try again shortly.
      core::log(core::LogLevel::kWarn, "accept_failed", {{"error", ec.message()}});
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    const auto executor = socket.get_executor();
    asio::co_spawn(executor, serve(std::move(socket)), asio::detached);
  }
}

// After answering a request it will not read to the end (413, 400), the server stops sending
// and reads what the client still sends, for a short while, before closing. Closing at once
// would make the kernel answer the unread bytes with a reset, and a client still writing its
// body would lose the response (the "lingering close" of RFC 9112 section 9.6).
awaitable<void> Server::linger(beast::tcp_stream& stream) {
  error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  stream.expires_after(kLingerTime);
  std::array<char, 16 * 1024> sink;
  std::size_t drained = 0;
  while (drained < kMaxLingerBytes) {
    const std::size_t n =
        co_await stream.async_read_some(asio::buffer(sink), asio::redirect_error(use_awaitable, ec));
    if (ec) break;
    drained += n;
  }
}

awaitable<void> Server::serve(tcp::socket socket) {
  auto connection = std::make_shared<Connection>();
  connection->executor = socket.get_executor();
  std::size_t open = 0;
  {
    std::lock_guard lock(mutex_);
    connections_.insert(connection);
    open = connections_.size();
  }
  error_code ec;
  std::string remote;
  {
    const auto endpoint = socket.remote_endpoint(ec);
    remote = ec ? "-" : endpoint.address().to_string();
  }
  const auto tls = tls_.load();
  try {
    if (open > limits_.max_connections) {
      // Past the cap: a plain, immediate refusal rather than a silent stall.
      co_await refuse(socket, remote);
    } else if (tls) {
      beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *tls);
      connection->stream = &beast::get_lowest_layer(stream);
      beast::get_lowest_layer(stream).expires_after(limits_.read_timeout);
      co_await stream.async_handshake(asio::ssl::stream_base::server,
                                      asio::redirect_error(use_awaitable, ec));
      if (!ec) {
        co_await session(stream, *connection, remote, true);
      } else if (ec != beast::error::timeout && !is_expected_close(ec)) {
        // A client speaking plain HTTP or an old protocol to the TLS port.
        core::log(core::LogLevel::kInfo, "tls_handshake_failed",
                  {{"remote", remote}, {"error", ec.message()}});
      }
      connection->stream = nullptr;
    } else {
      beast::tcp_stream stream(std::move(socket));
      connection->stream = &stream;
      co_await session(stream, *connection, remote, false);
      connection->stream = nullptr;
    }
  } catch (const std::exception& e) {
    core::log(core::LogLevel::kError, "connection_failed",
              {{"remote", remote}, {"error", e.what()}});
  }
  connection->stream = nullptr;
  {
    std::lock_guard lock(mutex_);
    connections_.erase(connection);
  }
  connection_closed();
}

std::string Server::client_of(const Request& request, const std::string& peer) const {
  if (limits_.trusted_proxies.empty()) return peer;
  // Several X-Forwarded-For fields are one list, in order (RFC 9110 section 5.3).
  std::string forwarded;
  const auto [first, last] = request.equal_range("X-Forwarded-For");
  for (auto field = first; field != last; ++field) {
    if (!forwarded.empty()) forwarded += ',';
    forwarded += field->value();
  }
  return client_address(peer, forwarded, limits_.trusted_proxies);
}

awaitable<void> Server::refuse(tcp::socket& socket, const std::string& remote) {
  core::log(core::LogLevel::kWarn, "connection_refused",
            {{"remote", remote}, {"reason", "too many connections"}});
  Response res = unavailable_response();
  res.keep_alive(false);
  beast::tcp_stream stream(std::move(socket));
  stream.expires_after(std::chrono::seconds(2));
  error_code ec;
  co_await bhttp::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
}

template <class Stream>
awaitable<void> Server::session(Stream& stream, Connection& connection, const std::string& remote,
                                bool https) {
  auto& lowest = beast::get_lowest_layer(stream);
  beast::flat_buffer buffer(limits_.header_bytes + limits_.body_bytes + 4096);
  error_code ec;
  std::size_t served = 0;
  while (!draining_) {
    // Until a whole request is in, the connection has nothing in flight: drain() may cut
    // it off, whether it idles between requests or is slow to send one.
    connection.idle = true;
    if (buffer.size() == 0) {
      lowest.expires_after(limits_.idle_timeout);
      const std::size_t n = co_await stream.async_read_some(
          buffer.prepare(4096), asio::redirect_error(use_awaitable, ec));
      if (ec) break;
      buffer.commit(n);
    }
    const auto start = std::chrono::steady_clock::now();
    // The whole request, headers and body, must arrive within read_timeout: a client that
    // trickles bytes (slowloris) is cut off.
    lowest.expires_after(limits_.read_timeout);
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits_.header_bytes));
    parser.body_limit(limits_.body_bytes);

    co_await bhttp::async_read_header(stream, buffer, parser,
                                      asio::redirect_error(use_awaitable, ec));
    if (!ec && parser.get()[bhttp::field::expect].size() == 12 &&
        strncasecmp(parser.get()[bhttp::field::expect].data(), "100-continue", 12) == 0) {
      bhttp::response<bhttp::empty_body> cont{Status::continue_, parser.get().version()};
      co_await bhttp::async_write(stream, cont, asio::redirect_error(use_awaitable, ec));
    }
    if (!ec)
      co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    connection.idle = false;
    if (ec) {
      std::optional<Response> res = read_error_response(ec);
      if (!res) {
        if (ec == beast::error::timeout) {
          core::log(core::LogLevel::kInfo, "request_timeout", {{"remote", remote}});
        }
        break;
      }
      const std::string method(parser.is_header_done() ? parser.get().method_string() : "-");
      const std::string path(parser.is_header_done() ? path_of(parser.get().target()) : "-");
      res->keep_alive(false);
      if (https) set_hsts(*res);
      lowest.expires_after(limits_.write_timeout);
      co_await bhttp::async_write(stream, *res, asio::redirect_error(use_awaitable, ec));
      log_request(method, path, res->result_int(), start, remote);
      if (!ec && !https) co_await linger(lowest);
      break;
    }

    Request request = parser.release();
    const std::string id = request_id(request);
    Response response;
    // Named, not a temporary: GCC 12 mishandles temporaries with destructors inside a
    // co_await expression (frees them twice).
    const RequestContext context{.remote_address = client_of(request, remote)};
    try {
      response = co_await router_.dispatch(request, context);
    } catch (const std::exception& e) {
      core::log(core::LogLevel::kError, "handler_failed",
                {{"path", path_of(request.target())}, {"error", e.what()}});
      response = error_response(Status::internal_server_error, "server_error", "internal error");
    }
    ++served;
    const bool keep_alive =
        request.keep_alive() && !draining_ && served < limits_.max_requests_per_connection;
    response.version(request.version());
    response.keep_alive(keep_alive);
    response.set("X-Request-Id", id);
    if (https) set_hsts(response);
    response.prepare_payload();
    if (request.method() == bhttp::verb::head) {
      // The headers of the GET answer, Content-Length included, and no body.
      const auto length = response.payload_size();
      response.body().clear();
      if (length) response.content_length(*length);
    }
    lowest.expires_after(limits_.write_timeout);
    co_await bhttp::async_write(stream, response, asio::redirect_error(use_awaitable, ec));
    const std::string_view path = path_of(request.target());
    metrics_.observe(router_.route_label(path), response.result_int(),
                     std::chrono::steady_clock::now() - start);
    log_request(request.method_string(), path, response.result_int(), start,
                context.remote_address, id);
    if (ec || !keep_alive) break;
  }
  if (ec && !is_expected_close(ec)) {
    core::log(core::LogLevel::kDebug, "connection_error",
              {{"remote", remote}, {"error", ec.message()}});
  }
  lowest.socket().shutdown(tcp::socket::shutdown_send, ec);
}

void Server::set_tls(std::shared_ptr<asio::ssl::context> context) { tls_.store(std::move(context)); }

void Server::drain(std::function<void()> done) {
  {
    std::lock_guard lock(mutex_);
    on_drained_ = std::move(done);
    draining_ = true;
    for (const auto& c : connections_) {
      asio::post(c->executor, [c] {
        if (c->stream != nullptr && c->idle) c->stream->cancel();
      });
    }
  }
  asio::post(acceptor_.get_executor(), [this] {
    error_code ec;
    acceptor_.close(ec);
  });
  drain_timer_.expires_after(limits_.drain_timeout);
  drain_timer_.async_wait([this](const error_code& ec) {
    if (ec) return;
    core::log(core::LogLevel::kWarn, "drain_timeout", {{"seconds", limits_.drain_timeout.count()}});
    finish_drain();
  });
  connection_closed();
}

void Server::connection_closed() {
  if (!draining_) return;
  {
    std::lock_guard lock(mutex_);
    if (!connections_.empty()) return;
  }
  finish_drain();
}

void Server::finish_drain() {
  if (drained_.exchange(true)) return;
  drain_timer_.cancel();
  std::function<void()> done;
  {
    std::lock_guard lock(mutex_);
    done = std::move(on_drained_);
  }
  if (done) done();
}

}  // namespace tessera::http
