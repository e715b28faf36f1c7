#include "duck/sql_quoting.h"

#include <gtest/gtest.h>

namespace timestore::duck {
namespace {

TEST(SqlQuotingTest, QuotesAreDoubledInsideIdentifiersAndLiterals) {
  EXPECT_EQ(QuoteIdent("plain"), "\"plain\"");
  EXPECT_EQ(QuoteIdent("we\"ird col"), "\"we\"\"ird col\"");
  EXPECT_EQ(QuoteLiteral("/tmp/it's here.parquet"), "'/tmp/it''s here.parquet'");
  EXPECT_EQ(QuoteLiteral(""), "''");
}

}  // namespace
}  // namespace timestore::duck
