#include "http/router.h"

#include <gtest/gtest.h>

#include <boost/beast/http/field.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <vector>

#include "http/http_test_support.h"
#include "http/response.h"

namespace tessera::http {
namespace {

namespace bhttp = boost::beast::http;
namespace json = boost::json;
using bhttp::verb;

// A router whose handlers answer with their own name, and record what they were given.
class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    add(verb::get, "/things");
    add(verb::post, "/things");
    add(verb::delete_, "/things");
    add(verb::get, "/healthz");
  }

  void add(verb method, std::string path) { add_route(method, std::move(path), false); }
  void add_prefix(verb method, std::string prefix) { add_route(method, std::move(prefix), true); }

  void add_route(verb method, std::string path, bool prefix) {
    const std::string name =
        std::string(bhttp::to_string(method)) + " " + path + (prefix ? "*" : "");
    auto handler = [this, name](const Request& req,
                                const RequestContext& ctx) -> boost::asio::awaitable<Response> {
      calls_.push_back(name + " " + std::string(req.target()) + " from " + ctx.remote_address);
      json::object body;
      body["handler"] = name;
      co_return json_response(Status::ok, body);
    };
    if (prefix) {
      router_.add_prefix(method, std::move(path), std::move(handler));
    } else {
      router_.add(method, std::move(path), std::move(handler));
    }
  }

  Response dispatch(verb method, std::string_view target) {
    return test::dispatch(router_, test::request(method, target));
  }

  Router router_;
  std::vector<std::string> calls_;
};

TEST_F(RouterTest, RoutesByPathAndMethod) {
  const Response get = dispatch(verb::get, "/things");
  EXPECT_EQ(get.result(), Status::ok);
  EXPECT_EQ(test::json_body(get), (json::object{{"handler", "GET /things"}}));
  const Response post = dispatch(verb::post, "/things");
  EXPECT_EQ(test::json_body(post), (json::object{{"handler", "POST /things"}}));
  const Response health = dispatch(verb::get, "/healthz");
  EXPECT_EQ(test::json_body(health), (json::object{{"handler", "GET /healthz"}}));
}

TEST_F(RouterTest, HandlerReceivesTheRequestAndItsContext) {
  dispatch(verb::get, "/things?page=2");
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(calls_[0], "GET /things /things?page=2 from 192.0.2.1");
}

TEST_F(RouterTest, UnknownPathIs404WithAJsonBody) {
  const Response res = dispatch(verb::get, "/nothing-here");
  EXPECT_EQ(res.result(), Status::not_found);
  EXPECT_EQ(res[bhttp::field::content_type], "application/json");
  EXPECT_EQ(test::json_body(res),
            (json::object{{"error", "not_found"}, {"error_description", "no such endpoint"}}));
  EXPECT_TRUE(calls_.empty());
}

// Paths match exactly: no prefix, trailing-slash or case folding.
TEST_F(RouterTest, PathsMatchExactly) {
  for (const char* target : {"/things/", "/things/1", "/Things", "/thing", "things", "/", ""}) {
    EXPECT_EQ(dispatch(verb::get, target).result(), Status::not_found) << target;
  }
  EXPECT_TRUE(calls_.empty());
}

TEST_F(RouterTest, KnownPathWithAnotherMethodIs405ListingTheMethods) {
  const Response res = dispatch(verb::put, "/things");
  EXPECT_EQ(res.result(), Status::method_not_allowed);
  EXPECT_EQ(res[bhttp::field::allow], "GET, HEAD, POST, DELETE");
  EXPECT_EQ(test::json_body(res),
            (json::object{{"error", "method_not_allowed"},
                          {"error_description", "this endpoint does not take this method"}}));
  EXPECT_TRUE(calls_.empty());
}

TEST_F(RouterTest, Allow405ForASingleMethodPath) {
  const Response res = dispatch(verb::post, "/healthz");
  EXPECT_EQ(res.result(), Status::method_not_allowed);
  EXPECT_EQ(res[bhttp::field::allow], "GET, HEAD");
}

