// Shared by the http unit tests: requests built by hand and answered by Router::dispatch on
// an io_context in the test's own thread. No socket is opened.
//
//   Router router;
//   router.add(verb::get, "/healthz", handler);
//   Response res = test::dispatch(router, test::request(verb::get, "/healthz"));
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "http/message.h"
#include "http/router.h"

namespace tessera::test {

inline http::Request request(boost::beast::http::verb method, std::string_view target,
                             std::string body = "") {
  http::Request req{method, target, 11};
  req.set(boost::beast::http::field::host, "127.0.0.1");
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

// POST `target` with an application/x-www-form-urlencoded body.
inline http::Request form_post(std::string_view target, std::string body) {
  http::Request req = request(boost::beast::http::verb::post, target, std::move(body));
  req.set(boost::beast::http::field::content_type, "application/x-www-form-urlencoded");
  return req;
}

// Runs router.dispatch(req) to completion and returns its response; an exception from a
// handler is rethrown here.
inline http::Response dispatch(const http::Router& router, const http::Request& req) {
  boost::asio::io_context ioc;
  const http::RequestContext context{.remote_address = "192.0.2.1"};
  std::optional<http::Response> response;
  std::exception_ptr failure;
  boost::asio::co_spawn(
      ioc,
      [&]() -> boost::asio::awaitable<void> {
        // A named awaitable: GCC 12 mishandles temporaries with destructors in co_await.
        auto dispatched = router.dispatch(req, context);
        response = co_await std::move(dispatched);
      },
      [&](std::exception_ptr e) { failure = e; });
  ioc.run();
  if (failure) std::rethrow_exception(failure);
  if (!response) throw std::logic_error("dispatch did not complete");
  return std::move(*response);
}

// The response body as JSON; throws (and so fails the test) when it is not JSON.
inline boost::json::value json_body(const http::Response& res) {
  return boost::json::parse(res.body());
}

}  // namespace tessera::test
