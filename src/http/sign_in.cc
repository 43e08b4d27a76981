#include "http/sign_in.h"

#include <cctype>

#include "core/random.h"
#include "http/form.h"
#include "http/pages.h"
#include "http/response.h"
#include "oauth/id_tokens.h"
#include "oauth/limits.h"
#include "oauth/redirect_uri.h"
#include "password/password_hasher.h"

namespace tessera::http {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using asio::awaitable;
using oauth::ErrorCode;
using oauth::NextStep;

// Fields of the pages' own, never part of the authorization request they carry.
constexpr std::string_view kOwnFields[] = {"username", "password", "csrf", "decision", "logout"};

// client_id, post_logout_redirect_uri and state at /logout; the id_token_hint is bounded by
// jose::kMaxTokenBytes.
constexpr std::size_t kMaxLogoutFieldBytes = 4096;

bool is_own_field(std::string_view name) {
  return std::find(std::begin(kOwnFields), std::end(kOwnFields), name) != std::end(kOwnFields);
}

// The authorization request's parameters among a form's fields.
FormPairs request_fields(const FormPairs& pairs) {
  FormPairs out;
  for (const auto& pair : pairs) {
    if (!is_own_field(pair.first) && !pair.second.empty()) out.push_back(pair);
  }
  return out;
}

class SignInEndpoints {
 public:
  explicit SignInEndpoints(const SignInServices& services)
      : s_(services),
        pages_(services.templates, services.random, services.authorization.issuer()) {}

  // GET and POST /authorize (RFC 6749 section 4.1.1, OpenID Connect Core section 3.1.2.1).
  awaitable<Response> authorize(const Request& req, const RequestContext&) const {
    auto pairs = read_params(req);
    if (!pairs) co_return std::move(pairs.error());
    const Cookies cookies = read_cookies(req);
    auto result = co_await s_.blocking_pool.run(
        [&] { return continue_request(req, *pairs, cookies, oauth::Interaction{}); });
    if (!result) co_return pages_.busy_page();
    co_return std::move(*result);
  }

  // POST /login: the login form.
  awaitable<Response> login(const Request& req, const RequestContext& ctx) const {
    auto pairs = read_params(req);
    if (!pairs) co_return std::move(pairs.error());
    const Cookies cookies = read_cookies(req);
    if (!pages_.csrf_matches(*pairs, cookies)) co_return pages_.csrf_refused();
    const std::string username = field(*pairs, "username");
    const std::string password = field(*pairs, "password");
    if (username.empty() || password.empty() || username.size() > oauth::kMaxUserNameBytes ||
        password.size() > password::kMaxPasswordBytes) {
      co_return pages_.error_page(Status::bad_request, "Sign-in failed",
                                  "Enter a username and a password.", "invalid_request");
    }
    auto result = co_await s_.credential_pool.run([&] {
      const FormPairs fields = request_fields(*pairs);
      auto validated = s_.authorization.validate(oauth::Parameters(fields));
      if (!validated) return refuse_request(validated.error(), req);
      auto started = s_.sign_in.log_in(username, password, ctx.remote_address);
      if (!started) return login_failed(*validated, *pairs, cookies, started.error());
      Response res = take_next_step(req, *validated, fields, cookies, started->session,
                                    {.logged_in_now = true});
      res.insert(bhttp::field::set_cookie, pages_.session_cookie(started->cookie));
      return res;
    });
    if (!result) co_return pages_.busy_page();
    co_return std::move(*result);
  }

  // POST /consent: the consent form's answer.
  awaitable<Response> consent(const Request& req, const RequestContext&) const {
    auto pairs = read_params(req);
    if (!pairs) co_return std::move(pairs.error());
    const Cookies cookies = read_cookies(req);
    if (!pages_.csrf_matches(*pairs, cookies)) co_return pages_.csrf_refused();
    const std::string decision = field(*pairs, "decision");
    if (decision != "allow" && decision != "deny") {
      co_return pages_.error_page(Status::bad_request, "Something went wrong",
                                  "The answer must be allow or deny.", "invalid_request");
    }
    auto result = co_await s_.blocking_pool.run([&] {
      if (decision == "allow") {
        return continue_request(req, *pairs, cookies, {.consented_now = true});
      }
      return deny(req, *pairs, cookies);
    });
    if (!result) co_return pages_.busy_page();
    co_return std::move(*result);
  }

