#include "fetch/http_fetch.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <charconv>

namespace tessera::fetch {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

struct Target {
  bool https = false;
  std::string host;
  std::string port;
  std::string authority;  // for Host: the host and any explicit port, as in the URL
  std::string path;       // with query
};

std::expected<Target, std::string> parse_target(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return std::unexpected("'" + std::string(url) + "' is not a URL");
  Target t;
  const std::string scheme(parsed->scheme());
  if (scheme != "http" && scheme != "https") {
    return std::unexpected("'" + std::string(url) + "' is not an http(s) URL");
  }
  t.https = scheme == "https";
  t.host = std::string(parsed->host_address());
  if (t.host.empty()) return std::unexpected("'" + std::string(url) + "' has no host");
  t.port = parsed->has_port() ? std::string(parsed->port()) : (t.https ? "443" : "80");
  t.authority = std::string(parsed->encoded_host_and_port());
  t.path = std::string(parsed->encoded_path());
  if (t.path.empty()) t.path = "/";
  if (parsed->has_query()) t.path += "?" + std::string(parsed->encoded_query());
  return t;
}

std::optional<std::chrono::seconds> max_age_of(std::string_view cache_control) {
  // Cache-Control: public, max-age=300 (RFC 9111 section 5.2.2.1).
  const std::size_t at = cache_control.find("max-age=");
  if (at == std::string_view::npos) return std::nullopt;
  const std::string_view digits = cache_control.substr(at + 8);
  long long n = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc{} || end == digits.data() || n < 0) return std::nullopt;
  return std::chrono::seconds(n);
}

// What goes out besides the URL.
struct Outgoing {
  std::string authorization;
  std::optional<std::string> form;
};

template <class Stream>
asio::awaitable<FetchResult> exchange(Stream& stream, const Target& target, const Outgoing& out,
                                      std::size_t max_body) {
  bhttp::request<bhttp::string_body> req{out.form ? bhttp::verb::post : bhttp::verb::get,
                                         target.path, 11};
  // RFC 9110 section 7.2: Host carries the port too when the URL names one.
  req.set(bhttp::field::host, target.authority);
  req.set(bhttp::field::user_agent, "tessera");
  req.set(bhttp::field::accept, "application/json");
  if (!out.authorization.empty()) req.set(bhttp::field::authorization, out.authorization);
  if (out.form) {
    req.set(bhttp::field::content_type, "application/x-www-form-urlencoded");
    req.body() = *out.form;
    req.prepare_payload();
  }
  co_await bhttp::async_write(stream, req, asio::use_awaitable);
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(max_body);
  co_await bhttp::async_read(stream, buffer, parser, asio::use_awaitable);
  const auto& res = parser.get();
  co_return FetchResult{.status = res.result_int(),
                        .body = res.body(),
                        .max_age = max_age_of(res[bhttp::field::cache_control])};
}

asio::awaitable<FetchResult> fetch(Target target, Outgoing out, std::chrono::seconds timeout,
                                   std::size_t max_body) {
  const auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  const auto endpoints =
      co_await resolver.async_resolve(target.host, target.port, asio::use_awaitable);
  if (!target.https) {
    beast::tcp_stream stream(executor);
    stream.expires_after(timeout);
    co_await stream.async_connect(endpoints, asio::use_awaitable);
    co_return co_await exchange(stream, target, out, max_body);
  }
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_default_verify_paths();
  ctx.set_verify_mode(ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(executor, ctx);
  // SNI, and the certificate must name the host (RFC 6125).
  if (!SSL_set_tlsext_host_name(stream.native_handle(), target.host.c_str())) {
    throw std::runtime_error("cannot set the TLS server name");
  }
  stream.set_verify_callback(ssl::host_name_verification(target.host));
  beast::get_lowest_layer(stream).expires_after(timeout);
  co_await beast::get_lowest_layer(stream).async_connect(endpoints, asio::use_awaitable);
  co_await stream.async_handshake(ssl::stream_base::client, asio::use_awaitable);
  co_return co_await exchange(stream, target, out, max_body);
}

}  // namespace

bool is_http_url(std::string_view url) { return parse_target(url).has_value(); }

bool is_https_url(std::string_view url) {
  const auto target = parse_target(url);
  return target && target->https;
}

std::expected<FetchResult, std::string> http_get(std::string_view url, std::chrono::seconds timeout,
                                                 std::size_t max_body_bytes) {
  return http_fetch({.url = url}, timeout, max_body_bytes);
}

std::expected<FetchResult, std::string> http_fetch(const FetchRequest& request,
                                                   std::chrono::seconds timeout,
                                                   std::size_t max_body_bytes) {
  const std::string method = request.form ? "POST " : "GET ";
  auto target = parse_target(request.url);
  if (!target) return std::unexpected(target.error());
  Outgoing out{.authorization = std::string(request.authorization),
               .form = request.form ? std::optional<std::string>(*request.form) : std::nullopt};
  asio::io_context ioc;
  std::optional<FetchResult> result;
  std::string error;
  asio::co_spawn(ioc, fetch(std::move(*target), std::move(out), timeout, max_body_bytes),
                 [&](std::exception_ptr e, FetchResult r) {
                   if (!e) {
                     result = std::move(r);
                     return;
                   }
                   try {
                     std::rethrow_exception(e);
                   } catch (const std::exception& ex) {
                     error = ex.what();
                   }
                 });
  // The resolver has no deadline of its own; the whole exchange gets one here.
  ioc.run_for(timeout + std::chrono::seconds(1));
  if (!ioc.stopped()) {
    ioc.stop();
    return std::unexpected(method + std::string(request.url) + ": timed out");
  }
  if (!result) return std::unexpected(method + std::string(request.url) + ": " + error);
  return std::move(*result);
}

}  // namespace tessera::fetch
