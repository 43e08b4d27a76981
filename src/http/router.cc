#include "http/router.h"

#include <algorithm>

#include "http/response.h"

namespace tessera::http {

namespace bhttp = boost::beast::http;

void Router::add(bhttp::verb method, std::string path, Handler handler) {
  auto it = std::find_if(routes_.begin(), routes_.end(), [&](const Route& r) { return r.path == path; });
  if (it == routes_.end()) it = routes_.insert(routes_.end(), Route{std::move(path), {}});
  it->methods.emplace_back(method, std::move(handler));
}

boost::asio::awaitable<Response> Router::dispatch(const Request& request,
                                                  const RequestContext& context) const {
  if (request.method() == bhttp::verb::unknown) {
    co_return error_response(Status::not_implemented, "not_implemented",
                             "this method is not implemented");
  }
  const std::string_view target = request.target();
  const std::string_view path = target.substr(0, target.find('?'));
  const auto route =
      std::find_if(routes_.begin(), routes_.end(), [&](const Route& r) { return r.path == path; });
  if (route == routes_.end()) {
    co_return error_response(Status::not_found, "not_found", "no such endpoint");
  }
  std::string allow;
  for (const auto& [method, handler] : route->methods) {
    if (method == request.method()) co_return co_await handler(request, context);
    if (!allow.empty()) allow += ", ";
    allow += bhttp::to_string(method);
  }
  Response res = error_response(Status::method_not_allowed, "method_not_allowed",
                                "this endpoint does not take this method");
  res.set(bhttp::field::allow, allow);
  co_return res;
}

}  // namespace tessera::http
