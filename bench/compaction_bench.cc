// compaction_bench: the memory and speed of compaction. For each TSBS scale it ingests the rows
// through the HTTP API as many small partitions, restarts the server (so that nothing the ingest
// allocated is counted), compacts the dataset with POST /admin/lifecycle/run (inline) and reads the
// server's peak RSS (VmHWM, reset just before) next to the compaction memory budget. The same
// merge runs on raw DuckDB (defaults, one statement) in a child process as the baseline. The
// compacted files are checked: the same rows, sorted by time, full row groups. See bench/README.md.
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <simdjson.h>
#include <unistd.h>

#include "bench/bench_flags.h"
#include "bench/bench_stats.h"
#include "bench/catalog_probe.h"
#include "bench/tsbs_data.h"
#include "bench/tsbs_ingest.h"
#include "common/json_writer.h"
#include "common/status.h"
#include "duck/connection.h"
#include "duck/database.h"
#include "duck/sql_quoting.h"
#include "harness/child_process.h"
#include "harness/cleanup_registry.h"
#include "harness/http_client.h"
#include "harness/server_process.h"
#include "harness/throwaway_postgres.h"
#include "harness/work_dir.h"

#ifndef TIMESTORE_BENCH_SERVER_BINARY
#error \
    "TIMESTORE_BENCH_SERVER_BINARY must name the timestore executable (set by bench/CMakeLists.txt)"
#endif
#ifndef TIMESTORE_BENCH_PG_TMP_SCRIPT
#error "TIMESTORE_BENCH_PG_TMP_SCRIPT must name scripts/pg_tmp.sh (set by bench/CMakeLists.txt)"
#endif

namespace timestore::bench {
namespace {

constexpr const char* kPgSchema = "timestore";
constexpr const char* kBudgetVariable = "TIMESTORE_COMPACTION_MEMORY_LIMIT";
constexpr int64_t kRowGroupRows = 122'880;  // partition::kParquetRowGroupRows

double MiB(uint64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

const char* const kUsage = R"(usage: compaction_bench [options]
  --scale HOSTS,HOURS   TSBS scale to compact (repeatable; default 100,24 and 500,24 = 864,000
                        and 4,320,000 rows, one day each, so one compaction group)
  --budget SIZE         the server's compaction memory budget (TIMESTORE_COMPACTION_MEMORY_LIMIT,
                        e.g. 256MB); default: the server's default
  --batch N             rows per ingest request = per small partition (default 5000)
  --clients N           concurrent ingest clients (default 2)
  --format parquet      partition format (TIMESTORE_WRITE_FORMAT; the output checks read Parquet)
  --server-env NAME=VALUE  one more environment variable for the server (repeatable)
  --seed N              generator seed (default 20160101)
  --no-raw              skip the raw DuckDB baseline
  --keep                keep the temporary directory (server logs, storage)
  --server PATH         timestore binary (default: the one built with this benchmark)
)";

struct BenchOptions {
  std::vector<TsbsScale> scales;
  std::string budget;  // "" = the server's default
  size_t batch = 5000;
  int clients = 2;
  ServerFlags server;
  uint64_t seed = kTsbsDefaultSeed;
  bool raw = true;
};

common::Result<BenchOptions> ParseOptions(int argc, char** argv) {
  BenchOptions o;
  o.server.server_binary = TIMESTORE_BENCH_SERVER_BINARY;
  FlagReader flags(argc, argv);
  while (flags.Next()) {
    const std::string_view arg = flags.flag();
    TS_ASSIGN_OR_RETURN(bool server_flag, ReadServerFlag(flags, o.server));
    if (server_flag) continue;
    if (arg == "--scale") {
      TS_ASSIGN_OR_RETURN(std::string_view v, flags.Value());
      TS_ASSIGN_OR_RETURN(TsbsScale scale, ParseTsbsScale(v));
      o.scales.push_back(scale);
    } else if (arg == "--budget") {
      TS_ASSIGN_OR_RETURN(std::string_view v, flags.Value());
      o.budget = v;
    } else if (arg == "--batch") {
      TS_RETURN_IF_ERROR(flags.Integer<size_t>(&o.batch, 1, SIZE_MAX));
    } else if (arg == "--clients") {
      TS_RETURN_IF_ERROR(flags.Integer(&o.clients, 1, 64));
    } else if (arg == "--seed") {
      TS_RETURN_IF_ERROR(flags.Integer<uint64_t>(&o.seed, 0, UINT64_MAX));
    } else if (arg == "--no-raw") {
      o.raw = false;
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else {
      return common::InvalidArgument("unknown option '" + std::string(arg) + "'");
    }
  }
  if (o.server.format == "duckdb") {
    return common::InvalidArgument("--format duckdb: the output checks read Parquet files only");
  }
  if (o.scales.empty()) o.scales = {TsbsScale{100, 24}, TsbsScale{500, 24}};
  return o;
}

// A "<name>: <n> kB" line of /proc/<pid>/status, in bytes.
common::Result<uint64_t> ProcStatusBytes(pid_t pid, std::string_view name) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(name) && line.size() > name.size() && line[name.size()] == ':') {
      return std::strtoull(line.c_str() + name.size() + 1, nullptr, 10) * 1024;
    }
  }
  return common::Unavailable("no " + std::string(name) + " in /proc/" + std::to_string(pid) +
                             "/status");
}

