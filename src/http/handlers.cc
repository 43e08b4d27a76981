#include "http/handlers.h"

#include <boost/json/object.hpp>

#include "core/base64.h"
#include "core/metrics.h"
#include "http/authorization_header.h"
#include "http/form.h"
#include "http/response.h"
#include "password/password_hasher.h"

namespace tessera::http {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
namespace json = boost::json;
using asio::awaitable;

// RFC 6749 section 2.3.1: Basic credentials whose id and secret are each form-urlencoded.
std::expected<oauth::ClientCredentials, oauth::OAuthError> basic_credentials(const Request& req) {
  oauth::ClientCredentials credentials;
  const auto count = req.count(bhttp::field::authorization);
  if (count == 0) return credentials;
  const oauth::OAuthError bad{oauth::ErrorCode::kInvalidClient, "client authentication failed"};
  if (count > 1) return std::unexpected(oauth::invalid_request("repeated Authorization header"));
  const std::string_view value = req[bhttp::field::authorization];
  if (!starts_with_ignore_case(value, "Basic ")) return std::unexpected(bad);
  std::string_view encoded = value.substr(6);
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  const auto decoded = core::base64_decode(encoded);
  if (!decoded) return std::unexpected(bad);
  const std::size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::unexpected(bad);
  auto id = form_decode(std::string_view(*decoded).substr(0, colon));
  auto secret = form_decode(std::string_view(*decoded).substr(colon + 1));
  if (!id || !secret || id->empty()) return std::unexpected(bad);
  credentials.method = oauth::ClientCredentials::Method::kSecretBasic;
  credentials.id = std::move(*id);
  credentials.secret = std::move(*secret);
  return credentials;
}

// The DPoP header of a request (RFC 9449 section 4.1): std::nullopt when absent; an error
// when there are several.
std::expected<std::optional<std::string>, oauth::OAuthError> dpop_header(const Request& req) {
  const auto count = req.count("DPoP");
  if (count == 0) return std::optional<std::string>();
  if (count > 1) {
    return std::unexpected(
        oauth::OAuthError{oauth::ErrorCode::kInvalidDpopProof, "more than one DPoP header"});
  }
  return std::optional<std::string>(std::string(req["DPoP"]));
}

std::string_view path_of(const Request& req) {
  const std::string_view target = req.target();
  return target.substr(0, target.find('?'));
}

// A form-encoded POST to one of the OAuth endpoints, decoded: its parameters (each at most
// once, RFC 6749 section 3.2) and its Basic credentials, if any.
struct FormRequest {
  oauth::Parameters params;
  oauth::ClientCredentials basic;
};

std::expected<FormRequest, Response> decode_form(const Request& req) {
  if (!has_media_type(req, "application/x-www-form-urlencoded")) {
    return std::unexpected(oauth_error_response(
        oauth::invalid_request("Content-Type must be application/x-www-form-urlencoded")));
  }
  auto pairs = parse_form(req.body());
  if (!pairs) {
    return std::unexpected(
        oauth_error_response(oauth::invalid_request(std::string(to_string(pairs.error())))));
  }
  oauth::Parameters params(std::move(*pairs));
  if (const auto repeated = params.duplicate()) {
    return std::unexpected(
        oauth_error_response(oauth::invalid_request(*repeated + " is repeated")));
  }
  auto basic = basic_credentials(req);
  if (!basic) return std::unexpected(oauth_error_response(basic.error()));
  return FormRequest{.params = std::move(params), .basic = std::move(*basic)};
}

Response busy() {
  return oauth_error_response(
      {oauth::ErrorCode::kTemporarilyUnavailable, "too many requests in progress; retry shortly"});
}

json::object token_body(const oauth::TokenResponse& response) {
  json::object body;
  body["access_token"] = response.access_token;
  // RFC 9449 section 5: a bound token's type is DPoP.
  body["token_type"] = response.jkt.empty() ? "bearer" : "DPoP";
  body["expires_in"] = response.expires_in.count();
  body["scope"] = oauth::format_scope(response.scope);
  if (response.refresh_token) body["refresh_token"] = *response.refresh_token;
  if (response.id_token) body["id_token"] = *response.id_token;
  if (!response.issued_token_type.empty()) body["issued_token_type"] = response.issued_token_type;
  return body;
}

class Endpoints {
 public:
  explicit Endpoints(const Services& services) : s_(services) {
    if (s_.dpop != nullptr) {
      for (const auto& name : s_.dpop->algorithm_names()) {
        dpop_algs_ += (dpop_algs_.empty() ? "" : " ") + name;
      }
    }
  }

