// The route table: every endpoint in one place, each a (method, path) -> handler.
//
//   Router router;
//   router.add(verb::get, "/healthz", healthz);
//   Response res = co_await router.dispatch(request, context);   // 404, 405 and 501 built in
//
// dispatch() is the server's pure handle_request: it needs no socket, so tests call it
// directly.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <functional>
#include <string>
#include <vector>

#include "http/message.h"

namespace tessera::http {

using Handler =
    std::function<boost::asio::awaitable<Response>(const Request&, const RequestContext&)>;

// The path of a request target without the query, from the origin form ("/a?b") or the
// absolute form ("http://host/a?b").
std::string_view request_path(std::string_view target);

class Router {
 public:
  void add(boost::beast::http::verb method, std::string path, Handler handler);

  // The handler for the request's path and method. Paths match exactly, without the query.
  // Unknown path: 404; known path, other method: 405 with Allow; a method token we do not
  // implement at all: 501.
  boost::asio::awaitable<Response> dispatch(const Request& request,
                                            const RequestContext& context) const;

 private:
  struct Route {
    std::string path;
    std::vector<std::pair<boost::beast::http::verb, Handler>> methods;
  };
  std::vector<Route> routes_;
};

}  // namespace tessera::http
