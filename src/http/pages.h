// What every browser page of Tessera shares (docs/reference.md, Browser sign-in): the cookies
// it sets and reads, the request's fields, the anti-CSRF token carried by each form, and the
// headers that keep a page out of frames and caches. The endpoints that serve pages
// (sign_in.h, device.h) decide what comes next; Pages renders it.
//
//   Pages pages(templates, random, "https://auth.example");
//   if (!pages.csrf_matches(fields, read_cookies(req))) return pages.csrf_refused();
//   return pages.form_page(Status::ok, "login", std::move(context), hidden, cookies);
#pragma once

#include <expected>
#include <memory>
#include <string>
#include <string_view>

#include "core/random.h"
#include "http/form.h"
#include "http/message.h"
#include "http/templates.h"
#include "oauth/scope.h"

namespace tessera::http {

inline constexpr std::string_view kSessionCookie = "tessera_session";
inline constexpr std::string_view kCsrfCookie = "tessera_csrf";

// The cookies this server set, from every Cookie header (RFC 6265 section 5.4).
struct Cookies {
  std::string session;
  std::string csrf;
};
Cookies read_cookies(const Request& req);

std::string set_cookie(std::string_view name, std::string_view value, std::string_view same_site,
                       bool secure, bool expire = false);

// The request's parameters: the query of a GET, the form body of a POST.
std::expected<FormPairs, Response> read_params(const Request& req);

// The first value of `name` among `pairs`; empty when absent.
std::string field(const FormPairs& pairs, std::string_view name);

// The consent page's list: who the user is first (openid, profile, email), then what the
// client may do.
std::vector<TemplateContext> scope_items(const oauth::ScopeSet& scope);

class Pages {
 public:
  // The pages name the issuer's host; cookies get the Secure attribute when it is https.
  Pages(std::shared_ptr<const Templates> templates, core::Random& random, std::string_view issuer);

  // Every HTML page, with the headers that keep it out of frames and caches.
  Response html_page(Status status, std::string_view page, TemplateContext context) const;
  // A page with a form: the fields it carries and this browser's anti-CSRF token.
  Response form_page(Status status, std::string_view page, TemplateContext context,
                     const FormPairs& fields, const Cookies& cookies) const;
  Response error_page(Status status, std::string heading, std::string message,
                      std::string_view code) const;
  Response csrf_refused() const;
  Response unavailable_page() const;
  // unavailable_page() with Retry-After: the worker pools are full.
  Response busy_page() const;
  // A 429 page with Retry-After, for throttled credentials and codes.
  Response too_many_page(std::string message, std::optional<std::chrono::seconds> wait) const;

  // Whether the form's anti-CSRF field is this browser's cookie, in constant time.
  bool csrf_matches(const FormPairs& pairs, const Cookies& cookies) const;
  // Set-Cookie for the browser session (SameSite=Lax); an empty value expires it.
  std::string session_cookie(std::string_view value) const;

  // 302 for a GET, 303 for a POST (RFC 9110 section 15.4.4: the browser follows with a GET).
  static Response redirect(const Request& req, const std::string& location);

 private:
  static constexpr std::size_t kTokenChars = 43;  // base64url of 32 random bytes

  std::shared_ptr<const Templates> templates_;
  core::Random& random_;
  std::string issuer_name_;
  bool secure_cookies_;
};

}  // namespace tessera::http
