#include "http/registration.h"

#include <boost/beast/http/field.hpp>

#include "http/authorization_header.h"
#include "http/response.h"

namespace tessera::http {
namespace {

namespace bhttp = boost::beast::http;
using boost::asio::awaitable;

constexpr std::string_view kRegisterPath = "/register";

// The token of a Bearer Authorization header (RFC 6750 section 2.1), if one is presented.
std::optional<std::string_view> bearer_of(const Request& req) {
  auto token = bearer_token(req);
  if (!token) return std::nullopt;
  return *token;
}

Response refused(const oauth::RegistrationError& e) {
  Response res = error_response(static_cast<Status>(e.status), e.error, e.description);
  if (e.status == 401) {
    res.set(bhttp::field::www_authenticate,
            "Bearer error=\"invalid_token\", error_description=\"" + e.description + "\"");
  }
  if (e.status == 429 || e.status == 503) res.set(bhttp::field::retry_after, "60");
  res.set(bhttp::field::cache_control, "no-store");
  return res;
}

Response answered(Status status, const boost::json::object& body) {
  Response res = json_response(status, body);
  res.set(bhttp::field::cache_control, "no-store");
  res.set(bhttp::field::pragma, "no-cache");
  return res;
}

class RegistrationEndpoints {
 public:
  explicit RegistrationEndpoints(const RegistrationServices& services) : s_(services) {}

  // POST /register (RFC 7591 section 3.1): JSON client metadata; 201 with the client.
  awaitable<Response> create(const Request& req, const RequestContext& ctx) const {
    if (!has_media_type(req, "application/json")) {
      co_return error_response(Status::unsupported_media_type, "invalid_client_metadata",
                               "Content-Type must be application/json");
    }
    const auto bearer = bearer_of(req);
    auto result = co_await s_.credential_pool.run([&] {
      auto answer = s_.registrations.register_client(req.body(), bearer, ctx.remote_address);
      if (!answer) return refused(answer.error());
      return answered(Status::created, *answer);
    });
    if (!result) co_return unavailable_response();
    co_return std::move(*result);
  }

  // GET, PUT and DELETE /register/{client_id} (RFC 7592 sections 2.1 to 2.3).
  awaitable<Response> manage(const Request& req, const RequestContext&) const {
    const std::string_view path = request_path(req.target());
    const std::string client_id(path.substr(kRegisterPath.size() + 1));
    const auto bearer = bearer_of(req);
    const bhttp::verb method = req.method();
    if (method == bhttp::verb::put && !has_media_type(req, "application/json")) {
      co_return error_response(Status::unsupported_media_type, "invalid_client_metadata",
                               "Content-Type must be application/json");
    }
    // An update may check a client secret (a password hash): the credential pool.
    auto& pool = method == bhttp::verb::put ? s_.credential_pool : s_.blocking_pool;
    auto result = co_await pool.run([&] {
      if (method == bhttp::verb::delete_) {
        auto removed = s_.registrations.remove(client_id, bearer);
        if (!removed) return refused(removed.error());
        Response res{Status::no_content, 11};
        res.set(bhttp::field::cache_control, "no-store");
        res.prepare_payload();
        return res;
      }
      auto client = method == bhttp::verb::put
                        ? s_.registrations.update(client_id, bearer, req.body())
                        : s_.registrations.read(client_id, bearer);
      if (!client) return refused(client.error());
      return answered(Status::ok, *client);
    });
    if (!result) co_return unavailable_response();
    co_return std::move(*result);
  }

 private:
  RegistrationServices s_;
};

}  // namespace

void register_registration_routes(Router& router, const RegistrationServices& services) {
  if (services.registrations.policy().mode == oauth::RegistrationMode::kOff) return;
  auto endpoints = std::make_shared<const RegistrationEndpoints>(services);
  const auto bind = [&endpoints](auto method) { return bind_endpoint(endpoints, method); };
  router.add(bhttp::verb::post, std::string(kRegisterPath), bind(&RegistrationEndpoints::create));
  const std::string prefix = std::string(kRegisterPath) + "/";
  router.add_prefix(bhttp::verb::get, prefix, bind(&RegistrationEndpoints::manage));
  router.add_prefix(bhttp::verb::put, prefix, bind(&RegistrationEndpoints::manage));
  router.add_prefix(bhttp::verb::delete_, prefix, bind(&RegistrationEndpoints::manage));
}

}  // namespace tessera::http
