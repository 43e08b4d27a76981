#include "keys/published_keys.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace tessera::keys {

namespace json = boost::json;

std::shared_ptr<const std::string> PublishedKeys::jwks_json() const {
  auto primary = primary_.jwks_json();
  auto also = also_.jwks_json();
  std::lock_guard lock(mutex_);
  if (primary != primary_seen_ || also != also_seen_) {
    // Both are our own documents ({"keys":[...]}), parsed only when one changed.
    json::value merged = json::parse(*primary);
    const json::value more = json::parse(*also);
    json::array& keys = merged.as_object()["keys"].as_array();
    for (const json::value& key : more.as_object().at("keys").as_array()) keys.push_back(key);
    merged_ = std::make_shared<const std::string>(json::serialize(merged));
    primary_seen_ = std::move(primary);
    also_seen_ = std::move(also);
  }
  return merged_;
}

}  // namespace tessera::keys
