#include "partition/scan_sql.h"

#include <gtest/gtest.h>

namespace timestore::partition {
namespace {

using catalog::ColumnDef;
using catalog::ColumnType;
using catalog::WriteFormat;

const std::vector<ColumnDef> kColumns = {
    {"timestamp", ColumnType::kTimestamp}, {"v", ColumnType::kDouble}, {"n", ColumnType::kInteger}};
const std::vector<ColumnDef> kOld = {{"timestamp", ColumnType::kTimestamp},
                                     {"v", ColumnType::kDouble}};

TEST(ScanSqlTest, AsStoredProjectionNamesPresentColumnsAndTypesAbsentNulls) {
  EXPECT_EQ(ProjectionSql(kColumns, kOld, PresentColumns::kAsStored),
            R"("timestamp", "v", CAST(NULL AS BIGINT) AS "n")");
}

TEST(ScanSqlTest, CastProjectionCastsPresentColumnsToTheSchemaType) {
  EXPECT_EQ(ProjectionSql(kColumns, kOld, PresentColumns::kCastToSchema),
            R"(CAST("timestamp" AS TIMESTAMP) AS "timestamp", CAST("v" AS DOUBLE) AS "v", )"
            R"(CAST(NULL AS BIGINT) AS "n")");
}

TEST(ScanSqlTest, ParquetScanQuotesPathsAndDisablesHivePartitioning) {
  EXPECT_EQ(ParquetScanSql({"/a/x.parquet", "/b/it's.parquet"}),
            "read_parquet(['/a/x.parquet', '/b/it''s.parquet'], hive_partitioning = false)");
}

TEST(ScanSqlTest, GroupScansReadsDuckdbFilesOneByOneAndParquetByVersion) {
  const std::vector<ScanFile> files = {{"/p2a", WriteFormat::kParquet, 2, ""},
                                       {"", WriteFormat::kDuckdb, 1, "in_0"},
                                       {"/p1", WriteFormat::kParquet, 1, ""},
                                       {"/p2b", WriteFormat::kParquet, 2, ""}};
  const std::vector<Scan> scans = GroupScans(files);
  ASSERT_EQ(scans.size(), 3u);
  EXPECT_EQ(scans[0].schema_version, 1);
  EXPECT_EQ(scans[0].from, R"("in_0".records)");
  EXPECT_EQ(scans[1].schema_version, 1);
  EXPECT_EQ(scans[1].from, "read_parquet(['/p1'], hive_partitioning = false)");
  EXPECT_EQ(scans[2].schema_version, 2);
  EXPECT_EQ(scans[2].from, "read_parquet(['/p2a', '/p2b'], hive_partitioning = false)");
}

TEST(ScanSqlTest, DdlAndCopyOptionsDescribeThePartitionFormat) {
  EXPECT_EQ(ColumnListDdl(kOld), R"(("timestamp" TIMESTAMP, "v" DOUBLE))");
  EXPECT_EQ(ParquetCopyOptions(), "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)");
}

}  // namespace
}  // namespace timestore::partition
