#include "http/device.h"

#include "http/pages.h"
#include "oauth/limits.h"
#include "password/password_hasher.h"

namespace tessera::http {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using oauth::ErrorCode;

// The most of the code field shown back on the page.
constexpr std::size_t kMaxShownCodeChars = 32;

// What a POST /device carries besides the anti-CSRF token.
struct DeviceForm {
  std::string user_code;
  std::string username;
  std::string password;
  std::string decision;  // "allow", "deny", or empty: not answered yet
  bool logs_in() const { return !username.empty() || !password.empty(); }
};

class DeviceEndpoints {
 public:
  explicit DeviceEndpoints(const DeviceServices& services)
      : s_(services), pages_(services.templates, services.random, services.issuer) {}

  // GET /device: the code form, filled in from verification_uri_complete.
  awaitable<Response> show(const Request& req, const RequestContext&) const {
    auto pairs = read_params(req);
    if (!pairs) co_return std::move(pairs.error());
    std::string typed = field(*pairs, "user_code");
    if (typed.size() > kMaxShownCodeChars) typed.clear();
    co_return code_page(Status::ok, typed, "", read_cookies(req));
  }

  // POST /device: the code, then the login, then the consent.
  awaitable<Response> answer(const Request& req, const RequestContext& ctx) const {
    auto pairs = read_params(req);
    if (!pairs) co_return std::move(pairs.error());
    const Cookies cookies = read_cookies(req);
    if (!pages_.csrf_matches(*pairs, cookies)) co_return pages_.csrf_refused();
    const DeviceForm form{.user_code = field(*pairs, "user_code"),
                          .username = field(*pairs, "username"),
                          .password = field(*pairs, "password"),
                          .decision = field(*pairs, "decision")};
    if (form.logs_in() && (form.username.empty() || form.password.empty() ||
                           form.username.size() > oauth::kMaxUserNameBytes ||
                           form.password.size() > password::kMaxPasswordBytes)) {
      co_return pages_.error_page(Status::bad_request, "Sign-in failed",
                                  "Enter a username and a password.", "invalid_request");
    }
    if (!form.decision.empty() && form.decision != "allow" && form.decision != "deny") {
      co_return pages_.error_page(Status::bad_request, "Something went wrong",
                                  "The answer must be allow or deny.", "invalid_request");
    }
    WorkerPool& pool = form.logs_in() ? s_.credential_pool : s_.blocking_pool;
    auto result = co_await pool.run(
        [&] { return take_step(form, cookies, std::string(ctx.remote_address)); });
    if (!result) co_return pages_.busy_page();
    co_return std::move(*result);
  }

 private:
  // Blocking: the store, and the password hash when the login form was sent.
  Response take_step(const DeviceForm& form, const Cookies& cookies,
                     const std::string& remote) const {
    auto pending = s_.devices.find(form.user_code, remote);
    if (!pending) return wrong_code(pending.error(), form.user_code, cookies);
    if (form.logs_in()) {
      auto started = s_.sign_in.log_in(form.username, form.password, remote);
      if (!started) return login_failed(started.error(), *pending, form.username, cookies);
      Response res = consent_page(*pending, started->session, cookies);
      res.insert(boost::beast::http::field::set_cookie, pages_.session_cookie(started->cookie));
      return res;
    }
    auto session = s_.sign_in.session(cookies.session);
    if (!session) return pages_.unavailable_page();
    if (!*session) return login_page(Status::ok, *pending, "", "", cookies);
    if (form.decision.empty()) return consent_page(*pending, **session, cookies);
    const bool approved = form.decision == "allow";
    if (auto decided = s_.devices.decide(*pending, approved, **session); !decided) {
      return wrong_code(decided.error(), form.user_code, cookies);
    }
    return done_page(*pending, approved, (*session)->subject);
  }

  Response wrong_code(const oauth::OAuthError& error, std::string_view typed,
                      const Cookies& cookies) const {
    if (error.code == ErrorCode::kTooManyAttempts) {
      return pages_.too_many_page("Too many wrong codes. Wait a while and try again.",
                                  error.retry_after);
    }
    if (error.code != ErrorCode::kInvalidGrant) return pages_.unavailable_page();
    return code_page(Status::bad_request,
                     typed.size() > kMaxShownCodeChars ? std::string_view() : typed,
                     "The code is not right, or it has expired. Check the code your device "
                     "shows, or start again on the device.",
                     cookies);
  }

  Response login_failed(const oauth::OAuthError& error, const oauth::PendingDevice& pending,
                        std::string_view username, const Cookies& cookies) const {
    if (error.code == ErrorCode::kTooManyAttempts) {
      return pages_.too_many_page("Too many failed sign-ins. Wait a while and try again.",
                                  error.retry_after);
    }
    if (error.code != ErrorCode::kInvalidGrant) return pages_.unavailable_page();
    return login_page(Status::unauthorized, pending, username,
                      "The username or password is not right.", cookies);
  }

  Response code_page(Status status, std::string_view typed, std::string_view error,
                     const Cookies& cookies) const {
    TemplateContext context;
    context.set("title", "Connect a device")
        .set("user_code", std::string(typed))
        .set("error", std::string(error))
        .set("action", "device");
    return pages_.form_page(status, "device", std::move(context), {}, cookies);
  }

  Response login_page(Status status, const oauth::PendingDevice& pending, std::string_view username,
                      std::string_view error, const Cookies& cookies) const {
    TemplateContext context;
    context.set("title", "Sign in")
        .set("client_name", pending.client_name)
        .set("username", std::string(username))
        .set("error", std::string(error))
        .set("action", "device");
    return pages_.form_page(status, "login", std::move(context), carried(pending), cookies);
  }

  Response consent_page(const oauth::PendingDevice& pending, const store::BrowserSession& session,
                        const Cookies& cookies) const {
    TemplateContext context;
    context.set("title", "Allow access")
        .set("client_name", pending.client_name)
        .set("username", session.subject)
        .set("user_code", pending.user_code)
        .set("action", "device");
    context.lists["scopes"] = scope_items(pending.scope);
    return pages_.form_page(Status::ok, "consent", std::move(context), carried(pending), cookies);
  }

  Response done_page(const oauth::PendingDevice& pending, bool approved,
                     const std::string& username) const {
    TemplateContext context;
    const std::string heading = approved ? "Device connected" : "Access denied";
    context.set("title", heading)
        .set("heading", heading)
        .set("message", approved ? pending.client_name + " is now signed in to your account."
                                 : pending.client_name + " was not given access.")
        .set("username", username);
    return pages_.html_page(Status::ok, "device_done", std::move(context));
  }

  static FormPairs carried(const oauth::PendingDevice& pending) {
    return {{"user_code", pending.user_code}};
  }

  DeviceServices s_;
  Pages pages_;
};

}  // namespace

void register_device_routes(Router& router, const DeviceServices& services) {
  auto endpoints = std::make_shared<const DeviceEndpoints>(services);
  const auto bind = [&endpoints](auto method) { return bind_endpoint(endpoints, method); };
  router.add(boost::beast::http::verb::get, "/device", bind(&DeviceEndpoints::show));
  router.add(boost::beast::http::verb::post, "/device", bind(&DeviceEndpoints::answer));
}

}  // namespace tessera::http
