#include "oauth/registration.h"

#include <algorithm>
#include <boost/json/array.hpp>

#include "core/base64.h"
#include "core/log.h"
#include "core/strict_json.h"
#include "core/text.h"
#include "jose/digest.h"
#include "oauth/authorization.h"
#include "oauth/redirect_uri.h"
#include "password/password_hasher.h"

namespace tessera::oauth {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxNameBytes = 200;
constexpr std::size_t kMaxRedirectUris = 20;
constexpr std::size_t kTokenBytes = 32;

RegistrationError bad_metadata(std::string description) {
  return {400, "invalid_client_metadata", std::move(description)};
}

RegistrationError bad_token(std::string description) {
  return {401, "invalid_token", std::move(description)};
}

RegistrationError unavailable_error() {
  return {503, "temporarily_unavailable", "the service is temporarily unavailable"};
}

std::string token_hash(std::string_view token) {
  return core::base64url_encode(jose::sha256(token));
}

// A member that must be a string when present.
std::expected<std::optional<std::string>, RegistrationError> string_member(const json::object& doc,
                                                                           std::string_view name) {
  const json::value* v = doc.if_contains(name);
  if (v == nullptr) return std::optional<std::string>();
  if (!v->is_string())
    return std::unexpected(bad_metadata(std::string(name) + " must be a string"));
  return std::optional<std::string>(std::string(v->get_string()));
}

// A member that must be an array of strings when present.
std::expected<std::optional<std::vector<std::string>>, RegistrationError> strings_member(
    const json::object& doc, std::string_view name) {
  const json::value* v = doc.if_contains(name);
  if (v == nullptr) return std::optional<std::vector<std::string>>();
  const auto refused = bad_metadata(std::string(name) + " must be an array of strings");
  if (!v->is_array()) return std::unexpected(refused);
  std::vector<std::string> out;
  for (const json::value& item : v->get_array()) {
    if (!item.is_string()) return std::unexpected(refused);
    out.emplace_back(item.get_string());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

json::array to_array(const std::vector<std::string>& items) {
  json::array out;
  for (const std::string& item : items) out.emplace_back(item);
  return out;
}

// What the metadata asks for, read and checked against the policy (RFC 7591 section 2).
struct Requested {
  std::vector<std::string> grants;
  std::vector<std::string> redirect_uris;
  std::string auth_method;
  std::string name;
  ScopeSet scopes;
};

std::expected<void, RegistrationError> check_grants(const Requested& r) {
  const bool is_public = r.auth_method == "none";
  for (const std::string& grant : r.grants) {
    const bool allowed = grant == "authorization_code" || grant == "refresh_token" ||
                         (grant == "client_credentials" && !is_public);
    if (!allowed) {
      return std::unexpected(bad_metadata("the grant type '" + core::printable(grant) +
                                          "' is not open to registered clients"));
    }
  }
  return {};
}

std::expected<void, RegistrationError> check_redirect_uris(const Requested& r) {
  const bool code =
      std::find(r.grants.begin(), r.grants.end(), "authorization_code") != r.grants.end();
  if (code && r.redirect_uris.empty()) {
    return std::unexpected(
        RegistrationError{400, "invalid_redirect_uri", "redirect_uris is required"});
  }
  if (!code && !r.redirect_uris.empty()) {
    return std::unexpected(bad_metadata("redirect_uris are for the authorization_code grant"));
  }
  if (r.redirect_uris.size() > kMaxRedirectUris) {
    return std::unexpected(
        RegistrationError{400, "invalid_redirect_uri", "at most 20 redirect_uris"});
  }
  for (const std::string& uri : r.redirect_uris) {
    if (auto bad = check_redirect_uri(uri)) {
      return std::unexpected(RegistrationError{400, "invalid_redirect_uri", *bad});
    }
  }
  return {};
}

std::expected<ScopeSet, RegistrationError> check_scope(const std::optional<std::string>& text,
                                                       const RegistrationPolicy& policy) {
  if (!text) return policy.scopes;
  auto scope = parse_scope(*text);
  if (!scope) return std::unexpected(bad_metadata("scope is malformed"));
  ScopeSet kept;
  for (const std::string& s : *scope) {
    if (is_identity_scope(s)) continue;  // every sign-in client may ask for these
    if (!contains(policy.scopes, s)) {
      return std::unexpected(
          bad_metadata("the scope '" + s + "' is not open to registered clients"));
    }
    kept.push_back(s);
  }
  return kept;
}

// `auth_method` is the token endpoint authentication method when the metadata names none.
std::expected<Requested, RegistrationError> read_metadata(const json::object& doc,
                                                          const RegistrationPolicy& policy,
                                                          std::string_view auth_method) {
  if (doc.contains("software_statement")) {
    return std::unexpected(RegistrationError{400, "invalid_software_statement",
                                             "software statements are not accepted"});
  }
  if (doc.contains("jwks") || doc.contains("jwks_uri")) {
    return std::unexpected(bad_metadata("clients with keys are added by an administrator"));
  }
  Requested r;
  auto grants = strings_member(doc, "grant_types");
  auto uris = strings_member(doc, "redirect_uris");
  auto responses = strings_member(doc, "response_types");
  auto method = string_member(doc, "token_endpoint_auth_method");
  auto name = string_member(doc, "client_name");
  auto scope = string_member(doc, "scope");
  for (const RegistrationError* e :
       {grants ? nullptr : &grants.error(), uris ? nullptr : &uris.error(),
        responses ? nullptr : &responses.error(), method ? nullptr : &method.error(),
        name ? nullptr : &name.error(), scope ? nullptr : &scope.error()}) {
    if (e != nullptr) return std::unexpected(*e);
  }
  r.grants = grants->value_or(std::vector<std::string>{"authorization_code"});
  std::sort(r.grants.begin(), r.grants.end());
  r.grants.erase(std::unique(r.grants.begin(), r.grants.end()), r.grants.end());
  r.redirect_uris = uris->value_or(std::vector<std::string>{});
  r.auth_method = method->value_or(std::string(auth_method));
  r.name = name->value_or("");
  if (r.auth_method != "none" && r.auth_method != "client_secret_basic" &&
      r.auth_method != "client_secret_post") {
    return std::unexpected(
        bad_metadata("token_endpoint_auth_method must be none, "
                     "client_secret_basic or client_secret_post"));
  }
  const bool code =
      std::find(r.grants.begin(), r.grants.end(), "authorization_code") != r.grants.end();
  const auto types =
      responses->value_or(code ? std::vector<std::string>{"code"} : std::vector<std::string>{});
  if (types != (code ? std::vector<std::string>{"code"} : std::vector<std::string>{})) {
    return std::unexpected(
        bad_metadata("response_types must be [\"code\"] with the "
                     "authorization_code grant, and empty without it"));
  }
  if (r.name.size() > kMaxNameBytes || core::has_control_character(r.name)) {
    return std::unexpected(
        bad_metadata("client_name is at most 200 bytes without control "
                     "characters"));
  }
  if (auto ok = check_grants(r); !ok) return std::unexpected(ok.error());
  if (auto ok = check_redirect_uris(r); !ok) return std::unexpected(ok.error());
  auto scopes = check_scope(*scope, policy);
  if (!scopes) return std::unexpected(scopes.error());
  r.scopes = std::move(*scopes);
  return r;
}

// RFC 7592 section 2.2: the request names the client, may repeat its secret (which must then
// match) and must not carry what only the server sets.
std::optional<RegistrationError> check_update_request(const json::object& doc,
                                                      const store::ClientRecord& client,
                                                      const ClientRegistrar& registrar) {
  const json::value* id = doc.if_contains("client_id");
  if (id == nullptr || !id->is_string() || id->get_string() != client.id) {
    return RegistrationError{400, "invalid_request", "client_id must be the client's own"};
  }
  for (const std::string_view name : {"registration_access_token", "registration_client_uri",
                                      "client_secret_expires_at", "client_id_issued_at"}) {
    if (doc.contains(name)) {
      return RegistrationError{400, "invalid_request",
                               "the request must not include " + std::string(name)};
    }
  }
  if (const json::value* secret = doc.if_contains("client_secret")) {
    if (!secret->is_string() || !client.secret_hash ||
        !registrar.secret_matches(client, secret->get_string())) {
      return RegistrationError{400, "invalid_request",
                               "client_secret does not match the client's secret"};
    }
  }
  return std::nullopt;
}

}  // namespace

std::expected<std::string, std::string> create_initial_access_token(
    store::RegistrationTokenStore& store, const core::Clock& clock, core::Random& random,
    std::chrono::seconds lifetime, std::int64_t max_uses) {
  std::string token = core::random_token(random, kTokenBytes);
  const store::InitialAccessToken record{.token_hash = token_hash(token),
                                         .expires_at = clock.now() + lifetime,
                                         .max_uses = max_uses,
                                         .uses = 0};
  if (!store.add_initial_token(record)) return std::unexpected("the database is unavailable");
  core::audit("initial_access_token_created",
              {{"expires_in", lifetime.count()}, {"max_uses", max_uses}});
  return token;
}

std::expected<json::object, RegistrationError> Registrations::register_client(
    std::string_view body, std::optional<std::string_view> bearer, std::string_view remote) const {
  const core::TimePoint now = clock_.now();
  const std::string key = "register:" + std::string(remote);
  auto locked = store_.throttles().locked_until(key, key, now);
  if (!locked) return std::unexpected(unavailable_error());
  if (*locked) {
    return std::unexpected(
        RegistrationError{429, "temporarily_unavailable", "too many registrations; try later"});
  }
  if (policy_.mode == RegistrationMode::kToken) {
    if (!bearer) return std::unexpected(bad_token("an initial access token is required"));
    auto used = store_.registration_tokens().use_initial_token(token_hash(*bearer), now);
    if (!used) return std::unexpected(unavailable_error());
    if (!*used) return std::unexpected(bad_token("the initial access token is not valid"));
  }
  // Every attempt that got this far counts against the address.
  static_cast<void>(store_.throttles().record_failure(key, now, kRegistrationThrottle));
  auto parsed = core::parse_strict_json(body);
  if (!parsed || !parsed->is_object()) {
    return std::unexpected(bad_metadata("the body must be a JSON object"));
  }
  auto requested = read_metadata(parsed->get_object(), policy_, "client_secret_basic");
  if (!requested) return std::unexpected(requested.error());

  const std::string access_token = core::random_token(random_, kTokenBytes);
  const ClientToRegister client{.id = "reg-" + core::random_token(random_, 12),
                                .is_public = requested->auth_method == "none",
                                .grants = requested->grants,
                                .scopes = requested->scopes,
                                .redirect_uris = requested->redirect_uris,
                                .resources = policy_.resources,
                                .name = requested->name,
                                .auth_method = requested->auth_method,
                                .registration_token_hash = token_hash(access_token)};
  auto secret = registrar_.add(client);
  if (!secret) return std::unexpected(bad_metadata(secret.error()));
  core::audit("client_registered", {{"client_id", client.id}, {"remote", remote}});

  auto record = store_.clients().find_client(client.id);
  if (!record || !*record) return std::unexpected(unavailable_error());
  json::object answer = metadata_of(**record);
  if (*secret) {
    answer["client_secret"] = **secret;
    answer["client_secret_expires_at"] = 0;  // section 3.2.1: it does not expire
  }
  answer["registration_access_token"] = access_token;
  return answer;
}

json::object Registrations::metadata_of(const store::ClientRecord& client) const {
  json::object out;
  out["client_id"] = client.id;
  out["client_id_issued_at"] = core::unix_seconds(client.created_at);
  out["registration_client_uri"] = issuer_ + "/register/" + client.id;
  out["grant_types"] = to_array(client.grants);
  const bool code = std::find(client.grants.begin(), client.grants.end(), "authorization_code") !=
                    client.grants.end();
  out["response_types"] = code ? json::array{"code"} : json::array{};
  out["redirect_uris"] = to_array(client.redirect_uris);
  out["token_endpoint_auth_method"] = client.auth_method;
  if (!client.display_name.empty()) out["client_name"] = client.display_name;
  if (!client.scopes.empty()) out["scope"] = format_scope(client.scopes);
  return out;
}

std::expected<store::ClientRecord, RegistrationError> Registrations::authorized_client(
    std::string_view client_id, std::optional<std::string_view> bearer) const {
  if (!bearer) return std::unexpected(bad_token("the registration access token is required"));
  auto found = store_.clients().find_client(client_id);
  if (!found) return std::unexpected(unavailable_error());
  // RFC 7592 section 2: an unknown client and a wrong token are answered alike.
  const std::string presented = token_hash(*bearer);
  if (!*found || (*found)->registration_token_hash.empty() ||
      !password::constant_time_equals(presented, (*found)->registration_token_hash)) {
    return std::unexpected(bad_token("the registration access token is not valid"));
  }
  return std::move(**found);
}

std::expected<json::object, RegistrationError> Registrations::read(
    std::string_view client_id, std::optional<std::string_view> bearer) const {
  auto client = authorized_client(client_id, bearer);
  if (!client) return std::unexpected(client.error());
  json::object answer = metadata_of(*client);
  answer["registration_access_token"] = *bearer;  // RFC 7592 section 3: it stays valid
  return answer;
}

std::expected<json::object, RegistrationError> Registrations::update(
    std::string_view client_id, std::optional<std::string_view> bearer,
    std::string_view body) const {
  auto client = authorized_client(client_id, bearer);
  if (!client) return std::unexpected(client.error());
  auto parsed = core::parse_strict_json(body);
  if (!parsed || !parsed->is_object()) {
    return std::unexpected(bad_metadata("the body must be a JSON object"));
  }
  const json::object& doc = parsed->get_object();
  if (auto bad = check_update_request(doc, *client, registrar_)) return std::unexpected(*bad);
  auto requested = read_metadata(doc, policy_, client->auth_method);
  if (!requested) return std::unexpected(requested.error());
  if (requested->auth_method != client->auth_method) {
    return std::unexpected(bad_metadata("token_endpoint_auth_method cannot change"));
  }
  client->grants = std::move(requested->grants);
  client->scopes = std::move(requested->scopes);
  client->redirect_uris = std::move(requested->redirect_uris);
  client->display_name = std::move(requested->name);
  auto updated = store_.clients().update_registered_client(*client);
  if (!updated) return std::unexpected(unavailable_error());
  if (!*updated) return std::unexpected(bad_token("the registration access token is not valid"));
  core::audit("client_registration_updated", {{"client_id", client->id}});
  json::object answer = metadata_of(*client);
  answer["registration_access_token"] = *bearer;
  return answer;
}

std::expected<void, RegistrationError> Registrations::remove(
    std::string_view client_id, std::optional<std::string_view> bearer) const {
  auto client = authorized_client(client_id, bearer);
  if (!client) return std::unexpected(client.error());
  if (auto removed = registrar_.remove(client->id); !removed) {
    return std::unexpected(unavailable_error());
  }
  core::audit("client_unregistered", {{"client_id", client->id}});
  return {};
}

}  // namespace tessera::oauth
