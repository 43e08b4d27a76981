#include "finance_onward.h"

#include <boost/json/parse.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <expected>

#include "core/log.h"
#include "fetch/http_fetch.h"
#include "http/response.h"

namespace finance_api {
namespace {

namespace json = boost::json;
using tessera::http::Response;
using tessera::http::Status;

constexpr std::chrono::seconds kTimeout{5};
constexpr std::size_t kMaxBody = 1 << 20;
constexpr std::string_view kTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange";
constexpr std::string_view kAccessTokenType = "urn:ietf:params:oauth:token-type:access_token";

std::string form(std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  std::string body;
  for (const auto& [name, value] : fields) {
    if (!body.empty()) body.push_back('&');
    body += boost::urls::encode(name, boost::urls::unreserved_chars);
    body.push_back('=');
    body += boost::urls::encode(value, boost::urls::unreserved_chars);
  }
  return body;
}

std::string error_of(std::string_view body) {
  boost::system::error_code ec;
  const json::value doc = json::parse(body, ec);
  if (ec || !doc.is_object()) return {};
  const json::value* error = doc.as_object().if_contains("error");
  return error != nullptr && error->is_string() ? std::string(error->as_string()) : std::string();
}

Response bad_gateway(std::string_view event, const std::string& detail) {
  tessera::core::log(tessera::core::LogLevel::kError, event, {{"detail", detail}});
  return tessera::http::error_response(Status::bad_gateway, "bad_gateway",
                                       "the ledger service could not be asked");
}

}  // namespace

Response Onward::company(std::string_view subject_token, std::string_view biz_num) const {
  // RFC 8693 section 2.1, authenticated with client_secret_post (RFC 6749 section 2.3.1).
  const std::string request = form({{"grant_type", kTokenExchange},
                                    {"subject_token", subject_token},
                                    {"subject_token_type", kAccessTokenType},
                                    {"audience", config_.audience},
                                    {"scope", "finance:read"},
                                    {"client_id", config_.client_id},
                                    {"client_secret", config_.client_secret}});
  auto answer = tessera::fetch::http_fetch(
      {.url = config_.token_endpoint, .form = std::string_view(request)}, kTimeout, kMaxBody);
  if (!answer) return bad_gateway("token_exchange_failed", answer.error());
  if (answer->status != 200) {
    const std::string error = error_of(answer->body);
    if (error == "invalid_grant") {
      return tessera::http::bearer_error_response(tessera::http::BearerError::kInvalidToken,
                                                  "the token is no longer valid");
    }
    return bad_gateway("token_exchange_failed",
                       "status " + std::to_string(answer->status) + " " + error);
  }
  boost::system::error_code ec;
  const json::value doc = json::parse(answer->body, ec);
  const json::value* token =
      !ec && doc.is_object() ? doc.as_object().if_contains("access_token") : nullptr;
  if (token == nullptr || !token->is_string()) {
    return bad_gateway("token_exchange_failed", "the answer has no access_token");
  }
  const std::string authorization = "Bearer " + std::string(token->as_string());
  const std::string url = config_.ledger_url + "/dart/finance/business/" + std::string(biz_num);
  auto ledger =
      tessera::fetch::http_fetch({.url = url, .authorization = authorization}, kTimeout, kMaxBody);
  if (!ledger) return bad_gateway("ledger_call_failed", ledger.error());
  Response res{static_cast<Status>(ledger->status), 11};
  res.set(boost::beast::http::field::content_type, "application/json");
  res.set(boost::beast::http::field::cache_control, "no-store");
  res.body() = std::move(ledger->body);
  res.prepare_payload();
  return res;
}

}  // namespace finance_api
