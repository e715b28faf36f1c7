#include "duck/error_mapping.h"

#include <gtest/gtest.h>

namespace timestore::duck {
namespace {

using common::StatusCode;

// Calls that report only a message (duckdb_open_ext, duckdb_prepare) are classified by its prefix.
TEST(ErrorMappingTest, MessageOnlyErrorsAreClassifiedByTheirPrefix) {
  struct Case {
    const char* message;
    StatusCode code;
  };
  const Case cases[] = {
      {"Parser Error: syntax error at or near \"SELEC\"", StatusCode::kInvalidArgument},
      {"Catalog Error: Table with name x does not exist!", StatusCode::kInvalidArgument},
      {"Binder Error: Referenced column \"y\" not found", StatusCode::kInvalidArgument},
      {"Conversion Error: Could not convert string 'a' to INT32", StatusCode::kInvalidArgument},
      {"Invalid Input Error: The following options were not recognized: x",
       StatusCode::kInvalidArgument},
      {"Missing Extension Error: File s3://b/x requires the extension httpfs",
       StatusCode::kInvalidArgument},
      {"INTERRUPT Error: Interrupted!", StatusCode::kDeadlineExceeded},
      {"Permission Error: Cannot access file \"/etc/passwd\"", StatusCode::kPermissionDenied},
      {"Constraint Error: PRIMARY KEY or UNIQUE constraint violation", StatusCode::kConflict},
      {"TransactionContext Error: Catalog write-write conflict", StatusCode::kConflict},
      {"Out of Memory Error: could not allocate block", StatusCode::kResourceExhausted},
      {"HTTP Error: 503", StatusCode::kUnavailable},
      {"IO Error: Could not set lock on file \"/d/x.duckdb\": Conflicting lock is held",
       StatusCode::kUnavailable},
      {"IO Error: Cannot open file \"/nope/x.duckdb\": No such file or directory",
       StatusCode::kInternal},
      {"INTERNAL Error: Attempted to access index 3 within vector of size 3",
       StatusCode::kInternal},
      {"Invalid Configuration Error: Cannot change threads", StatusCode::kInvalidArgument},
      {"something without a known prefix", StatusCode::kInternal},
  };
  for (const Case& c : cases) {
    common::Status status = StatusFromDuckDbError(0, c.message);
    EXPECT_EQ(status.code(), c.code) << c.message;
    EXPECT_EQ(status.message(), c.message) << "DuckDB's text is kept unchanged";
  }
}

TEST(ErrorMappingTest, KnownErrorTypeWinsOverTheMessage) {
  // 18 is DUCKDB_ERROR_CONSTRAINT: the appender's "Failed to append: ..." carries no prefix.
  common::Status status =
      StatusFromDuckDbError(18, "Failed to append: PRIMARY KEY or UNIQUE constraint violation");
  EXPECT_EQ(status.code(), StatusCode::kConflict);
  EXPECT_EQ(status.message(), "Failed to append: PRIMARY KEY or UNIQUE constraint violation");
}

TEST(ErrorMappingTest, EmptyMessageStillGivesAFailure) {
  common::Status status = StatusFromDuckDbError(0, "");
  EXPECT_EQ(status.code(), StatusCode::kInternal);
  EXPECT_FALSE(status.message().empty());
}

}  // namespace
}  // namespace timestore::duck
