#include "common/status.h"

#include <gtest/gtest.h>

namespace timestore::common {
namespace {

Result<int> ParsePositive(int v) {
  if (v <= 0) return InvalidArgument("not positive: " + std::to_string(v));
  return v;
}

Result<int> Doubled(int v) {
  TS_ASSIGN_OR_RETURN(int p, ParsePositive(v));
  return p * 2;
}

Status CheckBoth(int a, int b) {
  TS_RETURN_IF_ERROR(ParsePositive(a).status());
  TS_RETURN_IF_ERROR(ParsePositive(b).status());
  return Status::Ok();
}

TEST(StatusTest, DefaultIsOkAndToStringNamesTheCode) {
  EXPECT_TRUE(Status().ok());
  EXPECT_EQ(Status().ToString(), "ok");
  Status s = NotFound("dataset 'cpu'");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "not_found: dataset 'cpu'");
  EXPECT_EQ(s.WithContext("load").message(), "load: dataset 'cpu'");
}

TEST(StatusTest, ResultCarriesValueOrFailure) {
  EXPECT_EQ(*Doubled(4), 8);
  Result<int> bad = Doubled(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "not positive: -1");
  EXPECT_TRUE(Doubled(3).status().ok());
}

TEST(StatusTest, ReturnIfErrorStopsAtTheFirstFailure) {
  EXPECT_TRUE(CheckBoth(1, 2).ok());
  EXPECT_EQ(CheckBoth(1, -2).message(), "not positive: -2");
  EXPECT_EQ(CheckBoth(-1, -2).message(), "not positive: -1");
}

}  // namespace
}  // namespace timestore::common