// The TSBS columns of every row, hashed and summed: equal before and after a merge exactly when
// the merge kept every row (up to an astronomically unlikely collision), whatever the order.
std::string RowDigestSql(const std::string& from) {
  std::string columns = "\"timestamp\"";
  for (std::string_view t : kTsbsTagNames) columns += ", " + duck::QuoteIdent(t);
  for (std::string_view f : kTsbsFieldNames) columns += ", " + duck::QuoteIdent(f);
  return "SELECT count(*), sum(hash(" + columns + "))::VARCHAR FROM " + from;
}

std::string ParquetList(const std::vector<std::string>& paths) {
  std::string list;
  for (const std::string& p : paths) list += (list.empty() ? "" : ", ") + duck::QuoteLiteral(p);
  return "read_parquet([" + list + "], hive_partitioning = false)";
}

// ---------------------------------------------------------------------------------------------
// The raw baseline: one COPY ... ORDER BY over every input on a default DuckDB, in a child process
// (this one holds the generated data), which reports its own peak RSS.

struct RawMergeResult {
  bool ran = false;
  double seconds = 0;
  uint64_t peak_rss_bytes = 0;
  std::string error;
};

// The child's side: `list_path` holds one input path per line; writes `output`.
int RunRawMergeChild(const std::string& list_path, const std::string& output) {
  std::vector<std::string> paths;
  std::ifstream in(list_path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) paths.push_back(line);
  }
  const Clock::time_point start = Clock::now();
  auto db = duck::Database::Open(":memory:");
  if (!db.ok()) return std::fprintf(stderr, "%s\n", db.status().ToString().c_str()), 1;
  auto conn = duck::Connection::Open(*db);
  if (!conn.ok()) return std::fprintf(stderr, "%s\n", conn.status().ToString().c_str()), 1;
  const common::Status copied = conn->Execute(
      "COPY (SELECT * FROM " + ParquetList(paths) + " ORDER BY \"timestamp\") TO " +
      duck::QuoteLiteral(output) + " (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE " +
      std::to_string(kRowGroupRows) + ")");
  if (!copied.ok()) return std::fprintf(stderr, "%s\n", copied.ToString().c_str()), 1;
  const double seconds = Seconds(Clock::now() - start);
  const common::Result<uint64_t> peak = ProcStatusBytes(::getpid(), "VmHWM");
  std::printf("raw-merge seconds=%.6f peak_rss_bytes=%" PRIu64 "\n", seconds,
              peak.ok() ? *peak : 0);
  return 0;
}

RawMergeResult RunRawMerge(const std::vector<std::string>& paths, const std::string& dir) {
  RawMergeResult result;
  result.ran = true;
  const std::string list_path = dir + "/raw-inputs.txt";
  const std::string output = dir + "/raw-merged.parquet";
  const std::string log_path = dir + "/raw-merge.log";
  std::error_code ec;
  std::filesystem::remove(log_path, ec);  // the child appends to it
  {
    std::ofstream list(list_path);
    for (const std::string& p : paths) list << p << '\n';
  }
  harness::SpawnOptions spawn;
  spawn.argv = {"/proc/self/exe", "--raw-merge", list_path, output};
  spawn.env = harness::ChildEnvironment({}, {});
  spawn.output_path = log_path;
  spawn.die_with_parent = true;
  common::Result<int> code = harness::RunCommand(spawn);
  std::filesystem::remove(output, ec);
  std::ifstream log(log_path);
  const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  unsigned long long peak = 0;
  const size_t at = text.find("raw-merge ");
  if (!code.ok() || *code != 0 || at == std::string::npos ||
      std::sscanf(text.c_str() + at, "raw-merge seconds=%lf peak_rss_bytes=%llu", &result.seconds,
                  &peak) != 2) {
    result.error = "raw merge failed: " + (code.ok() ? text : code.status().ToString());
  }
  result.peak_rss_bytes = peak;
  return result;
}

