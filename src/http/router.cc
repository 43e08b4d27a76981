#include "http/router.h"

#include <strings.h>

#include <algorithm>

#include "http/response.h"

namespace tessera::http {

namespace bhttp = boost::beast::http;

std::string_view request_path(std::string_view target) {
  // RFC 9112 section 3.2.2: a server accepts the absolute form, "http://host/path?query".
  for (const std::string_view scheme : {"http://", "https://"}) {
    if (target.size() > scheme.size() &&
        strncasecmp(target.data(), scheme.data(), scheme.size()) == 0) {
      const std::size_t slash = target.find('/', scheme.size());
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
      break;
    }
  }
  return target.substr(0, target.find('?'));
}

void Router::add(bhttp::verb method, std::string path, Handler handler) {
  add_route(method, std::move(path), false, std::move(handler));
}

void Router::add_prefix(bhttp::verb method, std::string prefix, Handler handler) {
  add_route(method, std::move(prefix), true, std::move(handler));
}

void Router::add_route(bhttp::verb method, std::string path, bool prefix, Handler handler) {
  auto it = std::find_if(routes_.begin(), routes_.end(),
                         [&](const Route& r) { return r.path == path && r.prefix == prefix; });
  if (it == routes_.end()) {
    std::string label = prefix ? path + "*" : path;
    it = routes_.insert(routes_.end(), Route{std::move(path), prefix, std::move(label), {}});
  }
  it->methods.emplace_back(method, std::move(handler));
}

std::string_view Router::route_label(std::string_view path) const {
  const Route* route = find(path);
  return route != nullptr ? std::string_view(route->label) : std::string_view("other");
}

const Router::Route* Router::find(std::string_view path) const {
  const Route* best = nullptr;
  for (const Route& r : routes_) {
    if (!r.prefix) {
      if (r.path == path) return &r;
    } else if (path.size() > r.path.size() && path.starts_with(r.path) &&
               (best == nullptr || r.path.size() > best->path.size())) {
      best = &r;
    }
  }
  return best;
}

boost::asio::awaitable<Response> Router::dispatch(const Request& request,
                                                  const RequestContext& context) const {
  if (request.method() == bhttp::verb::unknown) {
    co_return error_response(Status::not_implemented, "not_implemented",
                             "this method is not implemented");
  }
  const std::string_view path = request_path(request.target());
  const Route* route = find(path);
  if (route == nullptr) {
    co_return error_response(Status::not_found, "not_found", "no such endpoint");
  }
  // RFC 9110 section 9.3.2: HEAD is GET without the body (the server sends no body for it).
  const bhttp::verb wanted =
      request.method() == bhttp::verb::head ? bhttp::verb::get : request.method();
  std::string allow;
  for (const auto& [method, handler] : route->methods) {
    if (method == wanted) co_return co_await handler(request, context);
    if (!allow.empty()) allow += ", ";
    allow += bhttp::to_string(method);
    if (method == bhttp::verb::get) allow += ", HEAD";
  }
  Response res = error_response(Status::method_not_allowed, "method_not_allowed",
                                "this endpoint does not take this method");
  res.set(bhttp::field::allow, allow);
  co_return res;
}

}  // namespace tessera::http
