// The route table: every endpoint in one place, each a (method, path) -> handler.
//
//   Router router;
//   router.add(verb::get, "/healthz", healthz);
//   router.add_prefix(verb::get, "/items/", item);                // "/items/42", "/items/a/b"
//   Response res = co_await router.dispatch(request, context);   // 404, 405 and 501 built in
//
// dispatch() is the server's pure handle_request: it needs no socket, so tests call it
// directly.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "http/message.h"

namespace tessera::http {

using Handler =
    std::function<boost::asio::awaitable<Response>(const Request&, const RequestContext&)>;

// The path of a request target without the query, from the origin form ("/a?b") or the
// absolute form ("http://host/a?b").
std::string_view request_path(std::string_view target);

// A handler that calls `method` on the shared `endpoints` (which lives as long as any route
// holding it): router.add(verb::get, "/a", bind_endpoint(endpoints, &Endpoints::a)).
template <class Endpoints, class Method>
Handler bind_endpoint(std::shared_ptr<const Endpoints> endpoints, Method method) {
  return [endpoints = std::move(endpoints), method](const Request& req, const RequestContext& ctx) {
    return ((*endpoints).*method)(req, ctx);
  };
}

class Router {
 public:
  void add(boost::beast::http::verb method, std::string path, Handler handler);
  // Every path that starts with `prefix` and goes on past it (a path parameter, such as
  // "/items/" for "/items/{id}"); the handler reads the rest from the request's target.
  void add_prefix(boost::beast::http::verb method, std::string prefix, Handler handler);

  // The handler for the request's path and method. Paths match exactly, without the query;
  // a path no exact route has goes to the longest prefix route it starts with.
  // Unknown path: 404; known path, other method: 405 with Allow; a method token we do not
  // implement at all: 501.
  boost::asio::awaitable<Response> dispatch(const Request& request,
                                            const RequestContext& context) const;

  // The route a path falls under, for metrics: its path ("/token"), its prefix with "*"
  // ("/dart/finance/business/*"), or "other"; a small, fixed set of labels.
  std::string_view route_label(std::string_view path) const;

 private:
  struct Route {
    std::string path;
    bool prefix = false;
    std::string label;
    std::vector<std::pair<boost::beast::http::verb, Handler>> methods;
  };
  void add_route(boost::beast::http::verb method, std::string path, bool prefix, Handler handler);
  const Route* find(std::string_view path) const;

  std::vector<Route> routes_;
};

}  // namespace tessera::http
