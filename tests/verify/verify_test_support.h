// Shared by the tessera::verify tests: tokens minted with the internal jose module (the code
// under test is reached only through include/tessera/), assertions that say in words what a
// std::expected held (GoogleTest 1.12 cannot print one), and a small JWKS server on
// 127.0.0.1 whose answers and request counts a test controls.
//
//   test::JwksServer server;                        // serves the issuer's metadata and /jwks
//   server.set_jwks(test::jwks({&key}), 300);       // body and Cache-Control: max-age
//   auto verifier = tessera::Verifier::create({.issuer = server.base_url()}).value();
//   verifier->wait_for_keys(test::kPatience);
//   EXPECT_EQ(server.jwks_requests(), 1);
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdint>
#include <expected>
#include <future>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/base64.h"
#include "jose/algorithm.h"
#include "jose/evp_key.h"
#include "jose/jose_test_support.h"
#include "jose/jwks.h"
#include "jose/jws.h"
#include "tessera/verify.h"

namespace tessera::test {

using jose::Algorithm;

// The four algorithms a Verifier accepts by default.
using jose::testing_support::kAsymmetric;

inline std::string algorithm_test_name(const testing::TestParamInfo<Algorithm>& info) {
  return std::string(jose::name(info.param));
}

// How long a test waits for something the background thread does in well under a second.
// Only ever an upper bound: a slow machine makes a test slower, never wrong.
inline constexpr std::chrono::seconds kPatience{10};

// --- keys and tokens ----------------------------------------------------------------------

inline std::shared_ptr<jose::EvpKey> fresh_key(Algorithm alg) {
  auto key = jose::EvpKey::generate(alg);
  EXPECT_TRUE(key.has_value()) << (key ? "" : key.error());
  return key.value_or(nullptr);
}

// One key per algorithm for the whole test binary (RSA generation takes a while).
inline const jose::EvpKey& key_for(Algorithm alg) {
  return *jose::testing_support::generated_key(alg);
}

inline std::string b64(std::string_view bytes) { return core::base64url_encode(bytes); }

// A JWKS document publishing exactly `keys`, as Tessera writes it.
inline std::string jwks(std::initializer_list<const jose::EvpKey*> keys) {
  std::vector<std::shared_ptr<const jose::EvpKey>> shared;
  for (const jose::EvpKey* key : keys) {
    // Non-owning: the keys outlive the call.
    shared.emplace_back(std::shared_ptr<const jose::EvpKey>(), key);
  }
  return boost::json::serialize(jose::jwks_document(shared));
}

// The header Tessera writes: {"alg":…,"typ":"at+jwt","kid":…}.
inline boost::json::object header_of(const jose::EvpKey& key) {
  boost::json::object header;
  header["alg"] = jose::name(key.algorithm());
  header["typ"] = "at+jwt";
  header["kid"] = key.kid();
  return header;
}

// A token with a real signature by `key` over exactly the header and payload given.
inline std::string sign(const jose::EvpKey& key, const boost::json::object& header,
                        const boost::json::object& payload) {
  const std::string input =
      b64(boost::json::serialize(header)) + "." + b64(boost::json::serialize(payload));
  auto signature = key.sign(input);
  EXPECT_TRUE(signature.has_value());
  return input + "." + b64(signature.value_or(""));
}

inline std::string sign(const jose::EvpKey& key, const boost::json::object& payload) {
  return sign(key, header_of(key), payload);
}

// Claims as Tessera issues them (RFC 9068 section 2.2), issued a minute before `now` and
// valid for ten minutes.
inline boost::json::object access_claims(std::string_view issuer, std::string_view audience,
                                         std::int64_t now) {
  boost::json::object claims;
  claims["iss"] = issuer;
  claims["sub"] = "alice";
  claims["aud"] = audience;
  claims["client_id"] = "finance-app";
  claims["scope"] = "openid finance:read";
  claims["iat"] = now - 60;
  claims["nbf"] = now - 60;
  claims["exp"] = now + 600;
  claims["jti"] = "jti-0001";
  claims["sid"] = "session-42";
  return claims;
}

inline std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// --- assertions ---------------------------------------------------------------------------

template <class T>
testing::AssertionResult FailsWith(const std::expected<T, VerifyError>& result, VerifyError want) {
  if (result.has_value()) {
    return testing::AssertionFailure() << "succeeded; expected \"" << to_string(want) << "\"";
  }
  if (result.error() != want) {
    return testing::AssertionFailure() << "failed with \"" << to_string(result.error())
                                       << "\"; expected \"" << to_string(want) << "\"";
  }
  return testing::AssertionSuccess();
}

template <class T>
testing::AssertionResult Succeeds(const std::expected<T, VerifyError>& result) {
  if (!result) {
    return testing::AssertionFailure() << "failed with \"" << to_string(result.error()) << "\"";
  }
  return testing::AssertionSuccess();
}

template <class T>
testing::AssertionResult RefusedWith(const std::expected<T, std::string>& result,
                                     std::string_view want) {
  if (result.has_value()) {
    return testing::AssertionFailure() << "succeeded; expected \"" << want << "\"";
  }
  if (result.error() != want) {
    return testing::AssertionFailure()
           << "failed with \"" << result.error() << "\"; expected \"" << want << "\"";
  }
  return testing::AssertionSuccess();
}

template <class T>
testing::AssertionResult Accepted(const std::expected<T, std::string>& result) {
  if (!result) return testing::AssertionFailure() << "failed with \"" << result.error() << "\"";
  return testing::AssertionSuccess();
}

// Polls `condition` every 10 ms until it holds or kPatience has passed; whether it held.
template <class Condition>
bool eventually(Condition condition) {
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// --- the issuer, as far as a Verifier sees it -----------------------------------------------

// An HTTP/1.1 server on 127.0.0.1 (an ephemeral port) with its own thread, answering
// GET /.well-known/oauth-authorization-server (RFC 8414) and GET /jwks, one request per
// connection. Unless told otherwise the metadata names base_url() as issuer and
// base_url() + "/jwks" as jwks_uri, and the JWKS is empty.
class JwksServer {
 public:
  JwksServer() {
    namespace asio = boost::asio;
    const asio::ip::tcp::endpoint loopback(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(loopback.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(loopback);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(ioc_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }

  ~JwksServer() {
    ioc_.stop();
    thread_.join();
  }

  JwksServer(const JwksServer&) = delete;
  JwksServer& operator=(const JwksServer&) = delete;

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string jwks_url() const { return base_url() + "/jwks"; }
  std::string metadata_url() const {
    return base_url() + "/.well-known/oauth-authorization-server";
  }
  std::uint16_t port() const { return port_; }

  // What GET /jwks answers from now on. No max_age: no Cache-Control.
  void set_jwks(std::string body, std::optional<int> max_age = std::nullopt,
                unsigned status = 200) {
    std::lock_guard lock(mutex_);
    jwks_body_ = std::move(body);
    jwks_max_age_ = max_age;
    jwks_status_ = status;
  }

  // What GET /.well-known/oauth-authorization-server answers from now on.
  void set_metadata(std::string body) {
    std::lock_guard lock(mutex_);
    metadata_body_ = std::move(body);
  }

  // From now on, read each request, count it, and never answer (nor close).
  void hang() {
    std::lock_guard lock(mutex_);
    hanging_ = true;
  }

  // Closes the listening socket: from now on connections to the port are refused.
  void stop_listening() {
    std::promise<void> closed;
    boost::asio::post(ioc_, [&] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      closed.set_value();
    });
    closed.get_future().wait();
  }

  int jwks_requests() const {
    std::lock_guard lock(mutex_);
    return static_cast<int>(jwks_times_.size());
  }
  std::vector<std::chrono::steady_clock::time_point> jwks_request_times() const {
    std::lock_guard lock(mutex_);
    return jwks_times_;
  }
  int metadata_requests() const {
    std::lock_guard lock(mutex_);
    return metadata_requests_;
  }
  int requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::string last_host_header() const {
    std::lock_guard lock(mutex_);
    return last_host_;
  }

 private:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Response = boost::beast::http::response<boost::beast::http::string_body>;

  // The answer to `req`, or std::nullopt to hang.
  std::optional<Response> respond(const Request& req) {
    namespace http = boost::beast::http;
    std::lock_guard lock(mutex_);
    ++requests_;
    last_host_ = std::string(req[http::field::host]);
    const bool jwks = req.target() == "/jwks";
    const bool metadata = req.target() == "/.well-known/oauth-authorization-server";
    if (jwks) jwks_times_.push_back(std::chrono::steady_clock::now());
    if (metadata) ++metadata_requests_;
    if (hanging_) return std::nullopt;
    Response res{http::status::not_found, req.version()};
    res.keep_alive(false);
    res.set(http::field::content_type, "application/json");
    if (jwks) {
      res.result(jwks_status_);
      res.body() = jwks_body_;
      if (jwks_max_age_) {
        res.set(http::field::cache_control, "public, max-age=" + std::to_string(*jwks_max_age_));
      }
    } else if (metadata) {
      res.result(http::status::ok);
      res.body() = metadata_body_.value_or(R"({"issuer":")" + base_url() + R"(","jwks_uri":")" +
                                           jwks_url() + R"("})");
    } else {
      res.body() = R"({"error":"not found"})";
    }
    res.prepare_payload();
    return res;
  }

  boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket) {
    namespace asio = boost::asio;
    namespace http = boost::beast::http;
    boost::system::error_code ec;
    boost::beast::flat_buffer buffer;
    Request req;
    co_await http::async_read(socket, buffer, req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    std::optional<Response> res = respond(req);
    if (!res) {
      // Holds the connection open until the server is destroyed.
      asio::steady_timer forever(socket.get_executor(), std::chrono::hours(1));
      co_await forever.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      co_return;
    }
    co_await http::async_write(socket, *res, asio::redirect_error(asio::use_awaitable, ec));
    socket.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  }

  boost::asio::awaitable<void> accept_loop() {
    namespace asio = boost::asio;
    for (;;) {
      boost::system::error_code ec;
      asio::ip::tcp::socket socket =
          co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;  // closed by stop_listening()
      asio::co_spawn(ioc_, session(std::move(socket)), asio::detached);
    }
  }

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_{ioc_};
  std::uint16_t port_ = 0;
  std::thread thread_;

  mutable std::mutex mutex_;
  std::string jwks_body_ = R"({"keys":[]})";
  std::optional<int> jwks_max_age_;
  unsigned jwks_status_ = 200;
  std::optional<std::string> metadata_body_;
  bool hanging_ = false;
  std::vector<std::chrono::steady_clock::time_point> jwks_times_;
  int metadata_requests_ = 0;
  int requests_ = 0;
  std::string last_host_;
};

}  // namespace tessera::test
