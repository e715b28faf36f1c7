// partition_format_bench: how fast PartitionWriter writes TSBS cpu batches (bench/tsbs_data.h) as
// DuckDB files and as Parquet, how big the files are, and how fast a filtered aggregate reads 100
// small files of each format (and the same rows compacted into one file). The baseline in the same
// run ("raw"): the same rows appended through the duck Appender in 2048-row data chunks into a
// plain DuckDB file, with no sort, statistics, SHA-256, fsync or rename.
//
// Usage: partition_format_bench [--seconds S] [--sizes 100,1000,...] [--dir DIR] [--read-reps N]
// The cases of one batch size run interleaved, one call each per round, for about S seconds per
// case (default 1), so that load from other processes hits them alike; times are medians. Files go
// to a fresh directory under DIR (default: the system temp directory), removed at the end.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include "bench/tsbs_data.h"
#include "catalog/types.h"
#include "common/status.h"
#include "duck/appender.h"
#include "duck/connection.h"
#include "duck/data_chunk.h"
#include "duck/database.h"
#include "partition/partition_writer.h"
#include "partition/row_batch.h"

namespace timestore::bench {
namespace {

namespace fs = std::filesystem;
using catalog::ColumnDef;
using catalog::ColumnType;
using catalog::WriteFormat;
using Clock = std::chrono::steady_clock;

constexpr uint32_t kHosts = 100;

template <typename T>
T OrDie(common::Result<T> result, std::string_view what) {
  if (!result.ok()) {
    std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(what.size()), what.data(),
                 result.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(result).value();
}

void OrDie(const common::Status& status, std::string_view what) {
  if (!status.ok()) {
    std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(what.size()), what.data(),
                 status.ToString().c_str());
    std::exit(1);
  }
}

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The first `rows` rows of the TSBS cpu series for kHosts hosts, in time order.
std::vector<TsbsRow> TsbsRows(size_t rows, std::vector<TsbsHost>* hosts) {
  const auto hours = static_cast<uint32_t>((rows + kHosts * kTsbsTimestampsPerHour - 1) /
                                           (kHosts * kTsbsTimestampsPerHour));
  TsbsCpuGenerator generator({kHosts, std::max<uint32_t>(hours, 1)});
  std::vector<TsbsRow> out;
  generator.Next(rows, &out);
  *hosts = generator.hosts();
  return out;
}

// `rows` as a RowBatch: timestamp, the 10 tags (strings), the 10 fields (doubles).
partition::RowBatch ToRowBatch(std::span<const TsbsRow> rows, const std::vector<TsbsHost>& hosts) {
  std::vector<ColumnDef> schema = {{"timestamp", ColumnType::kTimestamp}};
  for (auto name : kTsbsTagNames) schema.push_back({std::string(name), ColumnType::kString});
  for (auto name : kTsbsFieldNames) schema.push_back({std::string(name), ColumnType::kDouble});
  partition::RowBatch batch = partition::RowBatch::Empty(schema);
  for (auto& column : batch.columns) column.Reserve(rows.size());
  for (const TsbsRow& row : rows) {
    batch.columns[0].AppendInt64(row.timestamp_micros);
    for (size_t t = 0; t < kTsbsTagCount; ++t) {
      batch.columns[1 + t].AppendString(hosts[row.host].tags[t]);
    }
    for (size_t f = 0; f < kTsbsFieldCount; ++f) {
      batch.columns[1 + kTsbsTagCount + f].AppendDouble(row.fields[f]);
    }
  }
  return batch;
}

// The baseline: `rows` as they are, appended in 2048-row data chunks into a plain DuckDB file
// ATTACHed to `conn`'s instance, then detached. `block_size` 0 keeps DuckDB's default (256 KiB).
int64_t WriteRawDuckdb(duck::Connection& conn, const partition::RowBatch& rows,
                       const std::string& path, int block_size) {
  std::string attach = "ATTACH '" + path + "' AS raw";  // the bench's paths need no quoting
  if (block_size > 0) attach += " (BLOCK_SIZE " + std::to_string(block_size) + ")";
  OrDie(conn.Execute(attach), "raw attach");
  std::string ddl = "CREATE TABLE raw.records (";
  std::vector<duck::Type> types;
  for (size_t c = 0; c < rows.schema.size(); ++c) {
    if (c > 0) ddl += ", ";
    ddl += rows.schema[c].name + " ";  // the TSBS names are plain identifiers
    switch (rows.schema[c].type) {
      case ColumnType::kTimestamp:
        ddl += "TIMESTAMP";
        types.push_back(duck::Type::kTimestamp);
        break;
      case ColumnType::kString:
        ddl += "VARCHAR";
        types.push_back(duck::Type::kVarchar);
        break;
      default:
        ddl += "DOUBLE";
        types.push_back(duck::Type::kDouble);
    }
  }
  OrDie(conn.Execute(ddl + ")"), "raw create");
  {
    duck::Appender appender =
        OrDie(duck::Appender::Create(conn, "raw", "main", "records"), "raw appender");
    duck::DataChunk chunk = OrDie(duck::DataChunk::Create(types), "raw chunk");
    const size_t n = rows.row_count();
    for (size_t first = 0; first < n; first += chunk.capacity()) {
      const size_t count = std::min(chunk.capacity(), n - first);
      for (size_t c = 0; c < rows.columns.size(); ++c) {
        const partition::ColumnBuffer& col = rows.columns[c];
        for (size_t r = 0; r < count; ++r) {
          switch (col.type()) {
            case ColumnType::kTimestamp:
              chunk.SetTimestampMicros(c, r, col.Int64At(first + r));
              break;
            case ColumnType::kString:
              chunk.SetString(c, r, col.StringAt(first + r));
              break;
            default:
              chunk.SetDouble(c, r, col.DoubleAt(first + r));
          }
        }
      }
      chunk.SetSize(count);
      OrDie(appender.AppendChunk(chunk), "raw append");
      chunk.Reset();
    }
    OrDie(appender.Close(), "raw close");
  }
  OrDie(conn.Execute("DETACH raw"), "raw detach");
  return static_cast<int64_t>(fs::file_size(path));
}

struct WriteCase {
  std::string name;
  std::function<int64_t(const partition::RowBatch&, const std::string&)> write;  // returns bytes
};

void RunWrites(const fs::path& dir, const std::vector<size_t>& sizes, double seconds,
               const partition::PartitionWriter& writer, duck::Connection& raw_conn) {
  auto shared = [&writer](WriteFormat format) {
    return [&writer, format](const partition::RowBatch& rows, const std::string& path) {
      return OrDie(writer.Write(rows, "timestamp", format, path), "write").size_bytes;
    };
  };
  auto one_shot = [](WriteFormat format) {
    return [format](const partition::RowBatch& rows, const std::string& path) {
      return OrDie(partition::WritePartitionFile(rows, "timestamp", format, path), "write")
          .size_bytes;
    };
  };
  auto raw = [&raw_conn](int block_size) {
    return [&raw_conn, block_size](const partition::RowBatch& rows, const std::string& path) {
      return WriteRawDuckdb(raw_conn, rows, path, block_size);
    };
  };
  const std::vector<WriteCase> cases = {
      {"duckdb", shared(WriteFormat::kDuckdb)},
      {"parquet", shared(WriteFormat::kParquet)},
      {"duckdb 1-shot", one_shot(WriteFormat::kDuckdb)},
      {"parquet 1-shot", one_shot(WriteFormat::kParquet)},
      {"raw duckdb", raw(0)},
      {"raw duckdb 16K", raw(16384)},
  };
  constexpr size_t kRawCase = 4;
  std::printf(
      "\nWrites. duckdb, parquet: PartitionWriter::Write on one shared writer (sort check, stats,\n"
      "SHA-256, fsync, no-replace rename). 1-shot: WritePartitionFile (a new DuckDB instance per\n"
      "file). raw: the plain appender into an ATTACHed DuckDB file with 256 KiB (default) or\n"
      "16 KiB blocks, nothing else. ms/file is the median of `reps` calls; `vs raw` = ms / raw "
      "ms.\n");
  std::printf("%9s  %-15s %5s %10s %12s %12s %10s %8s\n", "rows", "format", "reps", "ms/file",
              "rows/s", "file bytes", "bytes/row", "vs raw");

  std::vector<TsbsHost> hosts;
  const std::vector<TsbsRow> all = TsbsRows(*std::max_element(sizes.begin(), sizes.end()), &hosts);
  int counter = 0;
  for (size_t rows : sizes) {
    const partition::RowBatch batch = ToRowBatch(std::span<const TsbsRow>(all.data(), rows), hosts);
    std::vector<std::vector<double>> ms(cases.size());
    std::vector<int64_t> bytes(cases.size());
    const auto start = Clock::now();
    while (ms[0].empty() ||
           (MsSince(start) < seconds * 1000 * cases.size() && ms[0].size() < 500)) {
      for (size_t c = 0; c < cases.size(); ++c) {
        const std::string path = (dir / ("w" + std::to_string(counter++))).string();
        const auto t = Clock::now();
        bytes[c] = cases[c].write(batch, path);
        ms[c].push_back(MsSince(t));
        fs::remove(path);
      }
    }
    const double raw_ms = Median(ms[kRawCase]);
    for (size_t c = 0; c < cases.size(); ++c) {
      const double median = Median(ms[c]);
      std::printf("%9zu  %-15s %5zu %10.2f %12.0f %12lld %10.1f %7.2fx\n", rows,
                  cases[c].name.c_str(), ms[c].size(), median,
                  static_cast<double>(rows) / (median / 1000), static_cast<long long>(bytes[c]),
                  static_cast<double>(bytes[c]) / static_cast<double>(rows), median / raw_ms);
    }
    std::fflush(stdout);
  }
}

// Median of `reps` runs of `body` after one warm-up run.
double MedianMs(int reps, const std::function<void()>& body) {
  body();
  std::vector<double> ms;
  for (int i = 0; i < reps; ++i) {
    const auto start = Clock::now();
    body();
    ms.push_back(MsSince(start));
  }
  return Median(ms);
}

int64_t TotalBytes(const std::vector<std::string>& files) {
  int64_t total = 0;
  for (const auto& f : files) total += static_cast<int64_t>(fs::file_size(f));
  return total;
}

void RunReads(const fs::path& dir, int reps, const partition::PartitionWriter& writer,
              duck::Connection& raw_conn) {
  constexpr size_t kFiles = 100;
  constexpr size_t kRowsPerFile = 5000;
  constexpr int64_t kExpectedCount = kFiles * kRowsPerFile / kHosts;  // rows of host_7
  std::vector<TsbsHost> hosts;
  const std::vector<TsbsRow> all = TsbsRows(kFiles * kRowsPerFile, &hosts);
  std::vector<std::string> duck_files;
  std::vector<std::string> parquet_files;
  std::vector<std::string> raw16k_files;
  for (size_t i = 0; i < kFiles; ++i) {
    // One continuous series: file i holds rows [i * 5000, (i + 1) * 5000).
    const partition::RowBatch batch =
        ToRowBatch(std::span<const TsbsRow>(all.data() + i * kRowsPerFile, kRowsPerFile), hosts);
    const std::string stem = (dir / ("r" + std::to_string(i))).string();
    duck_files.push_back(stem + ".duckdb");
    parquet_files.push_back(stem + ".parquet");
    raw16k_files.push_back(stem + ".16k.duckdb");
    OrDie(writer.Write(batch, "timestamp", WriteFormat::kDuckdb, duck_files.back()), "write");
    OrDie(writer.Write(batch, "timestamp", WriteFormat::kParquet, parquet_files.back()), "write");
    WriteRawDuckdb(raw_conn, batch, raw16k_files.back(), 16384);
  }
  // The same rows compacted into one file of each format.
  const partition::RowBatch big = ToRowBatch(all, hosts);
  const std::vector<std::string> compact_duck = {(dir / "compact.duckdb").string()};
  const std::vector<std::string> compact_parquet = {(dir / "compact.parquet").string()};
  OrDie(writer.Write(big, "timestamp", WriteFormat::kDuckdb, compact_duck[0]), "write");
  OrDie(writer.Write(big, "timestamp", WriteFormat::kParquet, compact_parquet[0]), "write");

  // The reader: an in-memory DuckDB with default settings (a thread per core), as queries run.
  duck::Database db = OrDie(duck::Database::Open(":memory:"), "reader");
  duck::Connection conn = OrDie(duck::Connection::Open(db), "reader connect");
  // Q1: the filtered aggregate. Q2: TSBS double-groupby-1 (avg per host per hour over 12 h).
  auto q1 = [](const std::string& source) {
    return "SELECT max(usage_user), count(*) FROM " + source + " WHERE hostname = 'host_7'";
  };
  auto q2 = [](const std::string& source) {
    return "SELECT hostname, time_bucket(INTERVAL 1 hour, \"timestamp\") AS hour, "
           "avg(usage_user) FROM " +
           source +
           " WHERE \"timestamp\" >= TIMESTAMP '2016-01-01 01:00:00' AND \"timestamp\" < "
           "TIMESTAMP '2016-01-01 13:00:00' GROUP BY ALL";
  };
  auto run_q1 = [&](const std::string& source) {
    duck::QueryResult r = OrDie(conn.Query(q1(source)), "q1");
    if (r.GetInt64(1, 0) != kExpectedCount) {
      std::fprintf(stderr, "q1: unexpected count %lld\n", static_cast<long long>(r.GetInt64(1, 0)));
      std::exit(1);
    }
  };
  auto run_q2 = [&](const std::string& source) {
    duck::QueryResult r = OrDie(conn.Query(q2(source)), "q2");
    if (r.row_count() != kHosts * 12) {
      std::fprintf(stderr, "q2: unexpected groups %llu\n",
                   static_cast<unsigned long long>(r.row_count()));
      std::exit(1);
    }
  };

  std::printf(
      "\nReads, median of %d runs after a warm-up, in an in-memory DuckDB with default threads.\n"
      "Q1: SELECT max(usage_user), count(*) ... WHERE hostname='host_7'\n"
      "Q2: TSBS double-groupby-1: avg(usage_user) per host per hour, 12 h window (1,200 groups)\n",
      reps);
  std::printf("  %-70s %9s %12s\n", "files: case", "ms/query", "total bytes");
  auto line = [](const std::string& text, double ms) {
    std::printf("  %-70s %9.2f\n", text.c_str(), ms);
  };
  auto duck_cases = [&](const std::string& label, const std::vector<std::string>& files) {
    std::string attach_all;
    std::string detach_all;
    std::string source = "(";
    for (size_t i = 0; i < files.size(); ++i) {
      const std::string alias = "p" + std::to_string(i);
      attach_all += "ATTACH '" + files[i] + "' AS " + alias + " (READ_ONLY);";
      detach_all += "DETACH " + alias + ";";
      if (i > 0) source += " UNION ALL ";
      source += "SELECT \"timestamp\", hostname, usage_user FROM " + alias + ".records";
    }
    source += ")";
    const double cold = MedianMs(reps, [&] {
      OrDie(conn.Execute(attach_all), "attach");
      run_q1(source);
      OrDie(conn.Execute(detach_all), "detach");
    });
    const double attach_only = MedianMs(reps, [&] {
      OrDie(conn.Execute(attach_all), "attach");
      OrDie(conn.Execute(detach_all), "detach");
    });
    OrDie(conn.Execute(attach_all), "attach");
    const double warm1 = MedianMs(reps, [&] { run_q1(source); });
    const double warm2 = MedianMs(reps, [&] { run_q2(source); });
    OrDie(conn.Execute(detach_all), "detach");
    std::printf("  %-70s %9.2f %12lld\n", (label + ": ATTACH all + Q1 + DETACH all").c_str(), cold,
                static_cast<long long>(TotalBytes(files)));
    line(label + ": ATTACH all + DETACH all, no query", attach_only);
    line(label + ": Q1, files kept attached", warm1);
    line(label + ": Q2, files kept attached", warm2);
  };
  auto parquet_cases = [&](const std::string& label, const std::vector<std::string>& files) {
    std::string source = "read_parquet([";
    for (size_t i = 0; i < files.size(); ++i) source += (i ? ",'" : "'") + files[i] + "'";
    source += "])";
    OrDie(conn.Execute("SET parquet_metadata_cache = false"), "set");
    const double plain1 = MedianMs(reps, [&] { run_q1(source); });
    const double plain2 = MedianMs(reps, [&] { run_q2(source); });
    OrDie(conn.Execute("SET parquet_metadata_cache = true"), "set");
    const double cached1 = MedianMs(reps, [&] { run_q1(source); });
    OrDie(conn.Execute("SET parquet_metadata_cache = false"), "set");
    std::printf("  %-70s %9.2f %12lld\n", (label + ": Q1 via read_parquet([...])").c_str(), plain1,
                static_cast<long long>(TotalBytes(files)));
    line(label + ": Q1, parquet_metadata_cache=true", cached1);
    line(label + ": Q2 via read_parquet([...])", plain2);
  };
  duck_cases("100 x 5,000 duckdb", duck_files);
  duck_cases("100 x 5,000 raw duckdb, 16 KiB blocks", raw16k_files);
  parquet_cases("100 x 5,000 parquet", parquet_files);
  duck_cases("1 x 500,000 duckdb (compacted)", compact_duck);
  parquet_cases("1 x 500,000 parquet (compacted)", compact_parquet);
}

std::vector<size_t> ParseSizes(const std::string& text) {
  std::vector<size_t> sizes;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    sizes.push_back(std::stoul(text.substr(pos, comma - pos)));
    pos = comma + 1;
  }
  return sizes;
}

int Main(int argc, char** argv) {
  double seconds = 1.0;
  std::vector<size_t> sizes = {100, 1'000, 5'000, 50'000, 500'000};
  fs::path base = fs::temp_directory_path();
  int read_reps = 20;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--seconds" && has_value) {
      seconds = std::stod(argv[++i]);
    } else if (arg == "--sizes" && has_value) {
      sizes = ParseSizes(argv[++i]);
    } else if (arg == "--dir" && has_value) {
      base = argv[++i];
    } else if (arg == "--read-reps" && has_value) {
      read_reps = std::stoi(argv[++i]);
    } else {
      std::fprintf(stderr,
                   "usage: %s [--seconds S] [--sizes N,N,...] [--dir DIR] [--read-reps N]\n",
                   argv[0]);
      return 2;
    }
  }
  if (sizes.empty()) return 2;
  const fs::path dir = base / ("partition_format_bench_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::printf(
      "partition_format_bench: TSBS cpu rows (21 columns, %u hosts, 10 s interval), files "
      "in %s\n",
      kHosts, dir.c_str());

  const partition::PartitionWriter writer = OrDie(partition::PartitionWriter::Create(), "writer");
  duck::DatabaseOptions single_thread;  // the raw baseline runs like the writer: one thread
  single_thread.threads = 1;
  duck::Database raw_db = OrDie(duck::Database::Open(":memory:", single_thread), "raw db");
  duck::Connection raw_conn = OrDie(duck::Connection::Open(raw_db), "raw connect");
  RunWrites(dir, sizes, seconds, writer, raw_conn);
  RunReads(dir, read_reps, writer, raw_conn);
  fs::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace timestore::bench

int main(int argc, char** argv) { return timestore::bench::Main(argc, argv); }