// ---------------------------------------------------------------------------------------------
// One scale: ingest, restart, compact, check.

struct ScaleResult {
  TsbsScale scale;
  uint64_t rows = 0;
  int64_t files_before = 0;
  int64_t files_after = 0;
  int64_t steps = 0;
  double ingest_seconds = 0;
  double seconds = 0;           // the compaction request, sent .. answered
  uint64_t idle_rss_bytes = 0;  // the restarted server's RSS just before
  uint64_t peak_rss_bytes = 0;  // its VmHWM during the compaction
  RawMergeResult raw;
  std::string check;  // what the output check found
  std::string error;  // empty when everything succeeded
  double rows_per_s() const { return seconds > 0 ? static_cast<double>(rows) / seconds : 0; }
};

struct RunEnvironment {
  const BenchOptions& options;
  harness::ServerProcessOptions server;
  CatalogProbe& probe;
  harness::CleanupRegistry* cleanup;
  std::string storage_root;
  std::string work_dir;
};

std::vector<std::string> PathsOf(const std::string& root, const std::vector<std::string>& keys) {
  std::vector<std::string> paths;
  paths.reserve(keys.size());
  for (const std::string& k : keys) paths.push_back(root + "/" + k);
  return paths;
}

// POST /admin/lifecycle/run (inline compaction); fills `steps` from the job's result.
common::Status Compact(const harness::ServerProcess& server, const std::string& slug,
                       int64_t* steps) {
  harness::HttpClient http("127.0.0.1", server.port(), std::chrono::hours(2));
  const std::string body =
      R"({"datasetSlug":")" + slug + R"(","operations":["compaction"],"mode":"inline"})";
  TS_ASSIGN_OR_RETURN(harness::HttpResponse r,
                      http.Request("POST", "/admin/lifecycle/run", "application/json", body));
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view status;
  if (r.status != 200 || parser.parse(r.body).get(doc) != simdjson::SUCCESS ||
      doc["report"]["operations"].at(0)["status"].get(status) != simdjson::SUCCESS ||
      status != "succeeded" ||
      doc["report"]["operations"].at(0)["result"]["steps"].get(*steps) != simdjson::SUCCESS) {
    return common::Internal("compaction: HTTP " + std::to_string(r.status) + " " +
                            r.body.substr(0, 800));
  }
  return common::Status::Ok();
}

// Checks the live files after compaction: every file sorted by time in file order, every row
// group but a file's last full, and the rows the same as the inputs' (`digest_before`).
common::Result<std::string> CheckOutputs(const std::vector<std::string>& paths,
                                         const std::string& digest_before) {
  TS_ASSIGN_OR_RETURN(duck::Database db, duck::Database::Open(":memory:"));
  TS_ASSIGN_OR_RETURN(duck::Connection conn, duck::Connection::Open(db));
  int64_t partial_groups = 0;
  for (const std::string& path : paths) {
    const std::string file = duck::QuoteLiteral(path);
    TS_ASSIGN_OR_RETURN(
        duck::QueryResult order,
        conn.Query("SELECT count(*) FILTER (WHERE ts < prev) FROM (SELECT \"timestamp\" AS ts, "
                   "lag(\"timestamp\") OVER (ORDER BY file_row_number) AS prev FROM read_parquet(" +
                   file + ", file_row_number = true))"));
    if (order.GetInt64(0, 0) != 0) return common::Internal(path + " is not sorted by time");
    TS_ASSIGN_OR_RETURN(
        duck::QueryResult groups,
        conn.Query("SELECT count(*) FILTER (WHERE n <> " + std::to_string(kRowGroupRows) +
                   " AND id < (SELECT max(row_group_id) FROM parquet_metadata(" + file +
                   "))) FROM (SELECT row_group_id AS id, any_value(row_group_num_rows) AS n FROM "
                   "parquet_metadata(" +
                   file + ") GROUP BY 1)"));
    partial_groups += groups.GetInt64(0, 0);
  }
  if (partial_groups != 0) {
    return common::Internal(std::to_string(partial_groups) +
                            " row groups other than a file's last are not " +
                            std::to_string(kRowGroupRows) + " rows");
  }
  TS_ASSIGN_OR_RETURN(duck::QueryResult digest, conn.Query(RowDigestSql(ParquetList(paths))));
  const std::string after = std::string(digest.GetString(1, 0));
  if (after != digest_before) return common::Internal("the compacted rows differ from the inputs");
  return std::string("sorted, full row groups, same rows");
}

