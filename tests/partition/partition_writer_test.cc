#include "partition/partition_writer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <optional>
#include <ostream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "duck/connection.h"
#include "duck/database.h"
#include "testing/test_env.h"
#include "testing/value_or_die.h"

namespace timestore::catalog {
// Test names and failure messages say "duckdb" / "parquet" instead of the enum's bytes.
void PrintTo(WriteFormat format, std::ostream* os) { *os << WriteFormatName(format); }
}  // namespace timestore::catalog

namespace timestore::partition {
namespace {

namespace fs = std::filesystem;
using catalog::ColumnType;
using catalog::WriteFormat;
using common::StatusCode;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kMoonLanding = -14182939876544;       // 1969-07-20T20:17:40.123456Z
constexpr int64_t kNewYear2024 = 1704067200000000;      // 2024-01-01T00:00:00.000Z
constexpr int64_t kLastMicroOf2023 = 1704067199999999;  // 2023-12-31T23:59:59.999999Z

using timestore::testing::ValueOrDie;

std::string FormatName(WriteFormat format) { return std::string(catalog::WriteFormatName(format)); }

// Reads a partition file the way the query path does: a fresh in-memory DuckDB that ATTACHes a
// DuckDB file READ_ONLY or scans a Parquet file with read_parquet.
struct PartitionReader {
  PartitionReader(const std::string& path, WriteFormat format)
      : db(ValueOrDie(duck::Database::Open(":memory:", SingleThread()), "open reader")),
        conn(ValueOrDie(duck::Connection::Open(db), "connect reader")) {
    if (format == WriteFormat::kDuckdb) {
      common::Status attached = conn.Execute("ATTACH '" + path + "' AS p (READ_ONLY)");
      if (!attached.ok()) {
        ADD_FAILURE() << attached.ToString();
      }
      source = "p.records";
    } else {
      source = "read_parquet('" + path + "')";
    }
  }
  static duck::DatabaseOptions SingleThread() {
    duck::DatabaseOptions options;
    options.threads = 1;  // scans then return rows in file order
    return options;
  }
  duck::QueryResult Query(const std::string& select_list, const std::string& tail = "") {
    return ValueOrDie(conn.Query("SELECT " + select_list + " FROM " + source + " " + tail),
                      "reader query");
  }

  duck::Database db;
  duck::Connection conn;
  std::string source;
};

std::vector<std::string> DirectoryEntries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every column type, with NULLs in each, an all-NULL column of each type, and strings that need
// care: quotes, non-ASCII, longer than DuckDB's 12 inlined bytes, empty.
RowBatch AllTypesBatch() {
  RowBatch b = RowBatch::Empty({{"timestamp", ColumnType::kTimestamp},
                                {"host", ColumnType::kString},
                                {"value", ColumnType::kDouble},
                                {"count", ColumnType::kInteger},
                                {"ok", ColumnType::kBoolean},
                                {"no_string", ColumnType::kString},
                                {"no_double", ColumnType::kDouble},
                                {"no_integer", ColumnType::kInteger},
                                {"no_boolean", ColumnType::kBoolean},
                                {"no_time", ColumnType::kTimestamp}});
  auto& c = b.columns;
  c[0].AppendInt64(kNewYear2024);
  c[1].AppendString("it's a \"quoted\" host name, longer than twelve bytes");
  c[2].AppendDouble(0.1);
  c[3].AppendInt64(std::numeric_limits<int64_t>::max());
  c[4].AppendBool(true);

  c[0].AppendInt64(kNewYear2024 + 1);
  c[1].AppendNull();
  c[2].AppendNull();
  c[3].AppendNull();
  c[4].AppendNull();

  c[0].AppendInt64(kNewYear2024 + 2);
  c[1].AppendString("Zürich ⏱ 東京 🚀");
  c[2].AppendDouble(-1e300);
  c[3].AppendInt64(std::numeric_limits<int64_t>::min());
  c[4].AppendBool(false);

  c[0].AppendInt64(kNewYear2024 + 3);
  c[1].AppendString("");
  c[2].AppendDouble(std::numeric_limits<double>::quiet_NaN());
  c[3].AppendInt64(0);
  c[4].AppendBool(true);
  for (size_t col = 5; col < c.size(); ++col) {
    for (int row = 0; row < 4; ++row) c[col].AppendNull();
  }
  return b;
}

// A batch of `rows` rows in shuffled time order with many equal timestamps; `seq` is the input
// position, so a stable sort keeps `seq` increasing among equal timestamps.
RowBatch ShuffledBatch(size_t rows) {
  RowBatch b = RowBatch::Empty({{"seq", ColumnType::kInteger},
                                {"ts", ColumnType::kTimestamp},
                                {"host", ColumnType::kString},
                                {"v", ColumnType::kDouble}});
  std::mt19937_64 rng(42);
  for (size_t i = 0; i < rows; ++i) {
    b.columns[0].AppendInt64(static_cast<int64_t>(i));
    // 1,000 distinct instants around the epoch, so the batch spans 1969 and 1970.
    const int64_t slot = static_cast<int64_t>(rng() % 1000) - 500;
    b.columns[1].AppendInt64(slot * 1'000'003);
    if (i % 7 == 0) {
      b.columns[2].AppendNull();
    } else {
      b.columns[2].AppendString("host-" + std::to_string(i % 97) + ".example.internal");
    }
    b.columns[3].AppendDouble(static_cast<double>(i) * 0.5);
  }
  return b;
}

class PartitionWriterFormatTest : public ::testing::TestWithParam<WriteFormat> {
 protected:
  std::string PathFor(const std::string& name) const {
    return (dir_.path() / (name + (GetParam() == WriteFormat::kDuckdb ? ".duckdb" : ".parquet")))
        .string();
  }
  WrittenPartitionFile Write(const RowBatch& rows, std::string_view ts_column,
                             const std::string& path) {
    return ValueOrDie(WritePartitionFile(rows, ts_column, GetParam(), path), "WritePartitionFile");
  }

