// query_bench: the end-to-end query benchmark of BENCH.md (TSBS cpu-only). It starts a throwaway
// PostgreSQL and a timestore server, ingests the TSBS dataset through the HTTP API, and runs seeded
// random instances of every TSBS query type three ways, interleaved: through POST
// /datasets/cpu/query, as SQL through POST /sql/read, and as the same SQL on raw DuckDB (the duck
// wrappers, in this process) over the very partition files the manifest lists. Every answer is
// compared with the raw one, so the tool is also an end-to-end test of the query API. See
// bench/README.md.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>
#include <unistd.h>

#include "bench/answer_table.h"
#include "bench/bench_flags.h"
#include "bench/bench_stats.h"
#include "bench/catalog_probe.h"
#include "bench/dataset_manifest.h"
#include "bench/query_flags.h"
#include "bench/raw_duck.h"
#include "bench/tsbs_data.h"
#include "bench/tsbs_ingest.h"
#include "bench/tsbs_queries.h"
#include "common/json_writer.h"
#include "common/status.h"
#include "duck/query_result.h"
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
constexpr std::string_view kSlug = kTsbsSlug;
// The target of the issue: the API's median within 1.3 x raw DuckDB's median + 2 ms.
constexpr double kTargetRatio = 1.3;
constexpr double kTargetSlackMs = 2;
// The target against the engine floor (a DuckDB table of the same rows in this process).
constexpr double kFloorTargetRatio = 1.2;
constexpr double kFloorTargetSlackMs = 0.3;

const char* const kUsage = R"(usage: query_bench [options]
  --scale HOSTS,HOURS   TSBS scale (default 100,24 = 864,000 rows)
  --instances N         seeded random instances per query type (default 20)
  --seed N              seed of the query instances (default 20160102)
  --data-seed N         generator seed of the dataset (default 20160101)
  --types LIST          comma list of query types (default: all 12, see below)
  --format duckdb|parquet  partition format: TIMESTORE_WRITE_FORMAT for the server (default:
                        the server's default); the raw baseline reads the same files
  --server-env NAME=VALUE  one more environment variable for the server (repeatable)
  --clients N           concurrent ingest clients (default 4)
  --batch N             rows per ingest request (default 5000)
  --no-sql              skip POST /sql/read
  --keep                keep the temporary directory (server log, storage, PostgreSQL log)
  --server PATH         timestore binary (default: the one built with this benchmark)
query types: single-groupby-1-1-1 single-groupby-1-1-12 single-groupby-1-8-1
  single-groupby-5-1-1 single-groupby-5-8-1 cpu-max-all-8 double-groupby-1 double-groupby-all
  high-cpu-1 high-cpu-all lastpoint groupby-orderby-limit
)";

struct Options : QueryRunFlags {
  ServerFlags server;
  bool sql = true;
};

