#include "oauth/sign_in.h"

#include "core/base64.h"
#include "core/log.h"
#include "jose/digest.h"

namespace tessera::oauth {
namespace {

constexpr std::size_t kCookieBytes = 32;
constexpr std::size_t kCookieChars = 43;

std::string cookie_hash(std::string_view cookie) {
  return core::base64url_encode(jose::sha256(cookie));
}

NextStep redirect(std::string location) {
  return NextStep{.kind = NextStep::Kind::kRedirect, .location = std::move(location)};
}

}  // namespace

std::expected<std::optional<store::BrowserSession>, OAuthError> SignIn::session(
    std::string_view cookie) const {
  if (cookie.size() != kCookieChars) return std::optional<store::BrowserSession>();
  auto found =
      store_.sessions().use_session(cookie_hash(cookie), clock_.now(), settings_.session_idle);
  if (!found) return std::unexpected(unavailable());
  return std::move(*found);
}

std::expected<SignIn::Started, OAuthError> SignIn::log_in(std::string_view username,
                                                          std::string_view password,
                                                          std::string_view remote) const {
  auto user = users_.authenticate(username, password, remote);
  if (!user) return std::unexpected(user.error());
  const core::TimePoint now = std::chrono::floor<std::chrono::seconds>(clock_.now());
  Started started{.cookie = core::random_token(random_, kCookieBytes),
                  .session = {.id_hash = {},
                              .sid = core::random_token(random_, 16),
                              .subject = user->name,
                              .auth_time = now,
                              .last_seen = now,
                              .expires_at = now + settings_.session_lifetime}};
  started.session.id_hash = cookie_hash(started.cookie);
  if (!store_.sessions().add_session(started.session)) return std::unexpected(unavailable());
  core::audit("user_signed_in",
              {{"user", user->name}, {"sid", started.session.sid}, {"remote", remote}});
  return started;
}

std::expected<std::optional<store::BrowserSession>, OAuthError> SignIn::log_out(
    std::string_view cookie) const {
  if (cookie.size() != kCookieChars) return std::optional<store::BrowserSession>();
  auto ended = store_.sessions().end_session(cookie_hash(cookie));
  if (!ended) return std::unexpected(unavailable());
  if (*ended) {
    core::audit("user_signed_out", {{"user", (*ended)->subject}, {"sid", (*ended)->sid}});
  }
  return std::move(*ended);
}

bool SignIn::needs_login(const AuthorizationRequest& request,
                         const std::optional<store::BrowserSession>& session,
                         Interaction interaction) const {
  if (!session) return true;
  if (interaction.logged_in_now) return false;
  if (request.prompt_login) return true;
  // OpenID Connect Core section 3.1.2.1: max_age is the most seconds since the login.
  return request.max_age && clock_.now() - session->auth_time > *request.max_age;
}

std::expected<bool, OAuthError> SignIn::needs_consent(const AuthorizationRequest& request,
                                                      const std::string& subject,
                                                      const ScopeSet& scope,
                                                      Interaction interaction) const {
  if (interaction.consented_now) {
    if (!store_.consents().add_consent(subject, request.client.id, scope)) {
      return std::unexpected(unavailable());
    }
    core::audit(
        "consent_given",
        {{"user", subject}, {"client_id", request.client.id}, {"scope", format_scope(scope)}});
    return false;
  }
  if (request.skip_consent) return false;
  if (request.prompt_consent) return true;
  auto given = store_.consents().find_consent(subject, request.client.id);
  if (!given) return std::unexpected(unavailable());
  return !is_subset(scope, *given);
}

std::expected<NextStep, OAuthError> SignIn::next(
    const AuthorizationRequest& request, const std::optional<store::BrowserSession>& session,
    Interaction interaction) const {
  const auto login = [&]() -> NextStep {
    if (request.prompt_none) {
      return redirect(authorization_.error_location(
          request, {ErrorCode::kLoginRequired, "the user is not signed in"}));
    }
    return NextStep{.kind = NextStep::Kind::kLogin};
  };
  if (needs_login(request, session, interaction)) return login();
  auto user = store_.users().find_user(session->subject);
  if (!user) return std::unexpected(unavailable());
  if (!*user || (*user)->disabled) return login();

  const ScopeSet scope = Authorization::granted_for_user(request, (*user)->scopes);
  auto consent = needs_consent(request, session->subject, scope, interaction);
  if (!consent) return std::unexpected(consent.error());
  if (*consent) {
    if (request.prompt_none) {
      return redirect(authorization_.error_location(
          request, {ErrorCode::kConsentRequired, "the user has not allowed this client"}));
    }
    return NextStep{.kind = NextStep::Kind::kConsent, .scope = scope, .username = session->subject};
  }
  // A pushed request is answered once (RFC 9126 section 4).
  if (auto used = authorization_.use_request_uri(request); !used) {
    if (used.error().code == ErrorCode::kTemporarilyUnavailable) {
      return std::unexpected(used.error());
    }
    return redirect(authorization_.error_location(request, used.error()));
  }
  auto code = codes_.issue(
      request, scope,
      {.subject = session->subject, .sid = session->sid, .auth_time = session->auth_time});
  if (!code) return std::unexpected(code.error());
  return redirect(authorization_.code_location(request, *code));
}

void SignIn::denied(const AuthorizationRequest& request, std::string_view subject) const {
  core::audit("consent_denied", {{"user", subject}, {"client_id", request.client.id}});
}

}  // namespace tessera::oauth
