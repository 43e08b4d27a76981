// The HTTP message types every part of the HTTP layer shares.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <string>

namespace tessera::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
using Status = boost::beast::http::status;

// What a handler may know about the connection a request came on.
struct RequestContext {
  std::string remote_address;
};

}  // namespace tessera::http
