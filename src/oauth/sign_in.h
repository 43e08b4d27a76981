// Browser sign-in (OpenID Connect Core section 3.1.2.3 to 3.1.2.5): browser sessions, and
// what comes next for a validated authorization request: the login page, the consent page, or
// the redirect that carries a code (or an error for prompt=none).
//
//   SignIn sign_in(store, authorization, codes, users, clock, random, settings);
//   auto session = sign_in.session(cookie_value);            // std::nullopt: not signed in
//   auto next = sign_in.next(request, session, {});           // login, consent or redirect
//   auto started = sign_in.log_in(username, password, remote); // the login form; sets a cookie
//
// A session's cookie holds 256 random bits; the store keeps only their SHA-256. Sessions end
// when idle for `session_idle`, `session_lifetime` after the login however busy, at sign-out,
// and when the user is disabled, deleted or given a new password. Blocking throughout.
#pragma once

#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/random.h"
#include "oauth/authorization.h"
#include "oauth/authorization_codes.h"
#include "oauth/errors.h"
#include "oauth/user_authenticator.h"
#include "store/store.h"

namespace tessera::oauth {

struct SignInSettings {
  std::chrono::seconds session_idle{30 * 60};        // TESSERA_SESSION_IDLE
  std::chrono::seconds session_lifetime{10 * 3600};  // TESSERA_SESSION_LIFETIME
};

// What the browser did on this request, besides presenting its cookie.
struct Interaction {
  bool logged_in_now = false;  // the login form was just accepted
  bool consented_now = false;  // the consent form was just answered "allow"
};

struct NextStep {
  enum class Kind { kLogin, kConsent, kRedirect };
  Kind kind = Kind::kLogin;
  std::string location = {};  // kRedirect: the client's redirect URI with a code or an error
  ScopeSet scope = {};        // kConsent: what the user is asked to allow
  std::string username = {};
};

class SignIn {
 public:
  SignIn(store::Store& store, const Authorization& authorization, const AuthorizationCodes& codes,
         const UserAuthenticator& users, const core::Clock& clock, core::Random& random,
         SignInSettings settings)
      : store_(store),
        authorization_(authorization),
        codes_(codes),
        users_(users),
        clock_(clock),
        random_(random),
        settings_(settings) {}

  // The live session whose cookie holds `cookie`.
  std::expected<std::optional<store::BrowserSession>, OAuthError> session(
      std::string_view cookie) const;

  struct Started {
    std::string cookie;  // the value for the browser; never stored
    store::BrowserSession session;
  };
  // Checks the password (the password grant's throttle and timing) and starts a session.
  std::expected<Started, OAuthError> log_in(std::string_view username, std::string_view password,
                                            std::string_view remote) const;
  // Ends the session whose cookie holds `cookie`, if there is one.
  std::expected<std::optional<store::BrowserSession>, OAuthError> log_out(
      std::string_view cookie) const;

  std::expected<NextStep, OAuthError> next(const AuthorizationRequest& request,
                                           const std::optional<store::BrowserSession>& session,
                                           Interaction interaction) const;

  // Records a denial for the audit log.
  void denied(const AuthorizationRequest& request, std::string_view subject) const;

  const SignInSettings& settings() const { return settings_; }

 private:
  bool needs_login(const AuthorizationRequest& request,
                   const std::optional<store::BrowserSession>& session,
                   Interaction interaction) const;
  std::expected<bool, OAuthError> needs_consent(const AuthorizationRequest& request,
                                                const std::string& subject, const ScopeSet& scope,
                                                Interaction interaction) const;

  store::Store& store_;
  const Authorization& authorization_;
  const AuthorizationCodes& codes_;
  const UserAuthenticator& users_;
  const core::Clock& clock_;
  core::Random& random_;
  SignInSettings settings_;
};

}  // namespace tessera::oauth
