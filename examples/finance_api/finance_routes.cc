#include "finance_routes.h"

#include <boost/json/object.hpp>

#include "core/log.h"
#include "http/response.h"
#include "tessera/beast.h"

namespace finance_api {

namespace json = boost::json;
using tessera::http::Request;
using tessera::http::RequestContext;
using tessera::http::Response;
using tessera::http::Status;

namespace {

constexpr std::string_view kBusinessPrefix = "/dart/finance/business/";
constexpr std::string_view kLedgerSuffix = "/ledger";

// The metadata's URL is made once, at registration, and lives in Services.
tessera::beast::GuardOptions guard_options(const Services& services) {
  return {.public_origin = services.public_origin, .resource_metadata = services.metadata_url};
}

// The seed's get_company_info(bizNum): the one step here that could fail in a real service
// (a database query, say).
std::expected<json::array, std::string> find_company(const Services& services,
                                                     std::string_view biz_num) {
  if (services.fault) return std::unexpected("lookup failed: fault injected by FINANCE_FAULT=1");
  return services.data.records(biz_num);
}

Response company_finance(const Services& services, const Request& request) {
  auto claims =
      tessera::beast::authorize(services.verifier, request, kFinanceScope, guard_options(services));
  if (!claims) return std::move(claims.error());
  const std::string_view path = tessera::http::request_path(request.target());
  const std::string_view biz_num = path.substr(kBusinessPrefix.size());
  if (!is_business_number(biz_num)) {
    return tessera::http::error_response(Status::bad_request, "invalid_request",
                                         "bizNum must be exactly ten digits");
  }
  auto records = find_company(services, biz_num);
  if (!records) {
    // The cause goes to the log; the caller gets a fixed answer (the seed put str(e) in the
    // response, which can leak internals).
    tessera::core::log(tessera::core::LogLevel::kError, "finance_lookup_failed",
                       {{"error", records.error()}, {"client_id", claims->client_id()}});
    return tessera::http::error_response(Status::internal_server_error, "server_error",
                                         "internal error");
  }
  return tessera::http::json_response(Status::ok,
                                      json::object{{"newCompanyFinance", std::move(*records)}});
}

// GET /dart/finance/business/{bizNum}/ledger: the caller's token is checked here as for the
// company's own records, then exchanged for the ledger's audience (finance_onward.h).
boost::asio::awaitable<Response> company_ledger(const Services& services, const Request& request) {
  auto claims =
      tessera::beast::authorize(services.verifier, request, kFinanceScope, guard_options(services));
  if (!claims) co_return std::move(claims.error());
  const std::string_view path = tessera::http::request_path(request.target());
  const std::string_view biz_num = path.substr(
      kBusinessPrefix.size(), path.size() - kBusinessPrefix.size() - kLedgerSuffix.size());
  if (!is_business_number(biz_num)) {
    co_return tessera::http::error_response(Status::bad_request, "invalid_request",
                                            "bizNum must be exactly ten digits");
  }
  const std::string_view authorization = request[boost::beast::http::field::authorization];
  const std::string token(tessera::beast::bearer_token(authorization)
                              .or_else([&] { return tessera::beast::dpop_token(authorization); })
                              .value_or(""));
  auto res =
      co_await services.onward_pool->run([&] { return services.onward->company(token, biz_num); });
  if (!res) {
    Response busy = tessera::http::error_response(Status::service_unavailable,
                                                  "temporarily_unavailable", "try again shortly");
    busy.set(boost::beast::http::field::retry_after, "1");
    co_return busy;
  }
  co_return std::move(*res);
}

Response healthz(const tessera::Verifier& verifier) {
  const std::size_t keys = verifier.key_count();
  return tessera::http::json_response(
      keys > 0 ? Status::ok : Status::service_unavailable,
      json::object{{"status", keys > 0 ? "ok" : "unavailable"}, {"keys", keys}});
}

}  // namespace

void register_routes(tessera::http::Router& router, const Services& given) {
  namespace bhttp = boost::beast::http;
  Services services = given;
  services.metadata_url = tessera::resource_metadata_url(services.metadata.resource);
  // RFC 9728 section 3: the document, made once.
  router.add(bhttp::verb::get, std::string(tessera::kResourceMetadataPath),
             [json = tessera::resource_metadata_json(services.metadata)](
                 const Request&, const RequestContext&) -> boost::asio::awaitable<Response> {
               Response res{Status::ok, 11};
               res.set(bhttp::field::content_type, "application/json");
               res.set(bhttp::field::cache_control, "max-age=300");
               res.body() = json;
               res.prepare_payload();
               co_return res;
             });
  // Verification reads cached keys only and the dataset is in memory: nothing here blocks,
  // so the handlers run on the I/O threads; only the onward call goes to its pool.
  router.add_prefix(bhttp::verb::get, std::string(kBusinessPrefix),
                    [services](const Request& request,
                               const RequestContext&) -> boost::asio::awaitable<Response> {
                      const std::string_view path = tessera::http::request_path(request.target());
                      if (services.onward != nullptr && path.ends_with(kLedgerSuffix)) {
                        co_return co_await company_ledger(services, request);
                      }
                      co_return company_finance(services, request);
                    });
  router.add(bhttp::verb::get, "/healthz",
             [&verifier = services.verifier](const Request&, const RequestContext&)
                 -> boost::asio::awaitable<Response> { co_return healthz(verifier); });
}

}  // namespace finance_api
