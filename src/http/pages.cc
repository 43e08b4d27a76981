#include "http/pages.h"

#include <boost/url/parse.hpp>

#include "http/response.h"
#include "oauth/authorization.h"
#include "password/password_hasher.h"

namespace tessera::http {
namespace {

namespace bhttp = boost::beast::http;

constexpr std::string_view kCsrfField = "csrf";

std::string scope_description(std::string_view scope) {
  if (scope == "openid") return "Know who you are (your username)";
  if (scope == "profile") return "See your name";
  if (scope == "email") return "See your email address";
  return "Use your account with the permission";
}

std::string host_of(std::string_view issuer) {
  auto url = boost::urls::parse_absolute_uri(issuer);
  return url ? std::string(url->encoded_host_and_port()) : std::string(issuer);
}

}  // namespace

Pages::Pages(std::shared_ptr<const Templates> templates, core::Random& random,
             std::string_view issuer)
    : templates_(std::move(templates)),
      random_(random),
      issuer_name_(host_of(issuer)),
      secure_cookies_(issuer.starts_with("https:")) {}

Cookies read_cookies(const Request& req) {
  Cookies out;
  const auto [first, last] = req.equal_range(bhttp::field::cookie);
  for (auto it = first; it != last; ++it) {
    std::string_view rest = it->value();
    while (!rest.empty()) {
      const auto semi = rest.find(';');
      std::string_view pair = rest.substr(0, semi);
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      const auto eq = pair.find('=');
      if (eq == std::string_view::npos) continue;
      const std::string_view name = pair.substr(0, eq);
      const std::string_view value = pair.substr(eq + 1);
      if (name == kSessionCookie) out.session = std::string(value);
      if (name == kCsrfCookie) out.csrf = std::string(value);
    }
  }
  return out;
}

std::string set_cookie(std::string_view name, std::string_view value, std::string_view same_site,
                       bool secure, bool expire) {
  std::string cookie = std::string(name) + "=" + std::string(value) +
                       "; Path=/; HttpOnly; SameSite=" + std::string(same_site);
  if (secure) cookie += "; Secure";
  if (expire) cookie += "; Max-Age=0";
  return cookie;
}

std::expected<FormPairs, Response> read_params(const Request& req) {
  std::string_view text;
  if (req.method() == bhttp::verb::post) {
    if (!has_media_type(req, "application/x-www-form-urlencoded")) {
      return std::unexpected(
          error_response(Status::unsupported_media_type, "invalid_request",
                         "Content-Type must be application/x-www-form-urlencoded"));
    }
    text = req.body();
  } else {
    const std::string_view target = req.target();
    const auto question = target.find('?');
    if (question != std::string_view::npos) text = target.substr(question + 1);
  }
  auto pairs = parse_form(text);
  if (!pairs) {
    return std::unexpected(
        error_response(Status::bad_request, "invalid_request", to_string(pairs.error())));
  }
  return std::move(*pairs);
}

std::string field(const FormPairs& pairs, std::string_view name) {
  for (const auto& [key, value] : pairs) {
    if (key == name) return value;
  }
  return {};
}

std::vector<TemplateContext> scope_items(const oauth::ScopeSet& scope) {
  std::vector<std::string> ordered;
  for (const std::string_view identity : oauth::kIdentityScopes) {
    if (oauth::contains(scope, identity)) ordered.emplace_back(identity);
  }
  for (const std::string& s : scope) {
    if (!oauth::is_identity_scope(s)) ordered.push_back(s);
  }
  std::vector<TemplateContext> items;
  for (const std::string& s : ordered) {
    TemplateContext item;
    item.set("description", scope_description(s));
    if (!oauth::is_identity_scope(s)) item.set("name", s);
    items.push_back(std::move(item));
  }
  if (items.empty()) {
    TemplateContext item;
    item.set("description", "Sign you in");
    items.push_back(std::move(item));
  }
  return items;
}

Response Pages::html_page(Status status, std::string_view page, TemplateContext context) const {
  const std::string nonce = core::random_token(random_, 16);
  context.set("style_nonce", nonce).set("issuer_name", issuer_name_);
  Response res{status, 11};
  res.set(bhttp::field::content_type, "text/html; charset=utf-8");
  res.set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-" + nonce +
                                         "'; img-src 'self' data:; base-uri 'none'; "
                                         "frame-ancestors 'none'");
  res.set("X-Frame-Options", "DENY");
  res.set(bhttp::field::cache_control, "no-store");
  res.set(bhttp::field::pragma, "no-cache");
  res.set("Referrer-Policy", "no-referrer");
  res.set("X-Content-Type-Options", "nosniff");
  res.body() = templates_->render(page, context);
  res.prepare_payload();
  return res;
}

Response Pages::form_page(Status status, std::string_view page, TemplateContext context,
                          const FormPairs& fields, const Cookies& cookies) const {
  const bool new_csrf = cookies.csrf.size() != kTokenChars;
  const std::string csrf = new_csrf ? core::random_token(random_, 32) : cookies.csrf;
  auto& hidden = context.lists["hidden"];
  for (const auto& [name, value] : fields) {
    TemplateContext item;
    item.set("name", name).set("value", value);
    hidden.push_back(std::move(item));
  }
  TemplateContext token;
  token.set("name", std::string(kCsrfField)).set("value", csrf);
  hidden.push_back(std::move(token));
  Response res = html_page(status, page, std::move(context));
  if (new_csrf) {
    res.insert(bhttp::field::set_cookie, set_cookie(kCsrfCookie, csrf, "Strict", secure_cookies_));
  }
  return res;
}

Response Pages::error_page(Status status, std::string heading, std::string message,
                           std::string_view code) const {
  TemplateContext context;
  context.set("title", heading)
      .set("heading", std::move(heading))
      .set("message", std::move(message))
      .set("code", std::string(code));
  return html_page(status, "error", std::move(context));
}

Response Pages::csrf_refused() const {
  return error_page(Status::forbidden, "This form has expired",
                    "The form was not sent from this browser's sign-in page. Go back to the "
                    "application and start again.",
                    "invalid_request");
}

Response Pages::unavailable_page() const {
  return error_page(Status::service_unavailable, "Try again shortly",
                    "The service is temporarily unavailable.", "temporarily_unavailable");
}

Response Pages::busy_page() const {
  Response res = unavailable_page();
  res.set(bhttp::field::retry_after, "1");
  return res;
}

Response Pages::too_many_page(std::string message, std::optional<std::chrono::seconds> wait) const {
  Response res = error_page(Status::too_many_requests, "Too many attempts", std::move(message),
                            "temporarily_unavailable");
  if (wait) res.set(bhttp::field::retry_after, std::to_string(wait->count()));
  return res;
}

bool Pages::csrf_matches(const FormPairs& pairs, const Cookies& cookies) const {
  const std::string sent = field(pairs, kCsrfField);
  return cookies.csrf.size() == kTokenChars && password::constant_time_equals(sent, cookies.csrf);
}

std::string Pages::session_cookie(std::string_view value) const {
  return set_cookie(kSessionCookie, value, "Lax", secure_cookies_, /*expire=*/value.empty());
}

Response Pages::redirect(const Request& req, const std::string& location) {
  Response res{req.method() == bhttp::verb::post ? Status::see_other : Status::found, 11};
  res.set(bhttp::field::location, location);
  res.set(bhttp::field::cache_control, "no-store");
  res.set("Referrer-Policy", "no-referrer");
  res.prepare_payload();
  return res;
}

}  // namespace tessera::http