common::Result<std::string> DigestOf(const std::vector<std::string>& paths) {
  TS_ASSIGN_OR_RETURN(duck::Database db, duck::Database::Open(":memory:"));
  TS_ASSIGN_OR_RETURN(duck::Connection conn, duck::Connection::Open(db));
  TS_ASSIGN_OR_RETURN(duck::QueryResult digest, conn.Query(RowDigestSql(ParquetList(paths))));
  return std::string(digest.GetString(1, 0));
}

// Ingests the scale's rows into `slug` on a server of its own; stops that server.
common::Status IngestScale(RunEnvironment& env, const TsbsScale& scale, const std::string& slug,
                           ScaleResult& result) {
  const GeneratedData data = GenerateTsbs(scale, env.options.seed);
  TS_ASSIGN_OR_RETURN(RenderedBodies rendered, RenderBodies(data, env.options.batch));
  TS_ASSIGN_OR_RETURN(harness::ServerProcess server,
                      harness::ServerProcess::Start(env.server, env.cleanup));
  std::printf("  ingesting %zu rows in %zu requests ...\n", data.rows.size(),
              rendered.bodies.size());
  std::fflush(stdout);
  const auto nonce = static_cast<uint64_t>(::getpid());
  const IngestRunResult ingest =
      RunIngest(env.options.clients, slug, &rendered.bodies, rendered.batch_rows, server, env.probe,
                env.storage_root, nonce);
  const int stopped = server.Stop();
  if (!ingest.error.empty()) return common::Internal("ingest: " + ingest.error);
  if (stopped != 0)
    return common::Internal("the ingest server exited with " + std::to_string(stopped));
  result.rows = data.rows.size();
  result.ingest_seconds = ingest.seconds;
  result.files_before = ingest.snapshot->live_partitions;
  return common::Status::Ok();
}

// Compacts `slug` on a freshly started server, measuring its memory and time.
common::Status CompactScale(RunEnvironment& env, const std::string& slug, ScaleResult& result) {
  TS_ASSIGN_OR_RETURN(harness::ServerProcess server,
                      harness::ServerProcess::Start(env.server, env.cleanup));
  TS_ASSIGN_OR_RETURN(result.idle_rss_bytes, ProcStatusBytes(server.pid(), "VmRSS"));
  TS_RETURN_IF_ERROR(server.ResetPeakRss());
  std::printf("  compacting %" PRId64 " partitions (server pid %d, idle RSS %.1f MiB) ...\n",
              result.files_before, static_cast<int>(server.pid()), MiB(result.idle_rss_bytes));
  std::fflush(stdout);
  const Clock::time_point start = Clock::now();
  const common::Status compacted = Compact(server, slug, &result.steps);
  result.seconds = Seconds(Clock::now() - start);
  auto peak = server.PeakRssBytes();
  const int stopped = server.Stop();
  TS_RETURN_IF_ERROR(compacted);
  TS_RETURN_IF_ERROR(peak.status());
  result.peak_rss_bytes = *peak;
  if (stopped != 0) return common::Internal("the server exited with " + std::to_string(stopped));
  return common::Status::Ok();
}