  // POST /token (RFC 6749 section 3.2).
  awaitable<Response> token(const Request& req, const RequestContext& ctx) const {
    auto form = decode_form(req);
    if (!form) co_return std::move(form.error());
    auto proof = dpop_header(req);
    if (!proof) co_return oauth_error_response(proof.error());
    oauth::TokenRequest request{.params = std::move(form->params),
                                .credentials = std::move(form->basic),
                                .remote_address = ctx.remote_address,
                                .dpop_proof = std::move(*proof),
                                .path = std::string(path_of(req))};
    // What needs no store and no hash is answered here, on the I/O thread.
    const auto plan = s_.token_service.plan(request);
    if (!plan) co_return oauth_error_response(plan.error());
    auto result = co_await pool_for(plan->may_hash).run([&] {
      auto response = s_.token_service.exchange(request, *plan);
      if (!response) return oauth_error_response(response.error());
      Response res = json_response(Status::ok, token_body(*response));
      res.set(bhttp::field::pragma, "no-cache");
      return res;
    });
    if (!result) co_return busy();
    // RFC 9449 section 8: the nonce for the client's next proof, when nonces are required.
    if (request.dpop_proof) set_dpop_nonce(*result);
    co_return std::move(*result);
  }

  void set_dpop_nonce(Response& res) const {
    if (s_.dpop == nullptr) return;
    if (auto nonce = s_.dpop->nonce(); !nonce.empty()) res.set("DPoP-Nonce", nonce);
  }

  // POST /introspect (RFC 7662): any confidential client may ask about any token.
  awaitable<Response> introspect(const Request& req, const RequestContext& ctx) const {
    auto form = decode_form(req);
    if (!form) co_return std::move(form.error());
    const auto presented = s_.clients.read(form->basic, form->params);
    if (!presented) co_return oauth_error_response(presented.error());
    auto result = co_await pool_for(presented->may_hash).run([&] {
      auto client = s_.clients.authenticate_confidential(*presented, ctx.remote_address);
      if (!client) return oauth_error_response(client.error());
      const auto token = form->params.get("token");
      if (!token) return oauth_error_response(oauth::invalid_request("token is required"));
      auto answer = s_.introspection.introspect(*token);
      if (!answer) return oauth_error_response(answer.error());
      return json_response(Status::ok, *answer);
    });
    if (!result) co_return busy();
    co_return std::move(*result);
  }

  // POST /par (RFC 9126 section 2): the authorization request, validated and kept; 201 with
  // the request_uri that stands for it.
  awaitable<Response> par(const Request& req, const RequestContext& ctx) const {
    auto form = decode_form(req);
    if (!form) co_return std::move(form.error());
    const auto presented = s_.clients.read(form->basic, form->params);
    if (!presented) co_return oauth_error_response(presented.error());
    auto proof = dpop_header(req);
    if (!proof) co_return oauth_error_response(proof.error());
    auto result = co_await pool_for(presented->may_hash).run([&] {
      auto client = s_.clients.authenticate(*presented, ctx.remote_address);
      if (!client) return oauth_error_response(client.error());
      auto params = *proof ? bind_to_proof(**proof, path_of(req), std::move(form->params))
                           : std::move(form->params);
      if (!params) return oauth_error_response(params.error());
      auto pushed = s_.pushed->push(*client, *params, *s_.authorization);
      if (!pushed) return oauth_error_response(pushed.error());
      json::object body;
      body["request_uri"] = pushed->request_uri;
      body["expires_in"] = pushed->expires_in.count();
      Response res = json_response(Status::created, body);
      res.set(bhttp::field::cache_control, "no-store");
      return res;
    });
    if (!result) co_return busy();
    if (*proof) set_dpop_nonce(*result);
    co_return std::move(*result);
  }

