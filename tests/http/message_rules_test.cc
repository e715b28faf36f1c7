#include "http/message_rules.h"

#include <string>

#include <gtest/gtest.h>

namespace timestore::http {
namespace {

Request RequestWith(std::string method, std::string body, std::optional<std::string> type) {
  Request request;
  request.method = std::move(method);
  request.body = std::move(body);
  if (type) request.headers.emplace_back("content-type", *type);
  return request;
}

TEST(MessageRulesTest, RequestIdsEchoSaneValuesAndMintOthers) {
  EXPECT_EQ(RequestIdFor("abc-123"), "abc-123");
  EXPECT_TRUE(IsSaneRequestId(std::string(128, 'x')));
  EXPECT_FALSE(IsSaneRequestId(std::string(129, 'x')));
  EXPECT_FALSE(IsSaneRequestId("has space"));
  EXPECT_FALSE(IsSaneRequestId(""));
  for (const std::string& id :
       {RequestIdFor(std::nullopt), RequestIdFor("bad\r\nid"), NewRequestId()}) {
    ASSERT_EQ(id.size(), 20u) << id;
    EXPECT_EQ(id.substr(0, 4), "req-");
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef", 4), std::string::npos) << id;
  }
}

TEST(MessageRulesTest, SplitTargetHandlesOriginAndAbsoluteForms) {
  Request origin;
  origin.target = "/datasets/cpu/rows?limit=10&x=a%20b";
  SplitTarget(origin);
  EXPECT_EQ(origin.path, "/datasets/cpu/rows");
  EXPECT_EQ(origin.QueryParam("limit"), "10");
  EXPECT_EQ(origin.QueryParam("x"), "a b");

  Request absolute;
  absolute.target = "HTTP://example.com:4100/health?verbose";
  SplitTarget(absolute);
  EXPECT_EQ(absolute.path, "/health");
  EXPECT_EQ(absolute.QueryParam("verbose"), "");

  Request bare;
  bare.target = "https://example.com";
  SplitTarget(bare);
  EXPECT_EQ(bare.path, "/");
  EXPECT_TRUE(bare.query.empty());
}

TEST(MessageRulesTest, ContentTypeRulesFollowFastify) {
  EXPECT_FALSE(CheckContentType(RequestWith("POST", "{}", "application/json")).has_value());
  EXPECT_FALSE(CheckContentType(RequestWith("PUT", "{}", "Application/Vnd.X+JSON; charset=utf-8")));
  EXPECT_FALSE(CheckContentType(RequestWith("GET", "body", std::nullopt)).has_value());
  EXPECT_FALSE(CheckContentType(RequestWith("POST", "", std::nullopt)).has_value());

  const auto missing = CheckContentType(RequestWith("POST", "{}", std::nullopt));
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 415);
  const auto text = CheckContentType(RequestWith("PATCH", "a", "text/plain"));
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(text->status, 415);
  EXPECT_NE(text->body.find("Unsupported Media Type: text/plain"), std::string::npos);
  const auto empty = CheckContentType(RequestWith("POST", "", "application/json"));
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->status, 400);
}

TEST(MessageRulesTest, HeaderHelpers) {
  EXPECT_TRUE(IsServerOwnedHeader("Content-Length"));
  EXPECT_TRUE(IsServerOwnedHeader("x-request-id"));
  EXPECT_FALSE(IsServerOwnedHeader("x-custom"));
  EXPECT_TRUE(HasLineBreakOrNul(std::string_view("a\0b", 3)));
  EXPECT_TRUE(HasLineBreakOrNul("a\nb"));
  EXPECT_FALSE(HasLineBreakOrNul("text/csv"));
  EXPECT_EQ(HttpDate().size(), 29u);  // "Sun, 06 Nov 1994 08:49:37 GMT"
  EXPECT_EQ(HttpDate().substr(25), " GMT");
}

}  // namespace
}  // namespace timestore::http