ScaleResult RunScale(RunEnvironment& env, const TsbsScale& scale) {
  ScaleResult result;
  result.scale = scale;
  const std::string slug = "cpu-" + std::to_string(scale.rows());
  std::printf("scale %u hosts x %u h = %" PRIu64 " rows -> dataset %s\n", scale.hosts, scale.hours,
              scale.rows(), slug.c_str());
  std::fflush(stdout);
  auto fail = [&result](const common::Status& s) {
    result.error = s.ToString();
    return result;
  };
  if (common::Status s = IngestScale(env, scale, slug, result); !s.ok()) return fail(s);
  auto keys = env.probe.ListLiveObjectKeys(slug);
  if (!keys.ok()) return fail(keys.status());
  const std::vector<std::string> inputs = PathsOf(env.storage_root, *keys);
  auto digest = DigestOf(inputs);
  if (!digest.ok()) return fail(digest.status());
  if (env.options.raw) {
    result.raw = RunRawMerge(inputs, env.work_dir);
    if (!result.raw.error.empty()) return fail(common::Internal(result.raw.error));
  }
  if (common::Status s = CompactScale(env, slug, result); !s.ok()) return fail(s);
  auto snapshot = env.probe.GetDatasetSnapshot(slug);
  if (!snapshot.ok()) return fail(snapshot.status());
  result.files_after = snapshot->live_partitions;
  if (static_cast<uint64_t>(snapshot->total_rows) != result.rows) {
    return fail(common::Internal("the catalog holds " + std::to_string(snapshot->total_rows) +
                                 " rows after compaction"));
  }
  auto after = env.probe.ListLiveObjectKeys(slug);
  if (!after.ok()) return fail(after.status());
  auto check = CheckOutputs(PathsOf(env.storage_root, *after), *digest);
  if (!check.ok()) return fail(check.status());
  result.check = *check;
  return result;
}

// ---------------------------------------------------------------------------------------------
// Report

void PrintTable(const BenchOptions& o, const std::vector<ScaleResult>& results) {
  const std::string budget = o.budget.empty() ? "default" : o.budget;
  std::printf("\n%-10s %7s %6s %5s %9s %10s %8s %9s %9s %9s %8s %9s %8s\n", "rows", "inputs",
              "steps", "files", "seconds", "rows/s", "budget", "idle MiB", "peak MiB", "+peak MiB",
              "raw s", "raw MiB", "ts/raw");
  for (const ScaleResult& r : results) {
    if (!r.error.empty()) {
      std::printf("%-10" PRIu64 " FAILED: %s\n", r.scale.rows(), r.error.substr(0, 300).c_str());
      continue;
    }
    char raw_s[32] = "-", raw_mb[32] = "-", ratio[32] = "-";
    if (r.raw.ran) {
      std::snprintf(raw_s, sizeof raw_s, "%.2f", r.raw.seconds);
      std::snprintf(raw_mb, sizeof raw_mb, "%.1f", MiB(r.raw.peak_rss_bytes));
      std::snprintf(ratio, sizeof ratio, "%.3f",
                    r.rows_per_s() * r.raw.seconds / static_cast<double>(r.rows));
    }
    std::printf("%-10" PRIu64 " %7" PRId64 " %6" PRId64 " %5" PRId64
                " %9.2f %10.0f %8s %9.1f %9.1f %9.1f %8s %9s %8s\n",
                r.rows, r.files_before, r.steps, r.files_after, r.seconds, r.rows_per_s(),
                budget.c_str(), MiB(r.idle_rss_bytes), MiB(r.peak_rss_bytes),
                MiB(r.peak_rss_bytes - std::min(r.idle_rss_bytes, r.peak_rss_bytes)), raw_s, raw_mb,
                ratio);
  }
}

void PrintJson(const BenchOptions& o, const std::vector<ScaleResult>& results) {
  common::JsonWriter w;
  w.BeginObject().Key("bench").String("compaction");
  w.Key("budget").String(o.budget.empty() ? "server-default" : o.budget);
  w.Key("batch").Uint(o.batch).Key("clients").Int(o.clients).Key("seed").Uint(o.seed);
  w.Key("server_env").BeginArray();
  for (const std::string& e : o.server.server_env) w.String(e);
  w.EndArray();
  w.Key("results").BeginArray();
  for (const ScaleResult& r : results) {
    w.BeginObject().Key("rows").Uint(r.scale.rows()).Key("ok").Bool(r.error.empty());
    if (!r.error.empty()) w.Key("error").String(r.error);
    w.Key("inputs").Int(r.files_before).Key("steps").Int(r.steps);
    w.Key("files_after").Int(r.files_after).Key("seconds").Double(r.seconds);
    w.Key("rows_per_s").Double(std::round(r.rows_per_s()));
    w.Key("idle_rss_bytes").Uint(r.idle_rss_bytes);
    w.Key("peak_rss_bytes").Uint(r.peak_rss_bytes);
    w.Key("ingest_seconds").Double(r.ingest_seconds);
    w.Key("check").String(r.check);
    if (r.raw.ran) {
      w.Key("raw_seconds").Double(r.raw.seconds);
      w.Key("raw_peak_rss_bytes").Uint(r.raw.peak_rss_bytes);
    }
    w.EndObject();
  }
  w.EndArray().EndObject();
  std::printf("\n%s\n", w.str().c_str());
}