  // POST /device_authorization (RFC 8628 section 3.1): a device asks for a device code to poll
  // with and a user code to show.
  awaitable<Response> device_authorization(const Request& req, const RequestContext& ctx) const {
    auto form = decode_form(req);
    if (!form) co_return std::move(form.error());
    const auto presented = s_.clients.read(form->basic, form->params);
    if (!presented) co_return oauth_error_response(presented.error());
    auto result = co_await pool_for(presented->may_hash).run([&] {
      auto client = s_.clients.authenticate(*presented, ctx.remote_address);
      if (!client) return oauth_error_response(client.error());
      if (!client->allows_grant(oauth::kDeviceCodeGrant)) {
        return oauth_error_response({oauth::ErrorCode::kUnauthorizedClient,
                                     "the client may not use the device authorization grant"});
      }
      auto started = s_.devices->start(*client, form->params);
      if (!started) return oauth_error_response(started.error());
      json::object body;
      body["device_code"] = started->device_code;
      body["user_code"] = started->user_code;
      body["verification_uri"] = started->verification_uri;
      body["verification_uri_complete"] = started->verification_uri_complete;
      body["expires_in"] = started->expires_in.count();
      body["interval"] = started->interval.count();
      Response res = json_response(Status::ok, body);
      res.set(bhttp::field::cache_control, "no-store");
      return res;
    });
    if (!result) co_return busy();
    co_return std::move(*result);
  }

  // RFC 9449 section 10.1: a DPoP proof sent with a pushed request binds the code to its key,
  // as dpop_jkt would (which, when sent too, must name the same key). Blocking (the proof's
  // jti is remembered).
  std::expected<oauth::Parameters, oauth::OAuthError> bind_to_proof(
      std::string_view proof, std::string_view path, oauth::Parameters params) const {
    if (s_.dpop == nullptr) {
      return std::unexpected(
          oauth::OAuthError{oauth::ErrorCode::kInvalidDpopProof, "DPoP is not supported"});
    }
    auto jkt = s_.dpop->verify({.proof = proof, .method = "POST", .path = path});
    if (!jkt) return std::unexpected(jkt.error());
    const auto sent = params.get("dpop_jkt");
    if (sent && *sent != *jkt) {
      return std::unexpected(
          oauth::OAuthError{oauth::ErrorCode::kInvalidDpopProof,
                            "dpop_jkt is not the thumbprint of the proof's key"});
    }
    if (sent) return params;
    auto pairs = params.pairs();
    pairs.emplace_back("dpop_jkt", std::move(*jkt));
    return oauth::Parameters(std::move(pairs));
  }

  // POST /revoke (RFC 7009): 200 whether or not there was anything to revoke.
  awaitable<Response> revoke(const Request& req, const RequestContext& ctx) const {
    auto form = decode_form(req);
    if (!form) co_return std::move(form.error());
    const auto presented = s_.clients.read(form->basic, form->params);
    if (!presented) co_return oauth_error_response(presented.error());
    auto result = co_await pool_for(presented->may_hash).run([&] {
      auto client = s_.clients.authenticate(*presented, ctx.remote_address);
      if (!client) return oauth_error_response(client.error());
      const auto token = form->params.get("token");
      if (!token) return oauth_error_response(oauth::invalid_request("token is required"));
      if (auto revoked = s_.revocation.revoke(*token, *client); !revoked) {
        return oauth_error_response(revoked.error());
      }
      Response res{Status::ok, 11};
      res.set(bhttp::field::cache_control, "no-store");
      return res;
    });
    if (!result) co_return busy();
    co_return std::move(*result);
  }

  // GET /users/me: the seed's endpoint, the verified token's claims. Verification is a
  // signature check and no I/O, so it runs right here on the I/O thread.
  awaitable<Response> users_me(const Request& req, const RequestContext&) const {
    auto verified = verify(req);
    if (verified && !(*verified)->jkt.empty()) verified = co_await check_binding(req, *verified);
    if (!verified) co_return std::move(verified.error());
    co_return json_text_response(Status::ok, (*verified)->json);
  }

  // GET and POST /userinfo (OpenID Connect Core section 5.3).
  awaitable<Response> userinfo(const Request& req, const RequestContext&) const {
    auto verified = verify(req);
    if (verified && !(*verified)->jkt.empty()) verified = co_await check_binding(req, *verified);
    if (!verified) co_return std::move(verified.error());
    auto result = co_await s_.blocking_pool.run([&] {
      auto info = s_.userinfo.lookup((*verified)->claims);
      if (info) return json_response(Status::ok, *info);
      if (info.error() == oauth::UserInfoError::kUnavailable) return unavailable_response();
      return bearer_error_response(BearerError::kInvalidToken, "the token's user is not active");
    });
    if (!result) co_return unavailable_response();
    co_return std::move(*result);
  }

  // GET /.well-known/jwks.json (RFC 7517 section 5): the public keys, served from memory.
  awaitable<Response> jwks(const Request&, const RequestContext&) const {
    Response res{Status::ok, 11};
    res.set(bhttp::field::content_type, "application/json");
    res.set(bhttp::field::cache_control,
            "public, max-age=" + std::to_string(s_.jwks_max_age.count()));
    res.set("X-Content-Type-Options", "nosniff");
    res.body() = *s_.keys.jwks_json();
    res.prepare_payload();
    co_return res;
  }