common::Result<Options> ParseOptions(int argc, char** argv) {
  Options o;
  o.server.server_binary = TIMESTORE_BENCH_SERVER_BINARY;
  FlagReader flags(argc, argv);
  while (flags.Next()) {
    const std::string_view arg = flags.flag();
    TS_ASSIGN_OR_RETURN(bool run_flag, ReadQueryRunFlag(flags, o));
    if (run_flag) continue;
    TS_ASSIGN_OR_RETURN(bool server_flag, ReadServerFlag(flags, o.server));
    if (server_flag) {
      continue;
    }
    if (arg == "--no-sql") {
      o.sql = false;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    return common::InvalidArgument("unknown option '" + std::string(arg) + "'");
  }
  DefaultToAllTypes(o);
  return o;
}

// raw: DuckDB over the partition files; floor: the same rows in a DuckDB table
// (RawDuck::OpenFloor).
enum Way : size_t { kApi = 0, kSql = 1, kRaw = 2, kFloor = 3 };
constexpr size_t kWays = 4;
constexpr const char* kWayNames[] = {"API", "SQL", "raw", "floor"};

struct TypeResult {
  const QueryType* type = nullptr;
  std::vector<double> ms[kWays];               // timed runs per way
  std::vector<double> server_ms[2];            // statistics.elapsedMs of the API and SQL answers
  std::vector<double> scanned, pruned, total;  // the API's partition statistics
  std::vector<double> sql_scanned;             // /sql/read's, when it reports them
  std::vector<double> rows;                    // rows per answer
  int mismatches[2] = {0, 0};                  // API, SQL answers that differ from raw
  std::vector<std::string> errors;             // failed requests and first mismatches
};

std::string SqlBody(const std::string& sql) {
  common::JsonWriter w;
  w.BeginObject().Key("sql").String(sql).Key("params").BeginArray().EndArray().EndObject();
  return w.str();
}

// Runs one instance all three ways (in the order given), times each, and compares the answers
// with the raw one. `timed` false: a warm-up (compared, not recorded).
void RunInstance(const QueryType& type, const QueryInstance& q, size_t index, bool timed,
                 bool with_sql, harness::HttpClient& http, RawDuck& raw, RawDuck& floor,
                 simdjson::dom::parser& parser, TypeResult* out) {
  std::optional<std::string> bodies[2];
  const std::string raw_sql = raw.Rewrite(q.sql);
  const std::string floor_sql = floor.Rewrite(q.sql);
  std::optional<duck::QueryResult> floor_result;
  const std::string sql_body = SqlBody(q.sql);
  std::optional<duck::QueryResult> raw_result;
  const std::string where = std::string(type.name) + " #" + std::to_string(index) +
                            (timed ? "" : " (warm-up)") + " (" + q.summary + ")";
  auto fail = [&](std::string message) {
    std::fprintf(stderr, "FAIL %s: %s\n", where.c_str(), message.c_str());
    out->errors.push_back(where + ": " + std::move(message));
  };
  for (size_t k = 0; k < kWays; ++k) {
    const auto way = static_cast<Way>((index + k) % kWays);  // interleaved: each way goes first
    if (way == kSql && !with_sql) continue;
    const Clock::time_point start = Clock::now();
    if (way == kRaw || way == kFloor) {
      const std::string& sql = way == kRaw ? raw_sql : floor_sql;
      common::Result<duck::QueryResult> r = (way == kRaw ? raw : floor).Run(sql);
      const double ms = Millis(Clock::now() - start);
      if (!r.ok()) {
        fail(std::string(kWayNames[way]) + " DuckDB: " + r.status().ToString() +
             "\n    SQL: " + sql.substr(0, 600));
        return;
      }
      if (timed) out->ms[way].push_back(ms);
      (way == kRaw ? raw_result : floor_result).emplace(std::move(r).value());
      continue;
    }
    const std::string target =
        way == kApi ? "/datasets/" + std::string(kSlug) + "/query" : std::string("/sql/read");
    common::Result<harness::HttpResponse> r =
        http.Request("POST", target, "application/json", way == kApi ? q.api_body : sql_body);
    const double ms = Millis(Clock::now() - start);
    if (!r.ok() || r->status != 200) {
      fail(std::string(kWayNames[way]) + ": " +
           (r.ok() ? "HTTP " + std::to_string(r->status) + " " + r->body.substr(0, 500)
                   : r.status().ToString()) +
           "\n    request: " + (way == kApi ? q.api_body : sql_body));
      continue;
    }
    if (timed) out->ms[way].push_back(ms);
    bodies[way] = std::move(r->body);
  }
  if (!raw_result) return;
  Table expected = TableFromDuck(*raw_result);
  SortRows(&expected);
  if (floor_result) {
    Table from_floor = TableFromDuck(*floor_result);
    SortRows(&from_floor);
    if (const std::string problem = Compare(expected, from_floor); !problem.empty()) {
      fail("the floor's answer differs from raw DuckDB: " + problem);
    }
  }
  if (timed) out->rows.push_back(static_cast<double>(expected.rows.size()));
  for (Way way : {kApi, kSql}) {
    if (!bodies[way]) continue;
    AnswerMeta meta;
    const std::string problem = CheckAnswer(
        *bodies[way], expected,
        way == kApi ? ApiOnlyColumns(type) : std::vector<std::string_view>{}, parser, &meta);
    if (!problem.empty()) {
      ++out->mismatches[way];
      if (out->mismatches[way] <= 2) {
        fail(std::string(kWayNames[way]) + " answer differs from raw DuckDB: " + problem +
             "\n    request: " + (way == kApi ? q.api_body : sql_body) + "\n    raw SQL: " + q.sql);
      }
      continue;
    }
    if (!timed) continue;
    if (meta.elapsed_ms) out->server_ms[way].push_back(*meta.elapsed_ms);
    if (way == kApi) {
      if (meta.partitions_scanned)
        out->scanned.push_back(static_cast<double>(*meta.partitions_scanned));
      if (meta.partitions_pruned)
        out->pruned.push_back(static_cast<double>(*meta.partitions_pruned));
      if (meta.partitions_total) out->total.push_back(static_cast<double>(*meta.partitions_total));
    } else if (meta.partitions_scanned) {
      out->sql_scanned.push_back(static_cast<double>(*meta.partitions_scanned));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Report

std::string Ms(const std::vector<double>& v, double p) { return PercentileText(v, p); }

std::string Ratio(const std::vector<double>& a, const std::vector<double>& raw) {
  if (a.empty() || raw.empty() || Median(raw) <= 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", Median(a) / Median(raw));
  return buf;
}

// "pass" when median(a) <= 1.3 x median(raw) + 2 ms.
std::string Target(const std::vector<double>& a, const std::vector<double>& raw) {
  if (a.empty() || raw.empty()) return "-";
  return Median(a) <= kTargetRatio * Median(raw) + kTargetSlackMs ? "pass" : "FAIL";
}

// "pass" when median(a) <= 1.2 x median(floor) + 0.3 ms (the target against the engine floor).
std::string FloorTarget(const std::vector<double>& a, const std::vector<double>& floor) {
  if (a.empty() || floor.empty()) return "-";
  return Median(a) <= kFloorTargetRatio * Median(floor) + kFloorTargetSlackMs ? "pass" : "FAIL";
}

bool TypeOk(const TypeResult& r) { return r.errors.empty() && !r.ms[kRaw].empty(); }

void PrintTable(const std::vector<TypeResult>& results, bool with_sql) {
  std::printf("\n%-22s %4s %8s %8s %8s %8s %8s %8s %7s %7s %6s %6s %15s %8s %5s\n", "query type",
              "n", "API p50", "API p95", "SQL p50", "SQL p95", "raw p50", "raw p95", "API/raw",
              "SQL/raw", "API", "SQL", "scan/pruned/all", "rows", "check");
  for (const TypeResult& r : results) {
    char partitions[48] = "-";
    if (!r.scanned.empty()) {
      std::snprintf(partitions, sizeof partitions, "%.0f/%.0f/%.0f", Median(r.scanned),
                    Median(r.pruned), Median(r.total));
    }
    const std::string sql_target = with_sql ? Target(r.ms[kSql], r.ms[kRaw]) : "-";
    std::printf("%-22s %4zu %8s %8s %8s %8s %8s %8s %7s %7s %6s %6s %15s %8.0f %5s\n",
                std::string(r.type->name).c_str(), r.ms[kRaw].size(), Ms(r.ms[kApi], 0.5).c_str(),
                Ms(r.ms[kApi], 0.95).c_str(), Ms(r.ms[kSql], 0.5).c_str(),
                Ms(r.ms[kSql], 0.95).c_str(), Ms(r.ms[kRaw], 0.5).c_str(),
                Ms(r.ms[kRaw], 0.95).c_str(), Ratio(r.ms[kApi], r.ms[kRaw]).c_str(),
                Ratio(r.ms[kSql], r.ms[kRaw]).c_str(), Target(r.ms[kApi], r.ms[kRaw]).c_str(),
                sql_target.c_str(), partitions, r.rows.empty() ? 0.0 : Median(r.rows),
                TypeOk(r) ? "ok" : "FAIL");
  }
  std::printf("\n%-22s %9s %9s %9s %9s %9s %8s %8s\n", "query type", "floor p50", "API p50",
              "SQL p50", "API/floor", "SQL/floor", "API", "SQL");
  for (const TypeResult& r : results) {
    std::printf("%-22s %9s %9s %9s %9s %9s %8s %8s\n", std::string(r.type->name).c_str(),
                Ms(r.ms[kFloor], 0.5).c_str(), Ms(r.ms[kApi], 0.5).c_str(),
                Ms(r.ms[kSql], 0.5).c_str(), Ratio(r.ms[kApi], r.ms[kFloor]).c_str(),
                Ratio(r.ms[kSql], r.ms[kFloor]).c_str(),
                FloorTarget(r.ms[kApi], r.ms[kFloor]).c_str(),
                with_sql ? FloorTarget(r.ms[kSql], r.ms[kFloor]).c_str() : "-");
  }
}

void WriteSeries(common::JsonWriter& w, std::string_view key, const std::vector<double>& v) {
  w.Key(key).BeginObject();
  w.Key("n").Uint(v.size());
  if (!v.empty()) w.Key("p50").Double(Median(v)).Key("p95").Double(Percentile(v, 0.95));
  w.EndObject();
}

std::string SummaryJson(const Options& o, const std::vector<TypeResult>& results,
                        int64_t partitions, const std::string& format, bool with_sql) {
  common::JsonWriter w;
  w.BeginObject().Key("bench").String("query").Key("rows").Uint(o.scale.rows());
  w.Key("scale").BeginObject().Key("hosts").Uint(o.scale.hosts).Key("hours").Uint(o.scale.hours);
  w.EndObject();
  w.Key("instances").Int(o.instances).Key("seed").Uint(o.seed);
  w.Key("format").String(format).Key("partitions").Int(partitions);
  w.Key("sql").Bool(with_sql);
  w.Key("server_env").BeginArray();
  for (const std::string& e : o.server.server_env) w.String(e);
  w.EndArray();
  w.Key("results").BeginArray();
  for (const TypeResult& r : results) {
    w.BeginObject().Key("type").String(r.type->name).Key("ok").Bool(TypeOk(r));
    WriteSeries(w, "api_ms", r.ms[kApi]);
    WriteSeries(w, "sql_ms", r.ms[kSql]);
    WriteSeries(w, "raw_ms", r.ms[kRaw]);
    WriteSeries(w, "floor_ms", r.ms[kFloor]);
    WriteSeries(w, "api_server_ms", r.server_ms[kApi]);
    WriteSeries(w, "sql_server_ms", r.server_ms[kSql]);
    if (!r.ms[kApi].empty() && !r.ms[kRaw].empty()) {
      w.Key("api_vs_raw").Double(Median(r.ms[kApi]) / Median(r.ms[kRaw]));
      w.Key("api_target_met").Bool(Target(r.ms[kApi], r.ms[kRaw]) == "pass");
    }
    if (!r.ms[kSql].empty() && !r.ms[kRaw].empty()) {
      w.Key("sql_vs_raw").Double(Median(r.ms[kSql]) / Median(r.ms[kRaw]));
      w.Key("sql_target_met").Bool(Target(r.ms[kSql], r.ms[kRaw]) == "pass");
    }
    for (Way way : {kApi, kSql}) {
      if (r.ms[way].empty() || r.ms[kFloor].empty()) continue;
      w.Key(way == kApi ? "api_vs_floor" : "sql_vs_floor")
          .Double(Median(r.ms[way]) / Median(r.ms[kFloor]));
      w.Key(way == kApi ? "api_floor_target_met" : "sql_floor_target_met")
          .Bool(FloorTarget(r.ms[way], r.ms[kFloor]) == "pass");
    }
    if (!r.scanned.empty()) {
      w.Key("partitions_scanned").Double(Median(r.scanned));
      w.Key("partitions_pruned").Double(Median(r.pruned));
    }
    w.Key("rows").Double(r.rows.empty() ? 0 : Median(r.rows));
    w.Key("api_mismatches").Int(r.mismatches[kApi]).Key("sql_mismatches").Int(r.mismatches[kSql]);
    w.Key("errors").Uint(r.errors.size());
    w.EndObject();
  }
  w.EndArray().EndObject();
  return w.str();
}

// ---------------------------------------------------------------------------------------------
// main

// The live partitions' files: `storage_root`/<objectKey> of the manifest, each required to exist.
common::Result<std::vector<std::string>> LocalFiles(const DatasetManifest& manifest,
                                                    const std::string& storage_root) {
  std::vector<std::string> files;
  for (const ManifestPartition& p : manifest.partitions) {
    std::string path = storage_root + "/" + p.object_key;
    if (!std::filesystem::is_regular_file(path)) {
      return common::Internal("partition file " + path + " does not exist");
    }
    files.push_back(std::move(path));
  }
  return files;
}

// Whether POST /sql/read exists on the server (404/405 while it does not).
common::Result<bool> SqlReadAvailable(harness::HttpClient& http) {
  TS_ASSIGN_OR_RETURN(harness::HttpResponse r, http.Request("POST", "/sql/read", "application/json",
                                                            SqlBody("SELECT 1 AS one")));
  if (r.status == 200) return true;
  if (r.status == 404 || r.status == 405) return false;
  return common::Internal("POST /sql/read with SELECT 1: HTTP " + std::to_string(r.status) + " " +
                          r.body.substr(0, 300));
}

int Main(int argc, char** argv) {
  common::Result<Options> parsed = ParseOptions(argc, argv);
  if (!parsed.ok()) {
    std::fprintf(stderr, "query_bench: %s\n%s", parsed.status().message().c_str(), kUsage);
    return 2;
  }
  const Options o = std::move(parsed).value();
  harness::CleanupRegistry cleanup;  // before any thread starts
  common::Result<harness::WorkDir> work_dir = harness::WorkDir::Create(o.server.keep, &cleanup);
  if (!work_dir.ok()) {
    std::fprintf(stderr, "query_bench: %s\n", work_dir.status().ToString().c_str());
    return 1;
  }
  const std::string dir = work_dir->path();
  const std::string storage_root = dir + "/storage";
  std::filesystem::create_directories(storage_root);
  std::printf(
      "query_bench: TSBS cpu-only, %u hosts x %u h = %llu rows, %d instances per type, seed %llu, "
      "format %s\nwork dir %s\n",
      o.scale.hosts, o.scale.hours, static_cast<unsigned long long>(o.scale.rows()), o.instances,
      static_cast<unsigned long long>(o.seed),
      o.server.format.empty() ? "(server default)" : o.server.format.c_str(), dir.c_str());

  // The dataset, rendered before the server starts.
  RenderedBodies rendered;
  {
    const GeneratedData data = GenerateTsbs(o.scale, o.data_seed);
    common::Result<RenderedBodies> r = RenderBodies(data, o.batch);
    if (!r.ok()) {
      std::fprintf(stderr, "query_bench: %s\n", r.status().ToString().c_str());
      return 1;
    }
    rendered = std::move(r).value();
  }
  std::fflush(stdout);

  common::Result<harness::ThrowawayPostgres> pg = harness::ThrowawayPostgres::Start(
      TIMESTORE_BENCH_PG_TMP_SCRIPT, dir + "/pg.state", dir + "/pg.log", &cleanup);
  if (!pg.ok()) {
    std::fprintf(stderr, "query_bench: PostgreSQL: %s\n", pg.status().ToString().c_str());
    return 1;
  }
  harness::ServerProcessOptions server_options;
  server_options.binary = o.server.server_binary;
  server_options.database_url = pg->url();
  server_options.pg_schema = kPgSchema;
  server_options.storage_root = storage_root;
  server_options.log_path = dir + "/server.log";
  if (!o.server.format.empty())
    server_options.extra_env.push_back("TIMESTORE_WRITE_FORMAT=" + o.server.format);
  // /sql/read caps answers at 10,000 rows by default; high-cpu-all needs more (--server-env may
  // override this, it comes later).
  server_options.extra_env.emplace_back("TIMESTORE_SQL_MAX_ROWS=1000000");
  server_options.extra_env.insert(server_options.extra_env.end(), o.server.server_env.begin(),
                                  o.server.server_env.end());
  common::Result<harness::ServerProcess> server =
      harness::ServerProcess::Start(server_options, &cleanup);
  if (!server.ok()) {
    std::fprintf(stderr, "query_bench: server: %s\n", server.status().ToString().c_str());
    return 1;
  }
  std::printf("timestore pid %d on port %u\n", static_cast<int>(server->pid()), server->port());
  std::fflush(stdout);

  int exit_code = 0;
  [&] {
    common::Result<CatalogProbe> probe = CatalogProbe::Connect(pg->url(), kPgSchema);
    if (!probe.ok()) {
      std::fprintf(stderr, "query_bench: %s\n", probe.status().ToString().c_str());
      exit_code = 1;
      return;
    }
    const auto nonce = static_cast<uint64_t>(
        std::chrono::system_clock::now().time_since_epoch().count() ^ ::getpid());
    const IngestRunResult ingest =
        RunIngest(o.clients, std::string(kSlug), &rendered.bodies, rendered.batch_rows, *server,
                  *probe, storage_root, nonce);
    rendered = {};
    if (!ingest.error.empty()) {
      std::fprintf(stderr, "query_bench: ingest: %s\n", ingest.error.c_str());
      exit_code = 1;
      return;
    }
    std::printf(
        "ingested %lld committed rows with %d clients in %.3f s (%.0f rows/s), version "
        "%lld, %lld partitions\n",
        static_cast<long long>(ingest.snapshot->total_rows), o.clients, ingest.seconds,
        ingest.rows_per_s(), static_cast<long long>(ingest.snapshot->version),
        static_cast<long long>(ingest.snapshot->live_partitions));

    harness::HttpClient http("127.0.0.1", server->port());
    common::Result<DatasetManifest> manifest = ReadManifest(http, kSlug);
    common::Result<std::vector<std::string>> files =
        manifest.ok() ? LocalFiles(*manifest, storage_root)
                      : common::Result<std::vector<std::string>>(manifest.status());
    if (!files.ok()) {
      std::fprintf(stderr, "query_bench: %s\n", files.status().ToString().c_str());
      exit_code = 1;
      return;
    }
    if (static_cast<int64_t>(files->size()) != ingest.snapshot->live_partitions) {
      std::fprintf(stderr, "query_bench: the manifest lists %zu partitions, the catalog %lld\n",
                   files->size(), static_cast<long long>(ingest.snapshot->live_partitions));
      exit_code = 1;
      return;
    }
    std::printf("manifest version %lld: %zu %s partition files\n",
                static_cast<long long>(manifest->version), files->size(), manifest->format.c_str());
    common::Result<RawDuck> raw = RawDuck::Open(*files, manifest->format);
    if (!raw.ok()) {
      std::fprintf(stderr, "query_bench: raw DuckDB: %s\n", raw.status().ToString().c_str());
      exit_code = 1;
      return;
    }
    common::Result<RawDuck> floor = RawDuck::OpenFloor(*files, manifest->format);
    if (!floor.ok()) {
      std::fprintf(stderr, "query_bench: floor DuckDB: %s\n", floor.status().ToString().c_str());
      exit_code = 1;
      return;
    }
    bool with_sql = o.sql;
    if (with_sql) {
      common::Result<bool> available = SqlReadAvailable(http);
      if (!available.ok()) {
        std::fprintf(stderr, "query_bench: %s\n", available.status().ToString().c_str());
        exit_code = 1;
        return;
      }
      if (!*available) {
        std::printf("SQL (POST /sql/read): not available on this server (404) - skipped\n");
        with_sql = false;
      }
    }
    if (!o.sql) std::printf("SQL (POST /sql/read): skipped (--no-sql)\n");
    std::fflush(stdout);

    std::vector<TypeResult> results;
    simdjson::dom::parser parser;
    for (const QueryType* type : o.types) {
      const std::vector<QueryInstance> instances =
          MakeInstances(*type, o.scale, o.seed, static_cast<size_t>(o.instances));
      TypeResult result;
      result.type = type;
      // Warm-up: the first instance once each way (checked, not timed).
      RunInstance(*type, instances.front(), 0, false, with_sql, http, *raw, *floor, parser,
                  &result);
      for (size_t i = 0; i < instances.size(); ++i) {
        RunInstance(*type, instances[i], i, true, with_sql, http, *raw, *floor, parser, &result);
      }
      std::printf("%-22s API %s ms, SQL %s ms, raw %s ms (medians)%s\n",
                  std::string(type->name).c_str(), Ms(result.ms[kApi], 0.5).c_str(),
                  Ms(result.ms[kSql], 0.5).c_str(), Ms(result.ms[kRaw], 0.5).c_str(),
                  TypeOk(result) ? "" : "  FAILED");
      std::fflush(stdout);
      if (!TypeOk(result)) exit_code = 1;
      results.push_back(std::move(result));
    }
    PrintTable(results, with_sql);
    std::printf(
        "targets: median <= %.1f x raw median + %.0f ms (first table); median <= %.1f x floor "
        "median + %.1f ms (second). Times are wall-clock ms per query (API and SQL include HTTP "
        "and JSON; raw and floor are the DuckDB call in this process).\n",
        kTargetRatio, kTargetSlackMs, kFloorTargetRatio, kFloorTargetSlackMs);
    for (const TypeResult& r : results) {
      for (const std::string& e : r.errors) std::printf("  FAIL %s\n", e.substr(0, 2000).c_str());
    }
    std::printf("\n%s\n", SummaryJson(o, results, static_cast<int64_t>(files->size()),
                                      manifest->format, with_sql)
                              .c_str());
  }();

  exit_code = harness::StopServerAtEndOfRun(*server, server_options.log_path, exit_code);
  if (common::Status s = pg->Stop(); !s.ok()) {
    std::fprintf(stderr, "warning: %s\n", s.ToString().c_str());
  }
  return exit_code;
}

}  // namespace
}  // namespace timestore::bench

int main(int argc, char** argv) { return timestore::bench::Main(argc, argv); }
