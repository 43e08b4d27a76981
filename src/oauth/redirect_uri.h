// Redirect URIs (RFC 6749 section 3.1.2, RFC 9700 section 2.1, RFC 8252 sections 7.1 to 7.3):
// which ones a client may register, and the redirect that carries an authorization response.
//
//   if (auto bad = check_redirect_uri(uri)) return fail(*bad);
//   std::string location = with_parameters(registered, {{"code", code}, {"state", state}});
//
// Registered URIs are compared with the request's by exact string, so the rules here are the
// only place a URI is interpreted.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::oauth {

inline constexpr std::size_t kMaxRedirectUriBytes = 2048;

// std::nullopt when `uri` may be registered, else why not, in one line for a human:
// an absolute URI without a fragment, at most 2048 bytes; https, or http for a loopback host
// (127.0.0.1, [::1] or localhost: a native app's local server), or a native app's private-use
// scheme, which must contain a dot (a reversed domain name, RFC 8252 section 7.1). Never
// javascript:, data: or file:.
std::optional<std::string> check_redirect_uri(std::string_view uri);

// std::nullopt when `uri` may be registered as a client's jwks_uri (RFC 7591 section 2), else
// why not: an absolute https URL with a host and no fragment, at most 2048 bytes, or http for
// a loopback host (a key server on this machine). The server fetches it, so nothing else.
std::optional<std::string> check_jwks_uri(std::string_view uri);

// std::nullopt when `uri` may be registered as a resource a client's tokens may be for (RFC
// 8707 section 2: an absolute URI without a fragment, at most 2048 bytes), else why not.
std::optional<std::string> check_resource_uri(std::string_view uri);

// `uri` with `params` added to its query (percent-encoded; an existing query is kept, RFC
// 6749 section 3.1.2).
std::string with_parameters(std::string_view uri,
                            const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace tessera::oauth