  // GET /.well-known/oauth-authorization-server (RFC 8414) and
  // /.well-known/openid-configuration (OpenID Connect Discovery 1.0).
  awaitable<Response> oauth_metadata(const Request&, const RequestContext&) const {
    co_return co_await metadata(false);
  }
  awaitable<Response> openid_metadata(const Request&, const RequestContext&) const {
    co_return co_await metadata(true);
  }

  // GET /healthz: 200 when the database answers, else 503.
  awaitable<Response> healthz(const Request&, const RequestContext&) const {
    auto result = co_await s_.blocking_pool.run([&] { return s_.database_answers(); });
    json::object body;
    const bool ok = result && *result;
    // docs/reference.md, Endpoints: exactly {"status":"ok"}, 503 when the database does not answer.
    body["status"] = ok ? "ok" : "unavailable";
    co_return json_response(ok ? Status::ok : Status::service_unavailable, body);
  }

  // GET /metrics: Prometheus text format. Some gauges read the database: the blocking pool.
  awaitable<Response> metrics(const Request& req, const RequestContext&) const {
    if (s_.metrics_token) {
      const auto token = bearer_token(req);
      if (!token) co_return bearer_error_response(token.error(), "the metrics token is required");
      if (!password::constant_time_equals(*token, *s_.metrics_token)) {
        co_return bearer_error_response(BearerError::kInvalidToken, "not the metrics token");
      }
    }
    auto text = co_await s_.blocking_pool.run([] { return core::metrics().render(); });
    if (!text) co_return unavailable_response();
    Response res{Status::ok, 11};
    res.set(bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.set(bhttp::field::cache_control, "no-store");
    res.body() = std::move(*text);
    res.prepare_payload();
    co_return res;
  }

 private:
  // Work that may hash a password or secret goes to the credential pool, whose threads yield
  // to the I/O threads (a login storm must not starve everything else); the rest, a client
  // whose secret is remembered among them, to the blocking pool, so as not to yield to the
  // very load it serves. The choice is a hint from memory: should a remembered secret run
  // out before the work runs, it is hashed on the blocking pool once, and answered the same.
  WorkerPool& pool_for(bool may_hash) const {
    return may_hash ? s_.credential_pool : s_.blocking_pool;
  }

  awaitable<Response> metadata(bool openid) const {
    // The scopes come from the users and clients now in the database.
    auto result = co_await s_.blocking_pool.run([&] {
      auto document = s_.discovery.document(openid ? oauth::Discovery::Form::kOpenId
                                                   : oauth::Discovery::Form::kOAuth);
      if (!document) return unavailable_response();
      Response res = json_response(Status::ok, *document);
      res.set(bhttp::field::cache_control, "public, max-age=60");
      return res;
    });
    if (!result) co_return unavailable_response();
    co_return std::move(*result);
  }

  using Verified = std::expected<std::shared_ptr<const oauth::VerifiedToken>, Response>;

  // The access token of a request to a resource, verified: signature, claims, revocation,
  // and the scheme its binding calls for. A DPoP-bound token's proof is check_binding's.
  Verified verify(const Request& req) const {
    const auto token = presented_token(req, true);
    if (!token) {
      const BearerError e = token.error();
      return std::unexpected(bearer_error_response(
          e, e == BearerError::kMissing          ? "a bearer token is required"
             : e == BearerError::kInvalidRequest ? "repeated Authorization header"
                                                 : "the bearer token is empty"));
    }
    auto verified = s_.access_tokens.verify_shared(token->token);
    if (!verified) {
      const std::string_view why = jose::to_string(verified.error());
      if (token->dpop) return std::unexpected(dpop_refused("invalid_token", why));
      return std::unexpected(bearer_error_response(BearerError::kInvalidToken, why));
    }
    // RFC 9449 section 7.2: a bound token is never a bearer token, nor the reverse.
    if ((*verified)->jkt.empty() && token->dpop) {
      return std::unexpected(dpop_refused("invalid_token", "the token is not DPoP-bound"));
    }
    if (!(*verified)->jkt.empty() && !token->dpop) {
      return std::unexpected(
          dpop_refused("invalid_token", "a DPoP-bound token needs the DPoP scheme and a proof"));
    }
    return std::move(*verified);
  }

  // RFC 9449 section 7.1: one proof, for this method and URL, with the token's hash, never
  // used before, by the key the token is bound to. Blocking (the replay store): on the pool.
  awaitable<Verified> check_binding(const Request& req,
                                    std::shared_ptr<const oauth::VerifiedToken> token) const {
    auto proof = dpop_header(req);
    if (!proof || !*proof) {
      co_return std::unexpected(dpop_refused("invalid_dpop_proof", "one DPoP proof is required"));
    }
    if (s_.dpop == nullptr) co_return std::unexpected(dpop_refused("invalid_token", "no DPoP"));
    const oauth::DpopRequest request{.proof = **proof,
                                     .method = req.method_string(),
                                     .path = path_of(req),
                                     .access_token = presented_token(req, true)->token};
    std::expected<std::string, oauth::OAuthError> jkt;
    if (s_.replays != nullptr) {
      jkt = co_await check_proof(request);
    } else {
      auto verified = co_await s_.blocking_pool.run([&] { return s_.dpop->verify(request); });
      if (!verified) co_return std::unexpected(unavailable_response());
      jkt = std::move(*verified);
    }
    if (!jkt) co_return std::unexpected(proof_refused(jkt.error()));
    if (*jkt != token->jkt) {
      co_return std::unexpected(
          dpop_refused("invalid_dpop_proof", "the proof is not by the token's key"));
    }
    co_return token;
  }

  // The proof checked here, on the I/O thread (a signature check, as for a bearer token), and
  // its use remembered by the batcher, which holds no thread while the write is pending.
  awaitable<std::expected<std::string, oauth::OAuthError>> check_proof(
      const oauth::DpopRequest& request) const {
    auto checked = s_.dpop->check(request);
    if (!checked) co_return std::unexpected(checked.error());
    const auto fresh =
        co_await s_.replays->use_once(std::move(checked->replay_key), checked->remember_until);
    if (!fresh) co_return std::unexpected(oauth::unavailable());
    if (!*fresh) {
      co_return std::unexpected(
          oauth::OAuthError{oauth::ErrorCode::kInvalidDpopProof, "the proof was used before"});
    }
    co_return std::move(checked->jkt);
  }

  Response proof_refused(const oauth::OAuthError& error) const {
    if (error.code == oauth::ErrorCode::kTemporarilyUnavailable) return unavailable_response();
    if (error.code == oauth::ErrorCode::kUseDpopNonce) {
      Response res = dpop_refused("use_dpop_nonce", error.description);
      set_dpop_nonce(res);
      return res;
    }
    return dpop_refused("invalid_dpop_proof", error.description);
  }

  Response dpop_refused(std::string_view code, std::string_view description) const {
    return dpop_error_response(code, description, dpop_algs_);
  }

  Services s_;
  std::string dpop_algs_;
};

}  // namespace

void register_routes(Router& router, const Services& services) {
  auto endpoints = std::make_shared<const Endpoints>(services);
  const auto bind = [&endpoints](auto method) { return bind_endpoint(endpoints, method); };
  router.add(bhttp::verb::post, "/token", bind(&Endpoints::token));
  router.add(bhttp::verb::post, "/introspect", bind(&Endpoints::introspect));
  router.add(bhttp::verb::post, "/revoke", bind(&Endpoints::revoke));
  if (services.authorization != nullptr && services.pushed != nullptr) {
    router.add(bhttp::verb::post, "/par", bind(&Endpoints::par));
  }
  if (services.devices != nullptr) {
    router.add(bhttp::verb::post, "/device_authorization", bind(&Endpoints::device_authorization));
  }
  router.add(bhttp::verb::get, "/users/me", bind(&Endpoints::users_me));
  router.add(bhttp::verb::get, "/userinfo", bind(&Endpoints::userinfo));
  router.add(bhttp::verb::post, "/userinfo", bind(&Endpoints::userinfo));
  router.add(bhttp::verb::get, "/healthz", bind(&Endpoints::healthz));
  router.add(bhttp::verb::get, "/metrics", bind(&Endpoints::metrics));
  router.add(bhttp::verb::get, "/.well-known/jwks.json", bind(&Endpoints::jwks));
  router.add(bhttp::verb::get, "/.well-known/oauth-authorization-server",
             bind(&Endpoints::oauth_metadata));
  router.add(bhttp::verb::get, "/.well-known/openid-configuration",
             bind(&Endpoints::openid_metadata));
}

}  // namespace tessera::http