  testing::TempDir dir_;
};

TEST_P(PartitionWriterFormatTest, EveryColumnTypeRoundTripsWithNulls) {
  const RowBatch batch = AllTypesBatch();
  const std::string path = PathFor("all_types");
  const WrittenPartitionFile file = Write(batch, "timestamp", path);
  EXPECT_EQ(file.path, path);
  EXPECT_EQ(file.stats.row_count, 4);
  EXPECT_EQ(file.size_bytes, static_cast<int64_t>(fs::file_size(path)));

  PartitionReader reader(path, GetParam());
  duck::QueryResult r = reader.Query("*");
  ASSERT_EQ(r.column_count(), batch.schema.size());
  for (size_t col = 0; col < batch.schema.size(); ++col) {
    EXPECT_EQ(r.column_name(col), batch.schema[col].name);
  }
  const std::vector<duck::Type> expected_types = {
      duck::Type::kTimestamp, duck::Type::kVarchar,  duck::Type::kDouble, duck::Type::kBigint,
      duck::Type::kBoolean,   duck::Type::kVarchar,  duck::Type::kDouble, duck::Type::kBigint,
      duck::Type::kBoolean,   duck::Type::kTimestamp};
  for (size_t col = 0; col < expected_types.size(); ++col) {
    EXPECT_EQ(r.column_type(col), expected_types[col]) << r.column_name(col);
  }
  ASSERT_EQ(r.row_count(), 4u);
  for (uint64_t row = 0; row < 4; ++row) {
    EXPECT_EQ(r.GetTimestampMicros(0, row), kNewYear2024 + static_cast<int64_t>(row));
  }
  EXPECT_EQ(r.GetString(1, 0), "it's a \"quoted\" host name, longer than twelve bytes");
  EXPECT_TRUE(r.IsNull(1, 1));
  EXPECT_EQ(r.GetString(1, 2), "Zürich ⏱ 東京 🚀");
  EXPECT_FALSE(r.IsNull(1, 3));
  EXPECT_EQ(r.GetString(1, 3), "");

  EXPECT_EQ(r.GetDouble(2, 0), 0.1);
  EXPECT_TRUE(r.IsNull(2, 1));
  EXPECT_EQ(r.GetDouble(2, 2), -1e300);
  EXPECT_TRUE(std::isnan(r.GetDouble(2, 3)));

  EXPECT_EQ(r.GetInt64(3, 0), std::numeric_limits<int64_t>::max());
  EXPECT_TRUE(r.IsNull(3, 1));
  EXPECT_EQ(r.GetInt64(3, 2), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(r.GetInt64(3, 3), 0);

  EXPECT_TRUE(r.GetBool(4, 0));
  EXPECT_TRUE(r.IsNull(4, 1));
  EXPECT_FALSE(r.GetBool(4, 2));
  EXPECT_TRUE(r.GetBool(4, 3));

  for (size_t col = 5; col < 10; ++col) {
    for (uint64_t row = 0; row < 4; ++row) EXPECT_TRUE(r.IsNull(col, row)) << col << "," << row;
  }
}

TEST_P(PartitionWriterFormatTest, TimestampsBefore1970AndMicrosecondsSurvive) {
  RowBatch b = RowBatch::Empty({{"ts", ColumnType::kTimestamp}});
  b.columns[0].AppendInt64(kLastMicroOf2023);
  b.columns[0].AppendInt64(kMoonLanding);
  b.columns[0].AppendInt64(-1);  // 1969-12-31T23:59:59.999999Z
  const std::string path = PathFor("old");
  const WrittenPartitionFile file = Write(b, "ts", path);
  EXPECT_EQ(file.stats.min_time, kMoonLanding);
  EXPECT_EQ(file.stats.max_time, kLastMicroOf2023);

  PartitionReader reader(path, GetParam());
  duck::QueryResult r = reader.Query("ts, strftime(ts, '%Y-%m-%dT%H:%M:%S.%fZ')");
  ASSERT_EQ(r.row_count(), 3u);
  EXPECT_EQ(r.GetTimestampMicros(0, 0), kMoonLanding);
  EXPECT_EQ(r.GetString(1, 0), "1969-07-20T20:17:40.123456Z");
  EXPECT_EQ(r.GetTimestampMicros(0, 1), -1);
  EXPECT_EQ(r.GetString(1, 1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(r.GetTimestampMicros(0, 2), kLastMicroOf2023);
  EXPECT_EQ(r.GetString(1, 2), "2023-12-31T23:59:59.999999Z");
}

TEST_P(PartitionWriterFormatTest, RowsComeOutStablySortedByTimeAcrossChunks) {
  constexpr size_t kRows = 10'000;  // five 2048-row chunks, the last one partial
  const RowBatch batch = ShuffledBatch(kRows);
  const std::string path = PathFor("sorted");
  const WrittenPartitionFile file = Write(batch, "ts", path);
  EXPECT_EQ(file.stats.row_count, static_cast<int64_t>(kRows));

  PartitionReader reader(path, GetParam());
  duck::QueryResult r = reader.Query("seq, ts, host, v");
  ASSERT_EQ(r.row_count(), kRows);
  std::vector<bool> seen(kRows, false);
  for (uint64_t row = 0; row < kRows; ++row) {
    const auto seq = static_cast<size_t>(r.GetInt64(0, row));
    ASSERT_LT(seq, kRows);
    EXPECT_FALSE(seen[seq]);
    seen[seq] = true;
    // Every row is the input row `seq`, intact.
    EXPECT_EQ(r.GetTimestampMicros(1, row), batch.columns[1].Int64At(seq));
    if (batch.columns[2].IsNull(seq)) {
      EXPECT_TRUE(r.IsNull(2, row));
    } else {
      EXPECT_EQ(r.GetString(2, row), batch.columns[2].StringAt(seq));
    }
    EXPECT_EQ(r.GetDouble(3, row), batch.columns[3].DoubleAt(seq));
    if (row == 0) continue;
    const int64_t prev_ts = r.GetTimestampMicros(1, row - 1);
    const int64_t ts = r.GetTimestampMicros(1, row);
    ASSERT_LE(prev_ts, ts) << "row " << row;
    if (prev_ts == ts) {
      ASSERT_LT(r.GetInt64(0, row - 1), r.GetInt64(0, row)) << "row " << row;
    }
  }
  duck::QueryResult agg = reader.Query("count(*), count(host), min(ts), max(ts)");
  EXPECT_EQ(agg.GetInt64(0, 0), static_cast<int64_t>(kRows));
  EXPECT_EQ(agg.GetInt64(1, 0), static_cast<int64_t>(kRows - (kRows + 6) / 7));
  EXPECT_EQ(agg.GetTimestampMicros(2, 0), file.stats.min_time);
  EXPECT_EQ(agg.GetTimestampMicros(3, 0), file.stats.max_time);
  EXPECT_LT(file.stats.min_time, 0);
  EXPECT_GT(file.stats.max_time, 0);
}

TEST_P(PartitionWriterFormatTest, Sha256AndSizeMatchARecomputationByDuckDb) {
  const std::string path = PathFor("hashed");
  const WrittenPartitionFile file = Write(ShuffledBatch(3000), "ts", path);
  ASSERT_EQ(file.sha256_hex.size(), 64u);
  // An independent SHA-256: DuckDB's sha256() over the file's bytes.
  duck::Database db = ValueOrDie(duck::Database::Open(":memory:"), "open");
  duck::Connection conn = ValueOrDie(duck::Connection::Open(db), "connect");
  duck::QueryResult r = ValueOrDie(
      conn.Query("SELECT sha256(content), size FROM read_blob('" + path + "')"), "read_blob");
  EXPECT_EQ(r.GetString(0, 0), file.sha256_hex);
  EXPECT_EQ(r.GetInt64(1, 0), file.size_bytes);
  EXPECT_EQ(ReadFileBytes(path).size(), static_cast<size_t>(file.size_bytes));
}

TEST_P(PartitionWriterFormatTest, ColumnNamesWithQuotesAndSpacesWork) {
  RowBatch b = RowBatch::Empty({{"my \"time\" col", ColumnType::kTimestamp},
                                {"we\"ird col", ColumnType::kString},
                                {"select", ColumnType::kDouble},
                                {"it's", ColumnType::kInteger}});
  b.columns[0].AppendInt64(kNewYear2024);
  b.columns[1].AppendString("x");
  b.columns[2].AppendDouble(2.5);
  b.columns[3].AppendInt64(3);
  const std::string path = PathFor("weird");
  const WrittenPartitionFile file = Write(b, "my \"time\" col", path);
  EXPECT_THAT(EncodeColumnStatistics(file.stats.column_statistics),
              HasSubstr(R"("we\"ird col":{"min":"x")"));

  PartitionReader reader(path, GetParam());
  duck::QueryResult r = reader.Query(R"("we""ird col", "select", "it's", "my ""time"" col")",
                                     R"(WHERE "we""ird col" = 'x')");
  ASSERT_EQ(r.row_count(), 1u);
  EXPECT_EQ(r.column_name(0), "we\"ird col");
  EXPECT_EQ(r.GetString(0, 0), "x");
  EXPECT_EQ(r.GetDouble(1, 0), 2.5);
  EXPECT_EQ(r.GetInt64(2, 0), 3);
  EXPECT_EQ(r.GetTimestampMicros(3, 0), kNewYear2024);
}

TEST_P(PartitionWriterFormatTest, PathWithQuoteAndSpaceWorks) {
  const fs::path sub = dir_.path() / "it's a dir";
  fs::create_directory(sub);
  const std::string path = (sub / "p'1.bin").string();
  const WrittenPartitionFile file = Write(ShuffledBatch(10), "ts", path);
  EXPECT_EQ(file.stats.row_count, 10);
  EXPECT_THAT(DirectoryEntries(sub), ElementsAre("p'1.bin"));
}

TEST_P(PartitionWriterFormatTest, WritingToAnExistingPathFailsAndLeavesItUntouched) {
  const std::string path = PathFor("taken");
  { std::ofstream(path) << "precious"; }
  auto written = WritePartitionFile(ShuffledBatch(10), "ts", GetParam(), path);
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.status().code(), StatusCode::kAlreadyExists);
  EXPECT_THAT(written.status().message(), HasSubstr(path));
  EXPECT_EQ(ReadFileBytes(path), "precious");
  EXPECT_THAT(DirectoryEntries(dir_.path()), ElementsAre(fs::path(path).filename().string()));

  // A second write of the same path after a successful one fails too.
  const std::string fresh = PathFor("fresh");
  ASSERT_TRUE(WritePartitionFile(ShuffledBatch(10), "ts", GetParam(), fresh).ok());
  const std::string before = ReadFileBytes(fresh);
  EXPECT_EQ(WritePartitionFile(ShuffledBatch(20), "ts", GetParam(), fresh).status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(ReadFileBytes(fresh), before);
}

TEST_P(PartitionWriterFormatTest, FileIsSelfContainedWithNothingBesideIt) {
  const std::string path = PathFor("alone");
  Write(ShuffledBatch(5000), "ts", path);
  // No .wal, no temporary file: the directory holds exactly the partition file.
  EXPECT_THAT(DirectoryEntries(dir_.path()), ElementsAre(fs::path(path).filename().string()));
}

// Another process opens the file (the DuckDB file read-only, through its own instance) while this
// process holds it open read-only too; then yet another connection reads it.
TEST_P(PartitionWriterFormatTest, AnotherProcessReadsTheFileReadOnly) {
  const std::string path = PathFor("shared");
  Write(ShuffledBatch(2500), "ts", path);

  duck::DatabaseOptions read_only;
  read_only.read_only = true;
  read_only.threads = 1;
  std::optional<duck::Database> held;
  if (GetParam() == WriteFormat::kDuckdb) {
    held.emplace(ValueOrDie(duck::Database::Open(path, read_only), "open read-only"));
  }
  const WriteFormat format = GetParam();
  EXPECT_EXIT(
      {
        // The forked child: its own DuckDB instance and its own file lock.
        std::optional<duck::Database> own;
        std::string source = "read_parquet('" + path + "')";
        if (format == WriteFormat::kDuckdb) {
          auto opened = duck::Database::Open(path, read_only);
          if (!opened.ok()) {
            std::fprintf(stderr, "open: %s\n", opened.status().ToString().c_str());
            std::_Exit(2);
          }
          own.emplace(std::move(opened).value());
          source = "records";
        } else {
          own.emplace(ValueOrDie(duck::Database::Open(":memory:"), "open"));
        }
        auto conn = duck::Connection::Open(*own);
        auto r = conn.ok() ? conn->Query("SELECT count(*) FROM " + source)
                           : common::Result<duck::QueryResult>(conn.status());
        if (!r.ok()) {
          std::fprintf(stderr, "query: %s\n", r.status().ToString().c_str());
          std::_Exit(3);
        }
        std::_Exit(r->GetInt64(0, 0) == 2500 ? 0 : 4);
      },
      ::testing::ExitedWithCode(0), "");

  if (held.has_value()) {
    duck::Connection conn = ValueOrDie(duck::Connection::Open(*held), "connect");
    EXPECT_EQ(ValueOrDie(conn.Query("SELECT count(*) FROM records"), "count").GetInt64(0, 0), 2500);
  }
  PartitionReader reader(path, GetParam());
  EXPECT_EQ(reader.Query("count(*)").GetInt64(0, 0), 2500);
}

TEST_P(PartitionWriterFormatTest, FailedWritesLeaveNoFile) {
  // Columns that differ only in case: DuckDB identifiers are case-insensitive.
  RowBatch dup = RowBatch::Empty({{"ts", ColumnType::kTimestamp},
                                  {"Host", ColumnType::kString},
                                  {"host", ColumnType::kString}});
  dup.columns[0].AppendInt64(1);
  dup.columns[1].AppendString("a");
  dup.columns[2].AppendString("b");
  auto r1 = WritePartitionFile(dup, "ts", GetParam(), PathFor("dup"));
  EXPECT_EQ(r1.status().code(), StatusCode::kInvalidArgument) << r1.status().ToString();

  // An empty column name.
  RowBatch unnamed = RowBatch::Empty({{"ts", ColumnType::kTimestamp}, {"", ColumnType::kDouble}});
  unnamed.columns[0].AppendInt64(1);
  unnamed.columns[1].AppendDouble(1);
  auto r0 = WritePartitionFile(unnamed, "ts", GetParam(), PathFor("unnamed"));
  EXPECT_EQ(r0.status().code(), StatusCode::kInvalidArgument) << r0.status().ToString();

  // A string that is not UTF-8, in the second chunk.
  RowBatch bad = ShuffledBatch(3000);
  bad.columns[2].Truncate(2999);
  bad.columns[2].AppendString("\xff\xfe not utf-8");
  auto r2 = WritePartitionFile(bad, "ts", GetParam(), PathFor("bad_utf8"));
  EXPECT_EQ(r2.status().code(), StatusCode::kInvalidArgument) << r2.status().ToString();

  // No such directory.
  auto r3 = WritePartitionFile(ShuffledBatch(5), "ts", GetParam(),
                               (dir_.path() / "missing" / "p").string());
  EXPECT_FALSE(r3.ok());

  EXPECT_THAT(DirectoryEntries(dir_.path()), ElementsAre());
}

// Files under `dir` that this process still has open (an attachment the writer failed to drop).
std::vector<std::string> OpenFilesUnder(const fs::path& dir) {
  std::vector<std::string> open;
  for (const auto& fd : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const fs::path target = fs::read_symlink(fd.path(), ec);
    if (!ec && target.string().rfind(dir.string(), 0) == 0) open.push_back(target.string());
  }
  return open;
}

TEST_P(PartitionWriterFormatTest, OneWriterServesConcurrentWritesAndKeepsNothingOpen) {
  const PartitionWriter writer = ValueOrDie(PartitionWriter::Create(), "writer");
  constexpr int kThreads = 4;
  constexpr int kFilesPerThread = 5;
  std::vector<std::vector<common::Result<WrittenPartitionFile>>> results(kThreads);
  {
    std::vector<std::jthread> threads;
    threads.reserve(kThreads);
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kFilesPerThread; ++i) {
          const RowBatch batch = ShuffledBatch(2000 + static_cast<size_t>(100 * t + i));
          results[t].push_back(writer.Write(
              batch, "ts", GetParam(), PathFor("c" + std::to_string(t) + "_" + std::to_string(i))));
        }
      });
    }
  }
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kFilesPerThread; ++i) {
      const auto& written = results[t][i];
      ASSERT_TRUE(written.ok()) << written.status().ToString();
      PartitionReader reader(written->path, GetParam());
      EXPECT_EQ(reader.Query("count(*)").GetInt64(0, 0), 2000 + 100 * t + i);
    }
  }
  // A failed write on the same writer releases its file as well.
  RowBatch bad = ShuffledBatch(10);
  bad.columns[2].Truncate(9);
  bad.columns[2].AppendString("\xff");
  EXPECT_FALSE(writer.Write(bad, "ts", GetParam(), PathFor("bad")).ok());
  EXPECT_FALSE(fs::exists(PathFor("bad")));
  EXPECT_THAT(OpenFilesUnder(dir_.path()), ElementsAre());
  EXPECT_EQ(DirectoryEntries(dir_.path()).size(), static_cast<size_t>(kThreads * kFilesPerThread));
}

INSTANTIATE_TEST_SUITE_P(Formats, PartitionWriterFormatTest,
                         ::testing::Values(WriteFormat::kDuckdb, WriteFormat::kParquet),
                         [](const ::testing::TestParamInfo<WriteFormat>& info) {
                           return FormatName(info.param);
                         });

TEST(PartitionWriterTest, StatisticsJsonIsExactForAKnownBatch) {
  RowBatch b = RowBatch::Empty({{"timestamp", ColumnType::kTimestamp},
                                {"host", ColumnType::kString},
                                {"v", ColumnType::kDouble},
                                {"odd", ColumnType::kDouble},
                                {"n", ColumnType::kInteger},
                                {"ok", ColumnType::kBoolean},
                                {"flag", ColumnType::kBoolean},
                                {"nothing", ColumnType::kString},
                                {"when", ColumnType::kTimestamp}});
  auto& c = b.columns;
  // Row 0
  c[0].AppendInt64(kNewYear2024 + 10'000'000);  // 2024-01-01T00:00:10.000Z
  c[1].AppendString("a");
  c[2].AppendDouble(1.5);
  c[3].AppendDouble(std::numeric_limits<double>::infinity());
  c[4].AppendInt64(-5);
  c[5].AppendBool(true);
  c[6].AppendBool(false);
  c[7].AppendNull();
  c[8].AppendInt64(kMoonLanding);
  // Row 1
  c[0].AppendInt64(kNewYear2024 + 1);  // 2024-01-01T00:00:00.000001Z
  c[1].AppendNull();
  c[2].AppendDouble(std::numeric_limits<double>::quiet_NaN());
  c[3].AppendNull();
  c[4].AppendInt64(7);
  c[5].AppendNull();
  c[6].AppendBool(true);
  c[7].AppendNull();
  c[8].AppendNull();
  // Row 2
  c[0].AppendInt64(-500'000);     // 1969-12-31T23:59:59.500Z
  c[1].AppendString("\xc3\xa9");  // é: after every ASCII letter byte-wise
  c[2].AppendDouble(-2.25);
  c[3].AppendDouble(std::numeric_limits<double>::quiet_NaN());
  c[4].AppendNull();
  c[5].AppendBool(true);
  c[6].AppendBool(false);
  c[7].AppendNull();
  c[8].AppendInt64(0);
  // Row 3
  c[0].AppendInt64(kNewYear2024);
  c[1].AppendString("Z");
  c[2].AppendDouble(0.1);
  c[3].AppendDouble(-std::numeric_limits<double>::infinity());
  c[4].AppendInt64(0);
  c[5].AppendNull();
  c[6].AppendNull();
  c[7].AppendNull();
  c[8].AppendNull();

  testing::TempDir dir;
  for (WriteFormat format : {WriteFormat::kDuckdb, WriteFormat::kParquet}) {
    const std::string path = (dir.path() / FormatName(format)).string();
    const WrittenPartitionFile file =
        ValueOrDie(WritePartitionFile(b, "timestamp", format, path), "write");
    EXPECT_EQ(file.stats.row_count, 4);
    EXPECT_EQ(file.stats.min_time, -500'000);
    EXPECT_EQ(file.stats.max_time, kNewYear2024 + 10'000'000);
    EXPECT_EQ(EncodeColumnStatistics(file.stats.column_statistics),
              R"({"timestamp":{"min":"1969-12-31T23:59:59.500Z","max":"2024-01-01T00:00:10.000Z",)"
              R"("nullCount":0},)"
              R"("host":{"min":"Z","max":"é","nullCount":1},)"
              R"("v":{"min":-2.25,"max":1.5,"nullCount":0},)"
              R"("odd":{"nullCount":1},)"
              R"("n":{"min":-5,"max":7,"nullCount":1},)"
              R"("ok":{"min":true,"max":true,"nullCount":2},)"
              R"("flag":{"min":false,"max":true,"nullCount":1},)"
              R"("nothing":{"nullCount":4},)"
              R"("when":{"min":"1969-07-20T20:17:40.123456Z","max":"1970-01-01T00:00:00.000Z",)"
              R"("nullCount":2}})")
        << FormatName(format);
  }
}

TEST(PartitionWriterTest, RejectsBatchesWithoutAUsableTimestampColumn) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "p").string();
  RowBatch b = RowBatch::Empty({{"ts", ColumnType::kTimestamp}, {"s", ColumnType::kString}});

  auto empty = WritePartitionFile(b, "ts", WriteFormat::kParquet, path);
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);

  b.columns[0].AppendInt64(1);
  b.columns[1].AppendString("x");
  auto missing = WritePartitionFile(b, "time", WriteFormat::kParquet, path);
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(missing.status().message(), HasSubstr("'time'"));

  auto not_time = WritePartitionFile(b, "s", WriteFormat::kDuckdb, path);
  EXPECT_EQ(not_time.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(not_time.status().message(), HasSubstr("'s'"));

  b.columns[0].AppendNull();
  b.columns[1].AppendString("y");
  auto null_time = WritePartitionFile(b, "ts", WriteFormat::kDuckdb, path);
  EXPECT_EQ(null_time.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(null_time.status().message(), HasSubstr("NULL"));

  EXPECT_THAT(DirectoryEntries(dir.path()), ElementsAre());
}

}  // namespace
}  // namespace timestore::partition
