#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "tessera/verify.h"

namespace tessera {

namespace json = boost::json;

namespace {

json::array strings(const std::vector<std::string>& items) {
  json::array out;
  for (const std::string& item : items) out.emplace_back(item);
  return out;
}

}  // namespace

std::string resource_metadata_json(const ResourceMetadata& metadata) {
  json::object doc;
  doc["resource"] = metadata.resource;
  doc["authorization_servers"] = strings(metadata.authorization_servers);
  if (!metadata.scopes_supported.empty()) {
    doc["scopes_supported"] = strings(metadata.scopes_supported);
  }
  // Section 2: tokens in the Authorization header only (RFC 6750 section 2.1).
  doc["bearer_methods_supported"] = json::array{"header"};
  if (metadata.dpop) {
    doc["dpop_signing_alg_values_supported"] =
        json::array{"EdDSA", "Ed25519", "ES256", "RS256", "PS256"};
  }
  return json::serialize(doc);
}

std::string resource_metadata_url(std::string_view resource) {
  const std::size_t scheme = resource.find("://");
  const std::size_t path =
      scheme == std::string_view::npos ? std::string_view::npos : resource.find('/', scheme + 3);
  if (path == std::string_view::npos)
    return std::string(resource) + std::string(kResourceMetadataPath);
  std::string_view rest = resource.substr(path);
  while (rest.ends_with('/')) rest.remove_suffix(1);
  return std::string(resource.substr(0, path)) + std::string(kResourceMetadataPath) +
         std::string(rest);
}

}  // namespace tessera
