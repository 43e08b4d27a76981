#include "oauth/client_authenticator.h"

#include "core/log.h"

namespace tessera::oauth {
namespace {

OAuthError invalid_client() { return {ErrorCode::kInvalidClient, "client authentication failed"}; }

// client_assertion and client_assertion_type (RFC 7521 section 4.2), which name the client by
// client_id or, without one, by the assertion's own "sub".
std::expected<PresentedClient, OAuthError> read_assertion(const ClientCredentials& basic,
                                                          const Parameters& params) {
  if (basic.method == ClientCredentials::Method::kSecretBasic || params.get("client_secret")) {
    return std::unexpected(invalid_request("use one client authentication method, not two"));
  }
  const auto type = params.get("client_assertion_type");
  const auto assertion = params.get("client_assertion");
  if (!type || !assertion) {
    return std::unexpected(
        invalid_request("client_assertion and client_assertion_type go together"));
  }
  if (*type != kJwtBearerAssertionType) {
    return std::unexpected(
        OAuthError{ErrorCode::kInvalidClient, "the client_assertion_type is not supported"});
  }
  ClientCredentials credentials{.method = ClientCredentials::Method::kAssertion,
                                .id = {},
                                .secret = std::nullopt,
                                .assertion = std::string(*assertion)};
  if (const auto id = params.get("client_id")) {
    credentials.id = *id;
  } else if (auto claimed = ClientAssertions::claimed_client(*assertion)) {
    credentials.id = std::move(*claimed);
  } else {
    return std::unexpected(invalid_client());
  }
  return PresentedClient{.credentials = std::move(credentials), .may_hash = false};
}

// Whether a client registered with `method` may authenticate as `credentials` did; an empty
// method is any of the secret's or none's, as before methods were registered.
bool method_allowed(std::string_view method, const ClientCredentials& credentials) {
  using Method = ClientCredentials::Method;
  if (method == "client_secret_basic") return credentials.method == Method::kSecretBasic;
  if (method == "client_secret_post") return credentials.method == Method::kSecretPost;
  if (method == "private_key_jwt") return credentials.method == Method::kAssertion;
  return credentials.method != Method::kAssertion;
}

}  // namespace

std::expected<PresentedClient, OAuthError> ClientAuthenticator::read(
    const ClientCredentials& basic, const Parameters& params) const {
  using Method = ClientCredentials::Method;
  if (params.get("client_assertion") || params.get("client_assertion_type")) {
    return read_assertion(basic, params);
  }
  ClientCredentials credentials;
  if (basic.method == Method::kSecretBasic) {
    // RFC 6749 section 2.3: a client uses one authentication method per request.
    if (params.get("client_secret")) {
      return std::unexpected(invalid_request("use one client authentication method, not two"));
    }
    // A client_id in the form must name the same client as the header.
    if (const auto id = params.get("client_id"); id && *id != basic.id) {
      return std::unexpected(invalid_request("client_id does not match the Authorization header"));
    }
    credentials = basic;
  } else {
    if (const auto id = params.get("client_id")) credentials.id = *id;
    if (const auto secret = params.get("client_secret")) {
      credentials.method = Method::kSecretPost;
      credentials.secret = std::string(*secret);
    }
  }
  // Libraries (oauthlib among them) send a public client as Basic with an empty password:
  // an empty secret is no secret.
  if (credentials.secret && credentials.secret->empty()) credentials.secret.reset();
  const bool hashes = may_hash(credentials);
  return PresentedClient{.credentials = std::move(credentials), .may_hash = hashes};
}

bool ClientAuthenticator::may_hash(const ClientCredentials& credentials) const {
  // The same rules as authenticate(): a request without a secret is answered without hashing;
  // one with a secret costs a hash whoever it names (a dummy one for an unknown or public
  // client), unless it verified recently.
  if (!credentials.secret || credentials.id.empty()) return false;
  return !cache_.remembers(credentials.id, *credentials.secret, kHashFreeMargin);
}

std::expected<Client, OAuthError> ClientAuthenticator::authenticate_confidential(
    const PresentedClient& presented, std::string_view remote) const {
  auto client = authenticate(presented, remote);
  if (client && client->is_public) return std::unexpected(invalid_client());
  return client;
}

std::expected<Client, OAuthError> ClientAuthenticator::authenticate(
    const PresentedClient& presented, std::string_view remote) const {
  const ClientCredentials& credentials = presented.credentials;
  if (credentials.method == ClientCredentials::Method::kNone && credentials.id.empty()) {
    return default_client();
  }
  if (credentials.id == kDefaultClientId &&
      credentials.method != ClientCredentials::Method::kAssertion) {
    // A public client has no secret; one that sends a secret is not who it claims. The hash
    // a real secret would cost is spent all the same, as for every refusal of a secret
    // below: how long the answer takes must not tell which clients exist or are public.
    if (credentials.secret) {
      hasher_.dummy_verify(*credentials.secret);
      return std::unexpected(invalid_client());
    }
    return default_client();
  }
  // A locked client or address is answered at once, before any hashing.
  const std::string account = "client:" + credentials.id;
  if (throttle_ != nullptr && credentials.secret) {
    if (auto open = throttle_->check(account, remote); !open) return std::unexpected(open.error());
  }
  const auto refuse = [&](std::string_view reason) {
    if (reason != "wrong_secret" && credentials.secret) hasher_.dummy_verify(*credentials.secret);
    core::audit("client_authentication_failed",
                {{"client_id", credentials.id}, {"reason", reason}, {"remote", remote}});
    // Only a secret can be guessed; counting other refusals would let anyone lock a client
    // out by sending bad assertions in its name.
    if (throttle_ != nullptr && credentials.secret) throttle_->failed(account, remote);
    return std::unexpected(invalid_client());
  };
  auto found = clients_.find_client(credentials.id);
  if (!found) return std::unexpected(unavailable());
  if (!*found) return refuse("unknown_client");
  const store::ClientRecord& record = **found;
  if (!method_allowed(record.auth_method, credentials)) return refuse("wrong_auth_method");
  if (credentials.method == ClientCredentials::Method::kAssertion) {
    if (assertions_ == nullptr) return refuse("private_key_jwt_unsupported");
    auto verified = assertions_->verify(credentials.assertion, record.id,
                                        {.jwks = record.jwks, .jwks_uri = record.jwks_uri});
    if (!verified) {
      if (verified.error().code == ErrorCode::kTemporarilyUnavailable) {
        return std::unexpected(verified.error());
      }
      return refuse(verified.error().description);
    }
    return client_from_record(record);
  }
  if (!record.secret_hash) {
    if (credentials.secret) return refuse("secret_for_public_client");
    return client_from_record(record);
  }
  if (!credentials.secret) return std::unexpected(invalid_client());
  const std::string& secret = *credentials.secret;
  if (!cache_.contains(record.id, secret, *record.secret_hash)) {
    const auto match = hasher_.verify(secret, *record.secret_hash);
    if (!match || !*match) return refuse("wrong_secret");
    cache_.add(record.id, secret, *record.secret_hash);
    if (throttle_ != nullptr) throttle_->succeeded(account);
  }
  return client_from_record(record);
}

}  // namespace tessera::oauth
