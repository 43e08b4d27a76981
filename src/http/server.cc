#include "http/server.h"

#include <strings.h>

#include <algorithm>
#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>
#include <limits>
#include <type_traits>

#include "core/log.h"
#include "core/random.h"
#include "http/forwarded.h"
#include "http/request_head.h"
#include "http/response.h"

namespace tessera::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;
using beast::error_code;

// What drain() and the timeout sweep need to reach a connection: its executor, its stream,
// whether a request is in flight (read whole and not yet answered), and when its current read
// or write must be done. Touched only on the connection's strand, except `deadline`.
struct Server::Connection {
  using Clock = std::chrono::steady_clock;
  static constexpr Clock::rep kNever = std::numeric_limits<Clock::rep>::max();

  asio::any_io_executor executor;
  beast::tcp_stream* stream = nullptr;
  bool idle = false;       // no request in flight
  bool timed_out = false;  // the sweep cancelled its I/O for being past the deadline
  // Clock ticks; set before each read or write, kNever while the request is being handled.
  std::atomic<Clock::rep> deadline{kNever};

  void arm(Clock::time_point at) {
    timed_out = false;  // a cancellation that came after its I/O had finished
    deadline.store(at.time_since_epoch().count(), std::memory_order_relaxed);
  }
  void disarm() { deadline.store(kNever, std::memory_order_relaxed); }
  // An I/O error as the session should see it: a cancellation by the sweep is a timeout.
  error_code reason(const error_code& ec) const {
    return ec == asio::error::operation_aborted && timed_out ? error_code(beast::error::timeout)
                                                             : ec;
  }
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
  if (!given.empty() && given.size() <= 128 && std::all_of(given.begin(), given.end(), [](char c) {
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

// The response as it goes on the wire, into `out` (reused from request to request): status
// line, the header fields as they are, and the body unless `with_body` is false (HEAD). What
// Beast's serializer would write, without its per-buffer iteration: one contiguous buffer, one
// send.
void serialize(const Response& res, bool with_body, std::string& out) {
  out.clear();
  const unsigned version = res.version();
  out += "HTTP/";
  out += static_cast<char>('0' + version / 10 % 10);
  out += '.';
  out += static_cast<char>('0' + version % 10);
  out += ' ';
  const unsigned status = res.result_int();
  out += static_cast<char>('0' + status / 100 % 10);
  out += static_cast<char>('0' + status / 10 % 10);
  out += static_cast<char>('0' + status % 10);
  out += ' ';
  out += res.reason();
  out += "\r\n";
  for (const auto& field : res) {
    out += field.name_string();
    out += ": ";
    out += field.value();
    out += "\r\n";
  }
  out += "\r\n";
  if (with_body) out += res.body();
}

// Whether a session runs over plain TCP (else TLS).
template <class Stream>
constexpr bool kPlain = std::is_same_v<Stream, beast::tcp_stream>;

// The headers every answer gets: its version, keep-alive, request id, HSTS over HTTPS, its
// length, and for HEAD the GET answer's headers without the body.
void prepare_response(Response& response, unsigned version, bool keep_alive, const std::string& id,
                      bool https, bool head) {
  response.version(version);
  response.keep_alive(keep_alive);
  response.set("X-Request-Id", id);
  if (https) set_hsts(response);
  response.prepare_payload();
  if (head) {
    const auto length = response.payload_size();
    response.body().clear();
    if (length) response.content_length(*length);
  }
}

bool expects_continue(const Request& req) {
  const std::string_view expect = req[bhttp::field::expect];
  return expect.size() == 12 && strncasecmp(expect.data(), "100-continue", 12) == 0;
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
      timers_(asio::make_strand(ioc)),
      drain_timer_(timers_),
      sweep_timer_(timers_) {}

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

void Server::start() {
  asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached);
  sweep();
}

// Once a second (on the timers' strand): every connection whose read or write is past its
// deadline has that I/O cancelled, on its own strand, where the session sees it as a timeout. A
// deadline is one atomic store per operation, and timeouts are kept to within a second, where a
// timer per operation would cost a timer queue insertion and a cancellation for every read and
// write.
void Server::sweep() {
  sweep_timer_.expires_after(std::chrono::seconds(1));
  sweep_timer_.async_wait([this](const error_code& ec) {
    if (ec || drained_) return;
    const auto now = Connection::Clock::now().time_since_epoch().count();
    {
      std::lock_guard lock(mutex_);
      for (const auto& c : connections_) {
        if (c->deadline.load(std::memory_order_relaxed) > now) continue;
        asio::post(c->executor, [c] {
          const auto now = Connection::Clock::now().time_since_epoch().count();
          if (c->stream == nullptr || c->deadline.load(std::memory_order_relaxed) > now) return;
          c->timed_out = true;
          c->stream->cancel();
        });
      }
    }
    sweep();
  });
}

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
    const std::size_t n = co_await stream.async_read_some(asio::buffer(sink),
                                                          asio::redirect_error(use_awaitable, ec));
    if (ec) break;
    drained += n;
  }
}

awaitable<void> Server::serve(tcp::socket socket) {
  auto connection = std::make_shared<Connection>();
  connection->executor = socket.get_executor();
  error_code ec;
  std::string remote;
  std::optional<asio::ip::address> peer;
  {
    const auto endpoint = socket.remote_endpoint(ec);
    remote = ec ? "-" : endpoint.address().to_string();
    if (!ec) peer = endpoint.address();
  }
  // A reverse proxy carries many clients' connections: its address is not capped.
  const bool capped =
      peer && std::find(limits_.trusted_proxies.begin(), limits_.trusted_proxies.end(), *peer) ==
                  limits_.trusted_proxies.end();
  std::size_t open = 0;
  std::size_t from_peer = 0;
  {
    std::lock_guard lock(mutex_);
    connections_.insert(connection);
    open = connections_.size();
    if (capped) from_peer = ++per_address_[*peer];
  }
  const auto tls = tls_.load();
  try {
    if (open > limits_.max_connections) {
      // Past the cap: a plain, immediate refusal rather than a silent stall.
      co_await refuse(socket, remote, "too many connections");
    } else if (from_peer > limits_.max_connections_per_address) {
      // One address cannot take every slot from the others.
      co_await refuse(socket, remote, "too many connections from this address");
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
    if (capped) {
      const auto slot = per_address_.find(*peer);
      if (--slot->second == 0) per_address_.erase(slot);
    }
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

awaitable<void> Server::refuse(tcp::socket& socket, const std::string& remote,
                               std::string_view reason) {
  core::log(core::LogLevel::kWarn, "connection_refused", {{"remote", remote}, {"reason", reason}});
  Response res = unavailable_response();
  res.keep_alive(false);
  beast::tcp_stream stream(std::move(socket));
  stream.expires_after(std::chrono::seconds(2));
  error_code ec;
  co_await bhttp::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
}

// What one connection carries from request to request.
struct Server::SessionIo {
  explicit SessionIo(const ServerLimits& limits)
      : buffer(limits.header_bytes + limits.body_bytes + 4096),
        last(std::chrono::steady_clock::now()) {}
  beast::flat_buffer buffer;
  std::string out;  // the response being sent, reused
  std::size_t served = 0;
  // When the last answer went out: the idle timeout runs from there.
  std::chrono::steady_clock::time_point last;
};

// How reading one request ended (the request itself stays in the parser).
struct Server::ReadOutcome {
  enum class Kind { kRequest, kRefused, kClosed };
  Kind kind = Kind::kClosed;
  std::optional<Response> refusal;  // kRefused: the 4xx or 501 to send before closing
  std::string_view method = "-";    // kRefused, for the log (in the parser, or static)
  std::string_view path = "-";
  std::chrono::steady_clock::time_point start;
  error_code ec;  // kClosed: why
};

// One connection, in named steps: read a request (read_request), dispatch it to the router,
// send the answer (send), record it, and go round again while the connection is kept alive;
// then close (close).
template <class Stream>
awaitable<void> Server::session(Stream& stream, Connection& connection, const std::string& remote,
                                bool https) {
  auto& lowest = beast::get_lowest_layer(stream);
  // Timeouts come from the sweep (Server::sweep), not from a timer per operation.
  lowest.expires_never();
  error_code ec;
  // Plain TCP: responses are first sent with a non-blocking send (send()).
  if constexpr (kPlain<Stream>) lowest.socket().non_blocking(true, ec);
  SessionIo io(limits_);
  while (!draining_) {
    RequestParser parser;
    ReadOutcome read = co_await read_request(stream, connection, io, parser);
    if (read.kind == ReadOutcome::Kind::kClosed) {
      ec = read.ec;
      break;
    }
    if (read.kind == ReadOutcome::Kind::kRefused) {
      co_await refuse_request(stream, connection, io, read, remote, https);
      co_return;
    }
    const Request& request = parser.get();
    const std::string id = request_id(request);
    // Named, not a temporary: GCC 12 mishandles temporaries with destructors inside a
    // co_await expression (frees them twice).
    const RequestContext context{.remote_address = client_of(request, remote)};
    Response response;
    try {
      response = co_await router_.dispatch(request, context);
    } catch (const std::exception& e) {
      response = handler_failed(request, e);
    }
    ++io.served;
    const bool keep_alive =
        request.keep_alive() && !draining_ && io.served < limits_.max_requests_per_connection;
    const bool head = request.method() == bhttp::verb::head;
    prepare_response(response, request.version(), keep_alive, id, https, head);
    serialize(response, !head, io.out);
    ec = co_await send(stream, connection, io.out);
    io.last = std::chrono::steady_clock::now();
    record(request, response.result_int(), read.start, io.last, context.remote_address, id);
    if (ec || !keep_alive) break;
  }
  co_await close(stream, connection, ec, remote);
}

// Reads one request: waits for its first byte within the idle timeout, then parses what has
// arrived and reads more only when the parser needs it (what Beast's http::async_read does,
// without its two completions per request). The whole request must arrive within the read
// timeout, so that a client that trickles bytes (slowloris) is cut off. The head is parsed and
// checked before any of the body (request_head.h).
template <class Stream>
awaitable<Server::ReadOutcome> Server::read_request(Stream& stream, Connection& connection,
                                                    SessionIo& io, RequestParser& parser) {
  ReadOutcome outcome;
  // Until a whole request is in, the connection has nothing in flight: drain() may cut it
  // off, whether it idles between requests or is slow to send one.
  connection.idle = true;
  error_code ec;
  if (io.buffer.size() == 0) {
    connection.arm(io.last + limits_.idle_timeout);
    const std::size_t n = co_await stream.async_read_some(io.buffer.prepare(4096),
                                                          asio::redirect_error(use_awaitable, ec));
    outcome.ec = connection.reason(ec);
    if (outcome.ec) co_return std::move(outcome);
    io.buffer.commit(n);
  }
  outcome.start = std::chrono::steady_clock::now();
  const auto read_deadline = outcome.start + limits_.read_timeout;
  parser.header_limit(static_cast<std::uint32_t>(limits_.header_bytes));
  parser.body_limit(limits_.body_bytes);
  parser.eager(false);                     // the head alone first; eager once it is checked
  std::optional<std::size_t> head_fields;  // how many the head had, once checked
  bool continue_sent = false;
  for (;;) {
    if (io.buffer.size() != 0) {
      const std::size_t used = parser.put(io.buffer.data(), ec);
      io.buffer.consume(used);
      if (ec == bhttp::error::need_more) ec = {};
      if (ec) break;
      if (!head_fields && parser.is_header_done()) {
        head_fields = field_count(parser.get());
        if (auto refused = check_request_head(parser.get())) {
          outcome.refusal = refusal_response(*refused);
          break;
        }
        parser.eager(true);
      }
      if (parser.is_done()) break;
      if (used != 0 && io.buffer.size() != 0) continue;
    }
    if (parser.is_header_done() && !continue_sent) {
      continue_sent = true;
      // The client waits for this before it sends the body; an HTTP/1.0 request's expectation
      // is ignored (RFC 9110 section 10.1.1).
      if (parser.get().version() >= 11 && expects_continue(parser.get())) {
        io.out = "HTTP/1.1 100 Continue\r\n\r\n";
        ec = co_await send(stream, connection, io.out);
        if (ec) break;
      }
    }
    ec = co_await read_more(stream, connection, io, parser, read_deadline);
    if (ec) break;
  }
  connection.idle = false;
  connection.disarm();
  finish_read(parser, head_fields, ec, outcome);
  co_return std::move(outcome);
}

// Reads more of a request into `io.buffer` within its deadline. The client closing midway
// is a partial message; closing before a byte, the end of the stream.
template <class Stream>
awaitable<error_code> Server::read_more(Stream& stream, Connection& connection, SessionIo& io,
                                        RequestParser& parser,
                                        std::chrono::steady_clock::time_point deadline) {
  const std::size_t room = io.buffer.max_size() - io.buffer.size();
  if (room == 0) co_return error_code(bhttp::error::buffer_overflow);
  connection.arm(deadline);
  error_code ec;
  const std::size_t n =
      co_await stream.async_read_some(io.buffer.prepare(std::min<std::size_t>(room, 16 * 1024)),
                                      asio::redirect_error(use_awaitable, ec));
  ec = connection.reason(ec);
  if (ec == asio::error::eof) {
    ec = {};
    if (!parser.got_some()) co_return error_code(bhttp::error::end_of_stream);
    parser.put_eof(ec);
    if (!ec && !parser.is_done()) ec = bhttp::error::partial_message;
    co_return ec;
  }
  if (!ec) io.buffer.commit(n);
  co_return ec;
}

// What the parse loop ended with: a request (in the parser), a refusal to answer (a refused
// head, trailer fields, or a read error that has an answer), or a close.
void Server::finish_read(RequestParser& parser, std::optional<std::size_t> head_fields,
                         const error_code& ec, ReadOutcome& outcome) {
  if (!ec && !outcome.refusal && head_fields && parser.is_done() && parser.chunked() &&
      field_count(parser.get()) != *head_fields) {
    outcome.refusal = refusal_response(HeadRefusal::kTrailerFields);
  }
  if (ec && !outcome.refusal) outcome.refusal = read_error_response(ec);
  if (outcome.refusal) {
    outcome.kind = ReadOutcome::Kind::kRefused;
    if (parser.is_header_done()) {
      outcome.method = parser.get().method_string();
      outcome.path = path_of(parser.get().target());
    }
    return;
  }
  outcome.ec = ec;
  outcome.kind = ec ? ReadOutcome::Kind::kClosed : ReadOutcome::Kind::kRequest;
}

// Sends `out` whole, within the write timeout (armed only if the send has to wait). Plain TCP
// tries a non-blocking send first, which almost always takes the whole response, so that no
// asynchronous operation (and no round trip through the scheduler) is needed.
template <class Stream>
awaitable<error_code> Server::send(Stream& stream, Connection& connection, const std::string& out) {
  error_code ec;
  std::size_t sent = 0;
  if constexpr (kPlain<Stream>) {
    sent = beast::get_lowest_layer(stream).socket().write_some(asio::buffer(out), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      ec = {};
      sent = 0;
    }
  }
  if (!ec && sent < out.size()) {
    connection.arm(std::chrono::steady_clock::now() + limits_.write_timeout);
    co_await asio::async_write(stream, asio::buffer(out.data() + sent, out.size() - sent),
                               asio::redirect_error(use_awaitable, ec));
    ec = connection.reason(ec);
  }
  connection.disarm();
  co_return ec;
}

// A handler that threw: logged, and answered 500; the connection goes on.
Response Server::handler_failed(const Request& request, const std::exception& e) {
  core::log(core::LogLevel::kError, "handler_failed",
            {{"path", path_of(request.target())}, {"error", e.what()}});
  return error_response(Status::internal_server_error, "server_error", "internal error");
}

// An answered request: its route's metrics and its one log line.
void Server::record(const Request& request, unsigned status,
                    std::chrono::steady_clock::time_point start,
                    std::chrono::steady_clock::time_point end, const std::string& remote,
                    const std::string& id) {
  const std::string_view path = path_of(request.target());
  metrics_.observe(router_.route_label(path), status, end - start);
  log_request(request.method_string(), path, status, start, remote, id);
}

// Answers a request that could not be read (or whose head is refused), and closes: after it,
// where the next request would begin is unknown.
template <class Stream>
awaitable<void> Server::refuse_request(Stream& stream, Connection& connection, SessionIo& io,
                                       ReadOutcome& read, const std::string& remote, bool https) {
  Response& res = *read.refusal;
  res.keep_alive(false);
  if (https) set_hsts(res);
  serialize(res, true, io.out);
  const error_code ec = co_await send(stream, connection, io.out);
  log_request(read.method, read.path, res.result_int(), read.start, remote);
  if (ec) co_return;
  if constexpr (!kPlain<Stream>) co_await close_notify(stream, connection);
  // Over TLS too: what the client still sends is read (as TCP bytes, undecrypted) and dropped,
  // so that its unread bytes do not reset the connection before it reads this.
  co_await linger(beast::get_lowest_layer(stream));
}

// The end of a connection: over TLS a close_notify first, unless the connection failed.
template <class Stream>
awaitable<void> Server::close(Stream& stream, Connection& connection, error_code ec,
                              const std::string& remote) {
  connection.disarm();
  if (ec && !is_expected_close(ec)) {
    core::log(core::LogLevel::kDebug, "connection_error",
              {{"remote", remote}, {"error", ec.message()}});
  }
  if constexpr (!kPlain<Stream>) {
    if (!ec) co_await close_notify(stream, connection);
  }
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ec);
}

// RFC 8446 section 6.1: a TLS connection the server closes ends with close_notify, so that
// the client can tell the end of the data from a truncation (OpenSSL's "unexpected eof while
// reading"). Sent without waiting for the client's own close_notify: the state says one came,
// so SSL_shutdown writes the alert and is done; within the write timeout.
awaitable<void> Server::close_notify(beast::ssl_stream<beast::tcp_stream>& stream,
                                     Connection& connection) {
  ::SSL_set_shutdown(stream.native_handle(), SSL_RECEIVED_SHUTDOWN);
  connection.arm(std::chrono::steady_clock::now() + limits_.write_timeout);
  error_code ec;
  co_await stream.async_shutdown(asio::redirect_error(use_awaitable, ec));
  connection.disarm();
}

void Server::set_tls(std::shared_ptr<asio::ssl::context> context) {
  tls_.store(std::move(context));
}

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
  asio::post(timers_, [this] {
    if (drained_) return;
    drain_timer_.expires_after(limits_.drain_timeout);
    drain_timer_.async_wait([this](const error_code& ec) {
      if (ec) return;
      core::log(core::LogLevel::kWarn, "drain_timeout",
                {{"seconds", limits_.drain_timeout.count()}});
      finish_drain();
    });
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
  asio::post(timers_, [this] {
    drain_timer_.cancel();
    sweep_timer_.cancel();
  });
  std::function<void()> done;
  {
    std::lock_guard lock(mutex_);
    done = std::move(on_drained_);
  }
  if (done) done();
}

}  // namespace tessera::http