  // GET and POST /logout (OpenID Connect RP-Initiated Logout 1.0): asks the user to confirm,
  // then ends the browser's session.
  awaitable<Response> logout(const Request& req, const RequestContext&) const {
    auto pairs = read_params(req);
    if (!pairs) co_return std::move(pairs.error());
    const Cookies cookies = read_cookies(req);
    const bool confirmed = req.method() == bhttp::verb::post && field(*pairs, "logout") == "yes";
    if (confirmed && !pages_.csrf_matches(*pairs, cookies)) co_return pages_.csrf_refused();
    auto result = co_await s_.blocking_pool.run(
        [&] { return confirmed ? end_session(*pairs, cookies) : confirm_logout(*pairs, cookies); });
    if (!result) co_return pages_.busy_page();
    co_return std::move(*result);
  }

 private:
  // Validates the request the fields carry and takes the next step. Blocking.
  Response continue_request(const Request& req, const FormPairs& pairs, const Cookies& cookies,
                            oauth::Interaction interaction) const {
    const FormPairs fields = request_fields(pairs);
    auto validated = s_.authorization.validate(oauth::Parameters(fields));
    if (!validated) return refuse_request(validated.error(), req);
    auto session = s_.sign_in.session(cookies.session);
    if (!session) return pages_.unavailable_page();
    return take_next_step(req, *validated, fields, cookies, *session, interaction);
  }

  // The login, consent or redirect that comes next for a request already validated.
  Response take_next_step(const Request& req, const oauth::AuthorizationRequest& validated,
                          const FormPairs& fields, const Cookies& cookies,
                          const std::optional<store::BrowserSession>& session,
                          oauth::Interaction interaction) const {
    auto next = s_.sign_in.next(validated, session, interaction);
    if (!next) return pages_.unavailable_page();
    switch (next->kind) {
      case NextStep::Kind::kRedirect: return Pages::redirect(req, next->location);
      case NextStep::Kind::kLogin:
        return login_page(Status::ok, validated, fields, cookies, validated.login_hint, "");
      case NextStep::Kind::kConsent: return consent_page(validated, *next, fields, cookies);
    }
    return pages_.unavailable_page();
  }

  Response deny(const Request& req, const FormPairs& pairs, const Cookies& cookies) const {
    auto validated = s_.authorization.validate(oauth::Parameters(request_fields(pairs)));
    if (!validated) return refuse_request(validated.error(), req);
    auto session = s_.sign_in.session(cookies.session);
    if (!session) return pages_.unavailable_page();
    s_.sign_in.denied(*validated, *session ? (*session)->subject : std::string());
    return Pages::redirect(
        req, s_.authorization.error_location(*validated,
                                             {ErrorCode::kAccessDenied, "the user denied access"}));
  }

  Response login_failed(const oauth::AuthorizationRequest& request, const FormPairs& pairs,
                        const Cookies& cookies, const oauth::OAuthError& error) const {
    if (error.code == ErrorCode::kTooManyAttempts) {
      return pages_.too_many_page("Too many failed sign-ins. Wait a while and try again.",
                                  error.retry_after);
    }
    if (error.code != ErrorCode::kInvalidGrant) return pages_.unavailable_page();
    return login_page(Status::unauthorized, request, request_fields(pairs), cookies,
                      field(pairs, "username"), "The username or password is not right.");
  }

  // A request whose client or redirect URI is at fault gets a page, never a redirect.
  Response refuse_request(const oauth::AuthorizationFailure& failure, const Request& req) const {
    if (!failure.redirect_uri.empty()) {
      return Pages::redirect(req, s_.authorization.error_location(failure));
    }
    if (failure.error.code == ErrorCode::kTemporarilyUnavailable) return pages_.unavailable_page();
    std::string message = failure.error.description;
    if (!message.empty()) message.front() = static_cast<char>(std::toupper(message.front()));
    return pages_.error_page(Status::bad_request, "This sign-in link is not valid", message + ".",
                             oauth::error_name(failure.error.code));
  }

  Response login_page(Status status, const oauth::AuthorizationRequest& request,
                      const FormPairs& fields, const Cookies& cookies, std::string_view username,
                      std::string_view error) const {
    TemplateContext context;
    context.set("title", "Sign in")
        .set("client_name", request.client_name)
        .set("username", std::string(username))
        .set("error", std::string(error))
        .set("action", "login");
    return pages_.form_page(status, "login", std::move(context), fields, cookies);
  }

  Response consent_page(const oauth::AuthorizationRequest& request, const NextStep& next,
                        const FormPairs& fields, const Cookies& cookies) const {
    TemplateContext context;
    context.set("title", "Allow access")
        .set("client_name", request.client_name)
        .set("username", next.username)
        .set("action", "consent");
    context.lists["scopes"] = scope_items(next.scope);
    return pages_.form_page(Status::ok, "consent", std::move(context), fields, cookies);
  }