TEST_F(RouterTest, QueryStringIsIgnoredForMatching) {
  const Response res = dispatch(verb::get, "/healthz?verbose=1&x=%zz");
  EXPECT_EQ(res.result(), Status::ok);
  EXPECT_EQ(test::json_body(res), (json::object{{"handler", "GET /healthz"}}));
  EXPECT_EQ(dispatch(verb::get, "/healthz?").result(), Status::ok);
  EXPECT_EQ(dispatch(verb::put, "/healthz?x=1").result(), Status::method_not_allowed);
  EXPECT_EQ(dispatch(verb::get, "/nothing?/healthz").result(), Status::not_found);
}

// A well-formed method token Beast does not know at all.
TEST_F(RouterTest, UnknownMethodIs501) {
  Request req = test::request(verb::get, "/things");
  req.method_string("BREW");
  ASSERT_EQ(req.method(), verb::unknown);
  const Response res = test::dispatch(router_, req);
  EXPECT_EQ(res.result(), Status::not_implemented);
  EXPECT_EQ(test::json_body(res),
            (json::object{{"error", "not_implemented"},
                          {"error_description", "this method is not implemented"}}));
  EXPECT_TRUE(calls_.empty());
}

TEST_F(RouterTest, UnknownMethodOnAnUnknownPathIsStill501) {
  Request req = test::request(verb::get, "/nothing-here");
  req.method_string("BREW");
  EXPECT_EQ(test::dispatch(router_, req).result(), Status::not_implemented);
}

TEST(Router, EmptyRouterAnswers404) {
  const Router router;
  EXPECT_EQ(test::dispatch(router, test::request(verb::get, "/")).result(), Status::not_found);
}

TEST_F(RouterTest, HeadIsAnsweredByTheGetHandler) {
  const Response res = dispatch(verb::head, "/things");
  EXPECT_EQ(res.result(), Status::ok);
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(calls_[0], "GET /things /things from 192.0.2.1");
}

TEST_F(RouterTest, AbsoluteFormTargetsRouteByTheirPath) {
  EXPECT_EQ(dispatch(verb::get, "http://127.0.0.1:8080/things?x=1").result(), Status::ok);
  EXPECT_EQ(dispatch(verb::get, "HTTPS://auth.example/things").result(), Status::ok);
  EXPECT_EQ(dispatch(verb::get, "http://auth.example").result(), Status::not_found);
  ASSERT_EQ(calls_.size(), 2u);
}

// A path parameter: "/things/{id}" as a prefix route beside the exact "/things".
TEST_F(RouterTest, PrefixRouteTakesLongerPathsAndExactRoutesWin) {
  add_prefix(verb::get, "/things/");
  add_prefix(verb::get, "/things/special/");
  add(verb::get, "/things/fixed");
  EXPECT_EQ(test::json_body(dispatch(verb::get, "/things/42?x=1")),
            (json::object{{"handler", "GET /things/*"}}));
  EXPECT_EQ(test::json_body(dispatch(verb::get, "/things/a/b")),
            (json::object{{"handler", "GET /things/*"}}));
  EXPECT_EQ(test::json_body(dispatch(verb::get, "/things/special/1")),
            (json::object{{"handler", "GET /things/special/*"}}));
  EXPECT_EQ(test::json_body(dispatch(verb::get, "/things/fixed")),
            (json::object{{"handler", "GET /things/fixed"}}));
  EXPECT_EQ(test::json_body(dispatch(verb::get, "/things")),
            (json::object{{"handler", "GET /things"}}));
  // The prefix alone is not a match: the parameter would be empty.
  EXPECT_EQ(dispatch(verb::get, "/things/").result(), Status::not_found);
  EXPECT_EQ(dispatch(verb::get, "/thing/1").result(), Status::not_found);
  const Response other = dispatch(verb::post, "/things/42");
  EXPECT_EQ(other.result(), Status::method_not_allowed);
  EXPECT_EQ(other[bhttp::field::allow], "GET, HEAD");
}

TEST(RequestPath, TakesThePathOfOriginAndAbsoluteForms) {
  EXPECT_EQ(request_path("/a/b?c=d"), "/a/b");
  EXPECT_EQ(request_path("/"), "/");
  EXPECT_EQ(request_path("http://host:1/a?b"), "/a");
  EXPECT_EQ(request_path("http://host"), "/");
  EXPECT_EQ(request_path("*"), "*");
}

}  // namespace
}  // namespace tessera::http
