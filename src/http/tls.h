// The server's TLS settings (OpenSSL through Asio): TLS 1.2 and 1.3 only, forward-secret AEAD
// cipher suites for TLS 1.2 (TLS 1.3's are all of that kind), no compression, no
// renegotiation, and the certificate chain and key from PEM files.
//
//   auto context = tessera::http::make_tls_context("cert.pem", "key.pem");
//   if (!context) fail(context.error());   // one line: which file, and what is wrong
//   server.set_tls(*context);
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <expected>
#include <memory>
#include <string>

namespace tessera::http {

std::expected<std::shared_ptr<boost::asio::ssl::context>, std::string> make_tls_context(
    const std::string& cert_file, const std::string& key_file);

}  // namespace tessera::http