  // The logout request's own fields (RP-Initiated Logout 1.0 section 2): an id_token_hint names
  // the client when client_id is absent, and must agree with it when both are sent.
  struct LogoutRequest {
    std::string client_id;
    std::string post_logout_redirect_uri;
    std::string state;
    std::string id_token_hint;
  };

  std::expected<LogoutRequest, Response> read_logout(const FormPairs& pairs) const {
    LogoutRequest out{.client_id = field(pairs, "client_id"),
                      .post_logout_redirect_uri = field(pairs, "post_logout_redirect_uri"),
                      .state = field(pairs, "state"),
                      .id_token_hint = field(pairs, "id_token_hint")};
    for (const std::string* value : {&out.client_id, &out.post_logout_redirect_uri, &out.state}) {
      if (value->size() > kMaxLogoutFieldBytes) return std::unexpected(bad_logout("too long"));
    }
    if (out.id_token_hint.empty()) return out;
    auto hint = s_.id_tokens.read_hint(out.id_token_hint);
    if (!hint) return std::unexpected(bad_logout(hint.error().description));
    if (!out.client_id.empty() && out.client_id != hint->client_id) {
      return std::unexpected(bad_logout("the client_id is not the id_token_hint's audience"));
    }
    out.client_id = hint->client_id;
    return out;
  }

  Response bad_logout(std::string_view reason) const {
    std::string message = "The sign-out link is not valid: " + std::string(reason) + ".";
    return pages_.error_page(Status::bad_request, "This sign-out link is not valid",
                             std::move(message), "invalid_request");
  }

  Response confirm_logout(const FormPairs& pairs, const Cookies& cookies) const {
    auto request = read_logout(pairs);
    if (!request) return std::move(request.error());
    TemplateContext context;
    context.set("title", "Sign out").set("action", "logout");
    auto session = s_.sign_in.session(cookies.session);
    if (!session) return pages_.unavailable_page();
    if (*session) context.set("username", (*session)->subject);
    FormPairs fields;
    const std::pair<std::string_view, const std::string*> carried[] = {
        {"client_id", &request->client_id},
        {"post_logout_redirect_uri", &request->post_logout_redirect_uri},
        {"state", &request->state},
        {"id_token_hint", &request->id_token_hint}};
    for (const auto& [name, value] : carried) {
      if (!value->empty()) fields.emplace_back(std::string(name), *value);
    }
    return pages_.form_page(Status::ok, "logout", std::move(context), fields, cookies);
  }

  Response end_session(const FormPairs& pairs, const Cookies& cookies) const {
    auto request = read_logout(pairs);
    if (!request) return std::move(request.error());
    if (!s_.sign_in.log_out(cookies.session)) return pages_.unavailable_page();
    Response res = post_logout(*request);
    res.insert(bhttp::field::set_cookie, pages_.session_cookie(""));
    return res;
  }

  // Back to the client when it registered the URI it asked for; else the signed-out page.
  Response post_logout(const LogoutRequest& request) const {
    const std::string& uri = request.post_logout_redirect_uri;
    if (!request.client_id.empty() && !uri.empty()) {
      auto client = s_.clients.find_client(request.client_id);
      if (client && *client) {
        const auto& registered = (*client)->post_logout_redirect_uris;
        if (std::find(registered.begin(), registered.end(), uri) != registered.end()) {
          Response res{Status::see_other, 11};
          res.set(bhttp::field::location,
                  request.state.empty() ? uri
                                        : oauth::with_parameters(uri, {{"state", request.state}}));
          res.set(bhttp::field::cache_control, "no-store");
          res.prepare_payload();
          return res;
        }
      }
    }
    TemplateContext context;
    context.set("title", "Signed out");
    return pages_.html_page(Status::ok, "signed_out", std::move(context));
  }

  SignInServices s_;
  Pages pages_;
};

}  // namespace

void register_sign_in_routes(Router& router, const SignInServices& services) {
  auto endpoints = std::make_shared<const SignInEndpoints>(services);
  const auto bind = [&endpoints](auto method) { return bind_endpoint(endpoints, method); };
  router.add(bhttp::verb::get, "/authorize", bind(&SignInEndpoints::authorize));
  router.add(bhttp::verb::post, "/authorize", bind(&SignInEndpoints::authorize));
  router.add(bhttp::verb::post, "/login", bind(&SignInEndpoints::login));
  router.add(bhttp::verb::post, "/consent", bind(&SignInEndpoints::consent));
  router.add(bhttp::verb::get, "/logout", bind(&SignInEndpoints::logout));
  router.add(bhttp::verb::post, "/logout", bind(&SignInEndpoints::logout));
}

}  // namespace tessera::http