int Main(int argc, char** argv) {
  if (argc == 4 && std::string_view(argv[1]) == "--raw-merge") {
    return RunRawMergeChild(argv[2], argv[3]);
  }
  common::Result<BenchOptions> parsed = ParseOptions(argc, argv);
  if (!parsed.ok()) {
    std::fprintf(stderr, "compaction_bench: %s\n%s", parsed.status().message().c_str(), kUsage);
    return 2;
  }
  const BenchOptions o = std::move(parsed).value();
  harness::CleanupRegistry cleanup;  // before any thread starts
  auto tmp = harness::WorkDir::Create(o.server.keep, &cleanup);
  if (!tmp.ok()) return std::fprintf(stderr, "%s\n", tmp.status().ToString().c_str()), 1;
  const std::string storage_root = tmp->path() + "/storage";
  std::filesystem::create_directories(storage_root);
  std::printf("compaction_bench: budget %s, batch %zu, %d clients, work dir %s\n",
              o.budget.empty() ? "(server default)" : o.budget.c_str(), o.batch, o.clients,
              tmp->path().c_str());
  auto pg = harness::ThrowawayPostgres::Start(
      TIMESTORE_BENCH_PG_TMP_SCRIPT, tmp->path() + "/pg.state", tmp->path() + "/pg.log", &cleanup);
  if (!pg.ok()) return std::fprintf(stderr, "PostgreSQL: %s\n", pg.status().ToString().c_str()), 1;
  auto probe = CatalogProbe::Connect(pg->url(), kPgSchema);
  if (!probe.ok()) return std::fprintf(stderr, "%s\n", probe.status().ToString().c_str()), 1;

  RunEnvironment env{o, {}, *probe, &cleanup, storage_root, tmp->path()};
  env.server.binary = o.server.server_binary;
  env.server.database_url = pg->url();
  env.server.pg_schema = kPgSchema;
  env.server.storage_root = storage_root;
  env.server.log_path = tmp->path() + "/server.log";
  // Compaction runs only when asked; ingest never waits for it.
  env.server.extra_env = {"TIMESTORE_LIFECYCLE_ENABLED=false",
                          "TIMESTORE_INGEST_MAX_SMALL_PARTITIONS=0"};
  if (!o.budget.empty())
    env.server.extra_env.push_back(std::string(kBudgetVariable) + "=" + o.budget);
  if (!o.server.format.empty()) {
    env.server.extra_env.push_back("TIMESTORE_WRITE_FORMAT=" + o.server.format);
  }
  env.server.extra_env.insert(env.server.extra_env.end(), o.server.server_env.begin(),
                              o.server.server_env.end());

  std::vector<ScaleResult> results;
  int exit_code = 0;
  for (const TsbsScale& scale : o.scales) {
    results.push_back(RunScale(env, scale));
    const ScaleResult& r = results.back();
    if (!r.error.empty()) {
      std::printf("  FAILED: %s\n", r.error.c_str());
      exit_code = 1;
    } else {
      std::printf("  %" PRId64 " steps in %.2f s, peak RSS %.1f MiB; %s\n", r.steps, r.seconds,
                  MiB(r.peak_rss_bytes), r.check.c_str());
    }
    std::fflush(stdout);
  }
  PrintTable(o, results);
  PrintJson(o, results);
  if (common::Status s = pg->Stop(); !s.ok())
    std::fprintf(stderr, "warning: %s\n", s.ToString().c_str());
  return exit_code;
}

}  // namespace
}  // namespace timestore::bench

int main(int argc, char** argv) { return timestore::bench::Main(argc, argv); }
