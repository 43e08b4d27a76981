#include "oauth/pushed_requests.h"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/base64.h"
#include "core/log.h"
#include "jose/digest.h"
#include "oauth/authorization.h"

namespace tessera::oauth {
namespace {

namespace json = boost::json;

// What authenticates the client is never kept with the request (RFC 9126 section 2.1).
constexpr std::string_view kCredentialParams[] = {"client_secret", "client_assertion",
                                                  "client_assertion_type"};

OAuthError unusable() {
  return invalid_request("the request_uri is unknown, expired, used, or another client's");
}

// The hash the store knows a request_uri by, or empty when it is not one of ours.
std::string uri_hash(std::string_view request_uri) {
  if (!request_uri.starts_with(kRequestUriPrefix)) return {};
  const std::string_view token = request_uri.substr(kRequestUriPrefix.size());
  if (token.size() != 43) return {};
  return core::base64url_encode(jose::sha256(token));
}

}  // namespace

std::expected<PushedAnswer, OAuthError> PushedRequests::push(
    const Client& client, const Parameters& params, const Authorization& authorization) const {
  if (params.get("request_uri"))
    return std::unexpected(invalid_request("request_uri is not allowed"));
  if (auto given = params.get("client_id"); given && *given != client.id) {
    return std::unexpected(invalid_request("client_id is not the authenticated client"));
  }
  std::vector<std::pair<std::string, std::string>> kept{{"client_id", client.id}};
  for (const auto& [name, value] : params.pairs()) {
    if (name == "client_id" || std::find(std::begin(kCredentialParams), std::end(kCredentialParams),
                                         name) != std::end(kCredentialParams)) {
      continue;
    }
    kept.emplace_back(name, value);
  }
  Parameters request(kept);
  if (auto valid = authorization.validate(request, /*pushed=*/true); !valid) {
    return std::unexpected(valid.error().error);
  }
  json::array pairs;
  for (const auto& [name, value] : kept) pairs.push_back(json::array{name, value});
  const std::string token = core::random_token(random_, 32);
  const store::PushedRequest record{.uri_hash = core::base64url_encode(jose::sha256(token)),
                                    .client_id = client.id,
                                    .params = json::serialize(pairs),
                                    .expires_at = clock_.now() + kLifetime};
  if (!store_.add_pushed_request(record)) return std::unexpected(unavailable());
  core::audit("authorization_request_pushed", {{"client_id", client.id}});
  return PushedAnswer{.request_uri = std::string(kRequestUriPrefix) + token,
                      .expires_in = kLifetime};
}

std::expected<Parameters, OAuthError> PushedRequests::resolve(std::string_view client_id,
                                                              std::string_view request_uri) const {
  const std::string hash = uri_hash(request_uri);
  if (hash.empty()) return std::unexpected(unusable());
  auto found = store_.find_pushed_request(hash);
  if (!found) return std::unexpected(unavailable());
  if (!*found || (*found)->client_id != client_id || (*found)->used_at ||
      (*found)->expires_at <= clock_.now()) {
    return std::unexpected(unusable());
  }
  // Written by push() above: an array of [name, value] string pairs.
  boost::system::error_code ec;
  const json::value stored = json::parse((*found)->params, ec);
  if (ec || !stored.is_array()) return std::unexpected(unusable());
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const json::value& pair : stored.get_array()) {
    const auto* p = pair.if_array();
    if (p == nullptr || p->size() != 2 || !(*p)[0].is_string() || !(*p)[1].is_string()) {
      return std::unexpected(unusable());
    }
    pairs.emplace_back(std::string((*p)[0].get_string()), std::string((*p)[1].get_string()));
  }
  return Parameters(std::move(pairs));
}

std::expected<void, OAuthError> PushedRequests::use(std::string_view request_uri) const {
  const std::string hash = uri_hash(request_uri);
  if (hash.empty()) return std::unexpected(unusable());
  auto used = store_.use_pushed_request(hash, clock_.now());
  if (!used) return std::unexpected(unavailable());
  if (!*used) return std::unexpected(unusable());
  return {};
}

}  // namespace tessera::oauth
