// The checks a request's head must pass before its body is read (RFC 9112 sections 3.2, 6.1).
#include "http/request_head.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <optional>
#include <ostream>
#include <string>
#include <utility>

namespace tessera::http {

void PrintTo(HeadRefusal r, std::ostream* os) {
  *os << static_cast<int>(r) << " (" << refusal_response(r).body() << ")";
}

namespace {

namespace bhttp = boost::beast::http;

// An HTTP/1.1 POST /token with `fields` (name, value), in order.
Request head(std::initializer_list<std::pair<std::string, std::string>> fields,
             unsigned version = 11) {
  Request req{bhttp::verb::post, "/token", version};
  for (const auto& [name, value] : fields) req.insert(name, value);
  return req;
}

TEST(CheckRequestHead, AcceptsAnOrdinaryRequest) {
  EXPECT_EQ(check_request_head(head({{"Host", "127.0.0.1:8080"}, {"Content-Length", "3"}})),
            std::nullopt);
  EXPECT_EQ(check_request_head(head({{"Host", "auth.example.com"}})), std::nullopt);
  EXPECT_EQ(check_request_head(head({{"Host", "[::1]:443"}})), std::nullopt);
}

TEST(CheckRequestHead, AcceptsASingleChunkedCodingHoweverWritten) {
  for (const char* te : {"chunked", "Chunked", "CHUNKED", " chunked ", ", chunked", "chunked,"}) {
    EXPECT_EQ(check_request_head(head({{"Host", "a"}, {"Transfer-Encoding", te}})), std::nullopt)
        << te;
  }
}

// RFC 9112 section 6.1: a coding the server does not understand is 501, whatever comes after.
TEST(CheckRequestHead, RefusesEveryOtherTransferCodingWith501) {
  for (const char* te :
       {"identity", "gzip, chunked", "chunked, gzip", "deflate", "chunked;x=1", "x-custom"}) {
    EXPECT_EQ(check_request_head(head({{"Host", "a"}, {"Transfer-Encoding", te}})),
              HeadRefusal::kUnknownTransferCoding)
        << te;
  }
  // Split over two field lines, the list is the same.
  EXPECT_EQ(check_request_head(head(
                {{"Host", "a"}, {"Transfer-Encoding", "gzip"}, {"Transfer-Encoding", "chunked"}})),
            HeadRefusal::kUnknownTransferCoding);
  EXPECT_EQ(refusal_response(HeadRefusal::kUnknownTransferCoding).result(),
            Status::not_implemented);
}

TEST(CheckRequestHead, RefusesChunkedTwiceAnEmptyCodingAndTransferEncodingOnHttp10) {
  EXPECT_EQ(check_request_head(head({{"Host", "a"}, {"Transfer-Encoding", "chunked, chunked"}})),
            HeadRefusal::kBadTransferEncoding);
  EXPECT_EQ(
      check_request_head(head(
          {{"Host", "a"}, {"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}})),
      HeadRefusal::kBadTransferEncoding);
  EXPECT_EQ(check_request_head(head({{"Host", "a"}, {"Transfer-Encoding", ""}})),
            HeadRefusal::kBadTransferEncoding);
  EXPECT_EQ(check_request_head(head({{"Transfer-Encoding", "chunked"}}, 10)),
            HeadRefusal::kBadTransferEncoding);
  EXPECT_EQ(refusal_response(HeadRefusal::kBadTransferEncoding).result(), Status::bad_request);
}

// RFC 9112 section 3.2.
TEST(CheckRequestHead, AnHttp11RequestNeedsExactlyOneValidHost) {
  EXPECT_EQ(check_request_head(head({})), HeadRefusal::kBadHost);
  EXPECT_EQ(check_request_head(head({{"Host", "a"}, {"Host", "a"}})), HeadRefusal::kBadHost);
  for (const char* host : {"user@evil.example", "a b", "a:port", "[::1", "a/b", "a?b", "\x7f"}) {
    EXPECT_EQ(check_request_head(head({{"Host", host}})), HeadRefusal::kBadHost) << host;
  }
  EXPECT_EQ(refusal_response(HeadRefusal::kBadHost).result(), Status::bad_request);
}

TEST(CheckRequestHead, AnHttp10RequestMayLeaveHostOutButNotRepeatIt) {
  EXPECT_EQ(check_request_head(head({}, 10)), std::nullopt);
  EXPECT_EQ(check_request_head(head({{"Host", "a"}, {"Host", "b"}}, 10)), HeadRefusal::kBadHost);
}

TEST(FieldCount, CountsEveryFieldLine) {
  EXPECT_EQ(field_count(head({})), 0u);
  EXPECT_EQ(field_count(head({{"Host", "a"}, {"X-Forwarded-For", "1"}, {"X-Forwarded-For", "2"}})),
            3u);
}

TEST(RefusalResponse, TrailerFieldsAre400WithAJsonBody) {
  const Response res = refusal_response(HeadRefusal::kTrailerFields);
  EXPECT_EQ(res.result(), Status::bad_request);
  EXPECT_EQ(res.body(),
            R"({"error":"invalid_request","error_description":"trailer fields are not accepted"})");
}

}  // namespace
}  // namespace tessera::http
