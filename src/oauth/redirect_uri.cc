#include "oauth/redirect_uri.h"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "core/text.h"

namespace tessera::oauth {
namespace {

bool is_loopback(std::string_view host) {
  return host == "127.0.0.1" || host == "[::1]" || host == "localhost";
}

}  // namespace

std::optional<std::string> check_redirect_uri(std::string_view uri) {
  if (uri.empty() || uri.size() > kMaxRedirectUriBytes) {
    return "a redirect URI is 1 to 2048 bytes";
  }
  auto parsed = boost::urls::parse_absolute_uri(uri);
  if (!parsed) {
    // parse_absolute_uri refuses fragments; say which rule was broken.
    if (uri.find('#') != std::string_view::npos && boost::urls::parse_uri(uri)) {
      return "a redirect URI must not have a fragment";
    }
    return "'" + core::printable(uri) + "' is not an absolute URI";
  }
  const std::string scheme(parsed->scheme());
  if (scheme == "https") {
    if (parsed->encoded_host().empty()) return "an https redirect URI needs a host";
    return std::nullopt;
  }
  if (scheme == "http") {
    if (!is_loopback(parsed->encoded_host())) {
      return "an http redirect URI is only for a loopback host (127.0.0.1, [::1], localhost); "
             "use https";
    }
    return std::nullopt;
  }
  if (scheme.find('.') == std::string::npos) {
    return "a redirect URI is https, http on a loopback host, or a private-use scheme with a "
           "dot (com.example.app:/callback)";
  }
  return std::nullopt;
}

std::optional<std::string> check_resource_uri(std::string_view uri) {
  if (uri.empty() || uri.size() > kMaxRedirectUriBytes) return "a resource is 1 to 2048 bytes";
  if (boost::urls::parse_absolute_uri(uri)) return std::nullopt;
  if (uri.find('#') != std::string_view::npos && boost::urls::parse_uri(uri)) {
    return "a resource must not have a fragment (RFC 8707 section 2)";
  }
  return "the resource '" + core::printable(uri) + "' is not an absolute URI";
}

std::optional<std::string> check_jwks_uri(std::string_view uri) {
  if (uri.empty() || uri.size() > kMaxRedirectUriBytes) return "a jwks_uri is 1 to 2048 bytes";
  auto parsed = boost::urls::parse_absolute_uri(uri);
  const bool ok = parsed && !parsed->encoded_host().empty() && !parsed->has_userinfo() &&
                  (parsed->scheme() == "https" ||
                   (parsed->scheme() == "http" && is_loopback(parsed->encoded_host())));
  if (!ok) {
    return "'" + core::printable(uri) +
           "' is not a jwks_uri: an https URL (or http on 127.0.0.1, [::1], localhost)";
  }
  return std::nullopt;
}

std::string with_parameters(std::string_view uri,
                            const std::vector<std::pair<std::string, std::string>>& params) {
  boost::urls::url url(uri);
  for (const auto& [name, value] : params) url.params().append({name, value});
  return std::string(url.buffer());
}

}  // namespace tessera::oauth
