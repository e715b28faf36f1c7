// s3_query_bench: the TSBS query benchmark with the S3 storage driver against the local driver in
// the same run (issue "Remote storage"). It starts a throwaway PostgreSQL, a throwaway s3rver and
// two timestore servers on the same PostgreSQL (different catalog schemas): one with the local
// driver, one with TIMESTORE_STORAGE_DRIVER=s3 and its own partition cache. Both ingest the same
// TSBS dataset. Then:
// - warm: every instance of every query type runs on both servers, interleaved, after the S3
//   server was restarted with an empty cache and each instance ran once on it (so the cache holds
//   what was downloaded, not what the ingest wrote through); the S3 / local ratio of the medians;
// - cold: a few instances per type, each on an S3 server restarted with an empty cache, against
//   the time it takes to download exactly the files that query fetched (S3ObjectStore::GetFile,
//   sequentially and with the server's fetch concurrency) plus the local query time.
// Every answer is compared with raw DuckDB over the local server's files and the S3 answer with
// the local one. See bench/README.md.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
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
#include "harness/cleanup_registry.h"
#include "harness/http_client.h"
#include "harness/server_process.h"
#include "harness/throwaway_postgres.h"
#include "harness/throwaway_s3.h"
#include "harness/work_dir.h"
#include "storage/s3_object_store.h"

#ifndef TIMESTORE_BENCH_SERVER_BINARY
#error \
    "TIMESTORE_BENCH_SERVER_BINARY must name the timestore executable (set by bench/CMakeLists.txt)"
#endif
#ifndef TIMESTORE_BENCH_PG_TMP_SCRIPT
#error "TIMESTORE_BENCH_PG_TMP_SCRIPT must name scripts/pg_tmp.sh (set by bench/CMakeLists.txt)"
#endif
#ifndef TIMESTORE_BENCH_S3_TMP_SCRIPT
#error "TIMESTORE_BENCH_S3_TMP_SCRIPT must name scripts/s3_tmp.sh (set by bench/CMakeLists.txt)"
#endif

namespace timestore::bench {
namespace {

namespace fs = std::filesystem;

constexpr const char* kLocalSchema = "timestore_local";
constexpr const char* kS3Schema = "timestore_s3";
// Warm target of the issue: the S3 server's median at most 1.1 x the local server's.
constexpr double kWarmTargetRatio = 1.1;
// Cold target: the cold query at most ~1.2 x (direct download of its files + local query).
constexpr double kColdTargetRatio = 1.2;
constexpr int kDefaultFetchConcurrency = 4;  // TIMESTORE_QUERY_FETCH_CONCURRENCY's default

const char* const kUsage = R"(usage: s3_query_bench [options]
  --scale HOSTS,HOURS   TSBS scale (default 100,24 = 864,000 rows)
  --instances N         seeded random instances per query type, warm (default 20)
  --cold-instances N    of those, how many run cold, each on a restarted server (default 3)
  --seed N              seed of the query instances (default 20160102)
  --data-seed N         generator seed of the dataset (default 20160101)
  --types LIST          comma list of query types (default: all 12, see query_bench --help)
  --format duckdb|parquet  TIMESTORE_WRITE_FORMAT of both servers (default: the server's)
  --server-env NAME=VALUE  one more environment variable for both servers (repeatable); a
                        TIMESTORE_QUERY_FETCH_CONCURRENCY here also sets the direct download's
  --clients N           concurrent ingest clients (default 4)
  --batch N             rows per ingest request (default 5000)
  --keep                keep the temporary directory (server logs, storage, caches)
  --server PATH         timestore binary (default: the one built with this benchmark)
)";

struct Options : QueryRunFlags {
  int cold_instances = 3;
  ServerFlags server;
  int fetch_concurrency = kDefaultFetchConcurrency;
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
      // A TIMESTORE_QUERY_FETCH_CONCURRENCY for the servers also sets the direct download's.
      constexpr std::string_view kFetch = "TIMESTORE_QUERY_FETCH_CONCURRENCY=";
      const std::string env = arg == "--server-env" ? o.server.server_env.back() : std::string();
      if (env.starts_with(kFetch) &&
          (!ParseNumber(std::string_view(env).substr(kFetch.size()), &o.fetch_concurrency) ||
           o.fetch_concurrency < 1 || o.fetch_concurrency > 64)) {
        return common::InvalidArgument("--server-env: '" + env +
                                       "' is not an integer from 1 to 64");
      }
      continue;
    }
    if (arg == "--cold-instances") {
      TS_RETURN_IF_ERROR(flags.Integer(&o.cold_instances, 0, 100000));
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

// ---------------------------------------------------------------------------------------------
// The servers

// Starts and restarts the S3 server with a given partition cache directory; the rest of its
// configuration stays the same.
class S3Server {
 public:
  S3Server(harness::ServerProcessOptions base, harness::CleanupRegistry* cleanup)
      : base_(std::move(base)), cleanup_(cleanup) {}

  // Stops the running server (if any) and starts one whose TIMESTORE_CACHE_DIR is `cache_dir`.
  common::Status Restart(const std::string& cache_dir) {
    if (common::Status s = Stop(); !s.ok()) return s;
    harness::ServerProcessOptions options = base_;
    options.extra_env.push_back("TIMESTORE_CACHE_DIR=" + cache_dir);
    TS_ASSIGN_OR_RETURN(harness::ServerProcess started,
                        harness::ServerProcess::Start(options, cleanup_));
    process_.emplace(std::move(started));
    return common::Status::Ok();
  }

  // Stops the running server; kInternal when it did not exit cleanly.
  common::Status Stop() {
    if (!process_) return common::Status::Ok();
    const int code = process_->Stop();
    process_.reset();
    if (code != 0) {
      return common::Internal("the S3 server exited with " + std::to_string(code) + " (log " +
                              base_.log_path + ")");
    }
    return common::Status::Ok();
  }

  harness::ServerProcess& process() { return *process_; }
  const std::string& log_path() const { return base_.log_path; }

 private:
  harness::ServerProcessOptions base_;
  harness::CleanupRegistry* cleanup_;
  std::optional<harness::ServerProcess> process_;
};

// The sum of the samples of the counter `name` in a Prometheus text answer (every label set).
common::Result<double> ReadCounter(harness::HttpClient& http, std::string_view name) {
  TS_ASSIGN_OR_RETURN(harness::HttpResponse r, http.Request("GET", "/metrics", "", ""));
  if (r.status != 200) return common::Internal("GET /metrics: HTTP " + std::to_string(r.status));
  double sum = 0;
  bool found = false;
  size_t at = 0;
  while (at < r.body.size()) {
    size_t end = r.body.find('\n', at);
    if (end == std::string::npos) end = r.body.size();
    const std::string_view line(r.body.data() + at, end - at);
    at = end + 1;
    if (!line.starts_with(name) || line.size() <= name.size() ||
        (line[name.size()] != ' ' && line[name.size()] != '{')) {
      continue;
    }
    const size_t space = line.rfind(' ');
    try {
      sum += std::stod(std::string(line.substr(space + 1)));
      found = true;
    } catch (const std::exception&) {
      return common::Internal("GET /metrics: bad sample line '" + std::string(line) + "'");
    }
  }
  if (!found) return common::Internal("GET /metrics has no " + std::string(name));
  return sum;
}

// The files in the partition cache directory `cache_dir` (layout `<store_id>/<key>`): their object
// keys and sizes. Temporary files (.tmp-*) are skipped.
std::vector<ManifestPartition> CachedObjects(const std::string& cache_dir) {
  std::vector<ManifestPartition> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(cache_dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    const std::string rel = fs::relative(it->path(), cache_dir).generic_string();
    const size_t slash = rel.find('/');
    if (slash == std::string::npos || rel.starts_with(".tmp-")) continue;
    out.push_back({rel.substr(slash + 1), static_cast<int64_t>(it->file_size())});
  }
  return out;
}

// Downloads `objects` from `store` into `dir` with `concurrency` threads (each taking the next
// object, as the server's fetch does) and returns the wall time in ms; the files are removed
// afterwards.
common::Result<double> TimeDownload(storage::ObjectStore& store,
                                    const std::vector<ManifestPartition>& objects, int concurrency,
                                    const std::string& dir) {
  fs::create_directories(dir);
  std::vector<common::Status> status(objects.size(), common::Status::Ok());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t k = next++; k < objects.size(); k = next++) {
      status[k] = store.GetFile(objects[k].object_key, dir + "/" + std::to_string(k));
    }
  };
  const Clock::time_point start = Clock::now();
  {
    std::vector<std::jthread> pool;
    const size_t threads = std::min(objects.size(), static_cast<size_t>(concurrency));
    for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
  }
  const double ms = Millis(Clock::now() - start);
  std::error_code ec;
  fs::remove_all(dir, ec);
  for (size_t k = 0; k < objects.size(); ++k) {
    if (!status[k].ok()) return status[k].WithContext("GET " + objects[k].object_key);
  }
  return ms;
}

// ---------------------------------------------------------------------------------------------
// Running queries

enum Side : size_t { kLocal = 0, kS3 = 1 };
constexpr const char* kSideNames[] = {"local", "S3"};

struct Answer {
  double ms = 0;
  AnswerMeta meta;
  std::string problem;  // empty: the answer matched (raw DuckDB, and for S3 the local answer)
};

// POST /datasets/cpu/query, timed; its answer checked against `expected` (the raw one) and read
// into `*table`.
Answer RunQuery(harness::HttpClient& http, const QueryType& type, const QueryInstance& q,
                const Table& expected, simdjson::dom::parser& parser, Table* table) {
  Answer a;
  const Clock::time_point start = Clock::now();
  common::Result<harness::HttpResponse> r = http.Request(
      "POST", "/datasets/" + std::string(kTsbsSlug) + "/query", "application/json", q.api_body);
  a.ms = Millis(Clock::now() - start);
  if (!r.ok() || r->status != 200) {
    a.problem = r.ok() ? "HTTP " + std::to_string(r->status) + " " + r->body.substr(0, 500)
                       : r.status().ToString();
    return a;
  }
  a.problem = CheckAnswer(r->body, expected, ApiOnlyColumns(type), parser, &a.meta, table);
  return a;
}

struct Reference {
  Table expected;  // raw DuckDB over the local files, sorted
  std::string problem;
};

Reference RawReference(RawDuck& raw, const QueryInstance& q) {
  Reference ref;
  common::Result<duck::QueryResult> r = raw.Run(raw.Rewrite(q.sql));
  if (!r.ok()) {
    ref.problem = "raw DuckDB: " + r.status().ToString();
    return ref;
  }
  ref.expected = TableFromDuck(*r);
  SortRows(&ref.expected);
  return ref;
}

struct WarmResult {
  const QueryType* type = nullptr;
  std::vector<double> ms[2];        // timed runs per side
  std::vector<double> s3_fetched;   // partitionsFetched of the timed S3 runs (0 when warm)
  std::vector<double> scanned[2];   // partitionsScanned per side
  std::vector<double> rows;         // rows per answer
  int mismatches = 0;               // answers that differ
  std::vector<std::string> errors;  // the first failures
};

struct ColdResult {
  const QueryType* type = nullptr;
  size_t instance = 0;
  double cold_ms = 0;
  int64_t files_fetched = 0;    // statistics.partitionsFetched
  double bytes_downloaded = 0;  // timestore_cache_bytes_downloaded_total growth
  size_t cached_files = 0;      // files in the cache afterwards (what the direct GETs fetch)
  int64_t cached_bytes = 0;
  double direct_sequential_ms = 0;  // the same objects, one GET after another
  double direct_concurrent_ms = 0;  // with the fetch concurrency
  double local_ms = 0;              // the same query on the (warm) local server
  std::string problem;
  double ratio() const {
    const double bound = direct_concurrent_ms + local_ms;
    return bound > 0 ? cold_ms / bound : 0;
  }
};

void Fail(std::vector<std::string>* errors, const std::string& where, const std::string& problem,
          const QueryInstance& q) {
  std::fprintf(stderr, "FAIL %s: %s\n", where.c_str(), problem.c_str());
  if (errors->size() < 4)
    errors->push_back(where + ": " + problem + "\n    request: " + q.api_body);
}

// The warm measurement of one query type (see the file comment).
WarmResult RunWarm(const QueryType& type, const std::vector<QueryInstance>& instances,
                   const std::vector<Reference>& refs, harness::HttpClient* http[2],
                   simdjson::dom::parser& parser) {
  WarmResult out;
  out.type = &type;
  Table local_table, s3_table;
  auto where = [&](size_t i, const char* what) {
    return std::string(type.name) + " #" + std::to_string(i) + " " + what + " (" +
           instances[i].summary + ")";
  };
  // Prime the S3 server's cache: every instance once (downloads what it needs).
  for (size_t i = 0; i < instances.size(); ++i) {
    if (!refs[i].problem.empty()) continue;
    Answer a = RunQuery(*http[kS3], type, instances[i], refs[i].expected, parser, &s3_table);
    if (!a.problem.empty()) {
      ++out.mismatches;
      Fail(&out.errors, where(i, "S3 priming"), a.problem, instances[i]);
    }
  }
  for (size_t i = 0; i <= instances.size(); ++i) {
    // i == 0 is the warm-up (instance 0, not recorded); then instance i - 1.
    const bool timed = i > 0;
    const size_t n = timed ? i - 1 : 0;
    if (!refs[n].problem.empty()) {
      if (timed) Fail(&out.errors, where(n, "raw"), refs[n].problem, instances[n]);
      continue;
    }
    Answer answers[2];
    for (size_t k = 0; k < 2; ++k) {
      const auto side = static_cast<Side>((n + k) % 2);  // interleaved: each side goes first
      answers[side] = RunQuery(*http[side], type, instances[n], refs[n].expected, parser,
                               side == kLocal ? &local_table : &s3_table);
    }
    if (answers[kS3].problem.empty() && answers[kLocal].problem.empty()) {
      const std::string differs = Compare(local_table, s3_table);
      if (!differs.empty()) answers[kS3].problem = "differs from the local answer: " + differs;
    }
    for (Side side : {kLocal, kS3}) {
      const Answer& a = answers[side];
      if (!a.problem.empty()) {
        ++out.mismatches;
        Fail(&out.errors, where(n, kSideNames[side]), a.problem, instances[n]);
        continue;
      }
      if (!timed) continue;
      out.ms[side].push_back(a.ms);
      if (a.meta.partitions_scanned) {
        out.scanned[side].push_back(static_cast<double>(*a.meta.partitions_scanned));
      }
      if (side == kS3) out.s3_fetched.push_back(a.meta.partitions_fetched.value_or(-1));
    }
    if (timed) out.rows.push_back(static_cast<double>(refs[n].expected.rows.size()));
  }
  return out;
}

// A query that prunes every partition (a window before the data): after a restart it loads the
// catalog, the manifest and DuckDB without downloading anything.
std::string PruneEverythingBody() {
  common::JsonWriter w;
  w.BeginObject().Key("timeRange").BeginObject().Key("start").String("2000-01-01T00:00:00Z");
  w.Key("end").String("2000-01-02T00:00:00Z").EndObject();
  w.Key("limit").Int(1).EndObject();
  return w.str();
}

struct ColdContext {
  S3Server* s3;
  harness::HttpClient* local_http;
  storage::ObjectStore* store;
  std::string work_dir;
  int fetch_concurrency;
};

// One cold instance: a restarted S3 server with an empty cache, its first query, then the direct
// download of the files that query fetched and the same query on the local server.
ColdResult RunCold(const QueryType& type, size_t index, const QueryInstance& q,
                   const Reference& ref, ColdContext& ctx, simdjson::dom::parser& parser) {
  ColdResult out;
  out.type = &type;
  out.instance = index;
  if (!ref.problem.empty()) {
    out.problem = ref.problem;
    return out;
  }
  const std::string cache_dir = ctx.work_dir + "/cache-cold";
  std::error_code ec;
  fs::remove_all(cache_dir, ec);
  if (common::Status s = ctx.s3->Restart(cache_dir); !s.ok()) {
    out.problem = "restart: " + s.ToString();
    return out;
  }
  harness::HttpClient http("127.0.0.1", ctx.s3->process().port());
  common::Result<harness::HttpResponse> primed =
      http.Request("POST", "/datasets/" + std::string(kTsbsSlug) + "/query", "application/json",
                   PruneEverythingBody());
  if (!primed.ok() || primed->status != 200) {
    out.problem = "the pruning query: " + (primed.ok() ? "HTTP " + std::to_string(primed->status) +
                                                             " " + primed->body.substr(0, 300)
                                                       : primed.status().ToString());
    return out;
  }
  common::Result<double> before = ReadCounter(http, "timestore_cache_bytes_downloaded_total");
  Table s3_table, local_table;
  const Answer cold = RunQuery(http, type, q, ref.expected, parser, &s3_table);
  common::Result<double> after = ReadCounter(http, "timestore_cache_bytes_downloaded_total");
  out.cold_ms = cold.ms;
  out.files_fetched = cold.meta.partitions_fetched.value_or(-1);
  if (!before.ok() || !after.ok()) {
    out.problem = (before.ok() ? after : before).status().ToString();
    return out;
  }
  out.bytes_downloaded = *after - *before;
  if (!cold.problem.empty()) {
    out.problem = cold.problem;
    return out;
  }
  const std::vector<ManifestPartition> objects = CachedObjects(cache_dir);
  out.cached_files = objects.size();
  for (const ManifestPartition& p : objects) out.cached_bytes += p.size_bytes;
  if (static_cast<int64_t>(objects.size()) != out.files_fetched) {
    out.problem = "the cache holds " + std::to_string(objects.size()) +
                  " files, the answer says partitionsFetched " + std::to_string(out.files_fetched);
    return out;
  }
  for (const auto& [concurrency, ms] :
       {std::pair{1, &out.direct_sequential_ms},
        std::pair{ctx.fetch_concurrency, &out.direct_concurrent_ms}}) {
    common::Result<double> t =
        TimeDownload(*ctx.store, objects, concurrency, ctx.work_dir + "/direct");
    if (!t.ok()) {
      out.problem = "direct download: " + t.status().ToString();
      return out;
    }
    *ms = *t;
  }
  const Answer local = RunQuery(*ctx.local_http, type, q, ref.expected, parser, &local_table);
  out.local_ms = local.ms;
  if (!local.problem.empty()) {
    out.problem = "local: " + local.problem;
  } else if (const std::string differs = Compare(local_table, s3_table); !differs.empty()) {
    out.problem = "the cold S3 answer differs from the local answer: " + differs;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Report

std::string Fixed(double v, const char* format = "%.2f") {
  char buf[32];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::optional<double> WarmRatio(const WarmResult& r) {
  if (r.ms[kLocal].empty() || r.ms[kS3].empty() || Median(r.ms[kLocal]) <= 0) return std::nullopt;
  return Median(r.ms[kS3]) / Median(r.ms[kLocal]);
}

bool WarmOk(const WarmResult& r) { return r.errors.empty() && r.mismatches == 0; }

void PrintWarmTable(const std::vector<WarmResult>& results) {
  std::printf("\nwarm (S3 cache filled by queries, not by the ingest)\n");
  std::printf("%-22s %4s %9s %9s %9s %9s %8s %6s %7s %11s %8s %5s\n", "query type", "n",
              "local p50", "local p95", "S3 p50", "S3 p95", "S3/local", "target", "fetched",
              "scanned l/s", "rows", "check");
  for (const WarmResult& r : results) {
    const std::optional<double> ratio = WarmRatio(r);
    double fetched = 0;
    for (double f : r.s3_fetched) fetched += f;
    std::string scanned = "-";
    if (!r.scanned[kLocal].empty() && !r.scanned[kS3].empty()) {
      scanned =
          Fixed(Median(r.scanned[kLocal]), "%.0f") + "/" + Fixed(Median(r.scanned[kS3]), "%.0f");
    }
    std::printf("%-22s %4zu %9s %9s %9s %9s %8s %6s %7.0f %11s %8.0f %5s\n",
                std::string(r.type->name).c_str(), r.ms[kS3].size(),
                PercentileText(r.ms[kLocal], 0.5).c_str(),
                PercentileText(r.ms[kLocal], 0.95).c_str(), PercentileText(r.ms[kS3], 0.5).c_str(),
                PercentileText(r.ms[kS3], 0.95).c_str(), ratio ? Fixed(*ratio).c_str() : "-",
                !ratio                       ? "-"
                : *ratio <= kWarmTargetRatio ? "pass"
                                             : "FAIL",
                fetched, scanned.c_str(), r.rows.empty() ? 0.0 : Median(r.rows),
                WarmOk(r) ? "ok" : "FAIL");
  }
  std::printf(
      "target: S3 median <= %.1f x local median. Times are wall-clock ms per query (HTTP, JSON); "
      "fetched: partitions the timed S3 runs downloaded (0 = warm).\n",
      kWarmTargetRatio);
}

void PrintColdTable(const std::vector<ColdResult>& results, int concurrency) {
  std::printf("\ncold (each row: a restarted S3 server with an empty cache, its first query)\n");
  std::printf("%-22s %3s %9s %5s %9s %9s %9s %9s %9s %6s %6s %5s\n", "query type", "#", "cold ms",
              "files", "MB", "GET 1 ms", "GET xN ms", "local ms", "bound ms", "ratio", "target",
              "check");
  std::vector<double> ratios;
  for (const ColdResult& r : results) {
    const double bound = r.direct_concurrent_ms + r.local_ms;
    const bool ok = r.problem.empty();
    if (ok) ratios.push_back(r.ratio());
    std::printf("%-22s %3zu %9.1f %5lld %9.3f %9.1f %9.1f %9.1f %9.1f %6s %6s %5s\n",
                std::string(r.type->name).c_str(), r.instance, r.cold_ms,
                static_cast<long long>(r.files_fetched),
                Mb(static_cast<uint64_t>(r.bytes_downloaded)), r.direct_sequential_ms,
                r.direct_concurrent_ms, r.local_ms, bound, ok ? Fixed(r.ratio()).c_str() : "-",
                !ok                             ? "-"
                : r.ratio() <= kColdTargetRatio ? "pass"
                                                : "FAIL",
                ok ? "ok" : "FAIL");
  }
  std::printf(
      "GET xN: the same objects with S3ObjectStore::GetFile, N = %d at once (the server's fetch "
      "concurrency); bound = GET xN + local; ratio = cold / bound, target <= %.1f",
      concurrency, kColdTargetRatio);
  if (!ratios.empty()) {
    std::printf("; median ratio %.2f, max %.2f", Median(ratios), Percentile(ratios, 1.0));
  }
  std::printf("\n");
}

void WriteSeries(common::JsonWriter& w, std::string_view key, const std::vector<double>& v) {
  w.Key(key).BeginObject();
  w.Key("n").Uint(v.size());
  if (!v.empty()) w.Key("p50").Double(Median(v)).Key("p95").Double(Percentile(v, 0.95));
  w.EndObject();
}

std::string SummaryJson(const Options& o, const std::string& format, size_t partitions[2],
                        const std::vector<WarmResult>& warm, const std::vector<ColdResult>& cold) {
  common::JsonWriter w;
  w.BeginObject().Key("bench").String("s3_query").Key("rows").Uint(o.scale.rows());
  w.Key("scale").BeginObject().Key("hosts").Uint(o.scale.hosts).Key("hours").Uint(o.scale.hours);
  w.EndObject();
  w.Key("instances").Int(o.instances).Key("cold_instances").Int(o.cold_instances);
  w.Key("seed").Uint(o.seed).Key("format").String(format);
  w.Key("partitions_local").Uint(partitions[kLocal]).Key("partitions_s3").Uint(partitions[kS3]);
  w.Key("fetch_concurrency").Int(o.fetch_concurrency);
  w.Key("server_env").BeginArray();
  for (const std::string& e : o.server.server_env) w.String(e);
  w.EndArray();
  w.Key("warm").BeginArray();
  for (const WarmResult& r : warm) {
    w.BeginObject().Key("type").String(r.type->name).Key("ok").Bool(WarmOk(r));
    WriteSeries(w, "local_ms", r.ms[kLocal]);
    WriteSeries(w, "s3_ms", r.ms[kS3]);
    if (const std::optional<double> ratio = WarmRatio(r)) {
      w.Key("s3_vs_local").Double(*ratio).Key("target_met").Bool(*ratio <= kWarmTargetRatio);
    }
    double fetched = 0;
    for (double f : r.s3_fetched) fetched += f;
    w.Key("s3_partitions_fetched").Double(fetched);
    w.Key("mismatches").Int(r.mismatches).EndObject();
  }
  w.EndArray().Key("cold").BeginArray();
  for (const ColdResult& r : cold) {
    w.BeginObject().Key("type").String(r.type->name).Key("instance").Uint(r.instance);
    w.Key("ok").Bool(r.problem.empty()).Key("cold_ms").Double(r.cold_ms);
    w.Key("partitions_fetched").Int(r.files_fetched);
    w.Key("bytes_downloaded").Double(r.bytes_downloaded);
    w.Key("cached_bytes").Int(r.cached_bytes);
    w.Key("direct_sequential_ms").Double(r.direct_sequential_ms);
    w.Key("direct_concurrent_ms").Double(r.direct_concurrent_ms);
    w.Key("local_ms").Double(r.local_ms).Key("ratio").Double(r.ratio());
    w.Key("target_met").Bool(r.problem.empty() && r.ratio() <= kColdTargetRatio);
    w.EndObject();
  }
  w.EndArray().EndObject();
  return w.str();
}

// ---------------------------------------------------------------------------------------------
// main

// Ingests the rendered bodies into `server` and checks the catalog; prints a line. Empty on
// success, else the error.
std::string Ingest(const char* name, const Options& o, RenderedBodies& rendered,
                   harness::ServerProcess& server, const std::string& pg_url, const char* schema,
                   const std::string& storage_root) {
  common::Result<CatalogProbe> probe = CatalogProbe::Connect(pg_url, schema);
  if (!probe.ok()) return probe.status().ToString();
  const auto nonce = static_cast<uint64_t>(
      std::chrono::system_clock::now().time_since_epoch().count() ^ ::getpid());
  const IngestRunResult ingest =
      RunIngest(o.clients, std::string(kTsbsSlug), &rendered.bodies, rendered.batch_rows, server,
                *probe, storage_root, nonce);
  if (!ingest.error.empty()) return std::string(name) + " ingest: " + ingest.error;
  std::printf(
      "%-5s ingested %lld committed rows with %d clients in %.3f s (%.0f rows/s), %lld "
      "partitions\n",
      name, static_cast<long long>(ingest.snapshot->total_rows), o.clients, ingest.seconds,
      ingest.rows_per_s(), static_cast<long long>(ingest.snapshot->live_partitions));
  std::fflush(stdout);
  return "";
}

int Main(int argc, char** argv) {
  common::Result<Options> parsed = ParseOptions(argc, argv);
  if (!parsed.ok()) {
    std::fprintf(stderr, "s3_query_bench: %s\n%s", parsed.status().message().c_str(), kUsage);
    return 2;
  }
  const Options o = std::move(parsed).value();
  harness::CleanupRegistry cleanup;  // before any thread starts
  common::Result<harness::WorkDir> work_dir = harness::WorkDir::Create(o.server.keep, &cleanup);
  if (!work_dir.ok()) {
    std::fprintf(stderr, "s3_query_bench: %s\n", work_dir.status().ToString().c_str());
    return 1;
  }
  const std::string dir = work_dir->path();
  std::printf(
      "s3_query_bench: TSBS cpu-only, %u hosts x %u h = %llu rows, %d instances per type (%d "
      "cold), seed %llu, format %s\nwork dir %s\n",
      o.scale.hosts, o.scale.hours, static_cast<unsigned long long>(o.scale.rows()), o.instances,
      o.cold_instances, static_cast<unsigned long long>(o.seed),
      o.server.format.empty() ? "(server default)" : o.server.format.c_str(), dir.c_str());

  RenderedBodies rendered;
  {
    const GeneratedData data = GenerateTsbs(o.scale, o.data_seed);
    common::Result<RenderedBodies> r = RenderBodies(data, o.batch);
    if (!r.ok()) {
      std::fprintf(stderr, "s3_query_bench: %s\n", r.status().ToString().c_str());
      return 1;
    }
    rendered = std::move(r).value();
  }
  std::fflush(stdout);

  common::Result<harness::ThrowawayPostgres> pg = harness::ThrowawayPostgres::Start(
      TIMESTORE_BENCH_PG_TMP_SCRIPT, dir + "/pg.state", dir + "/pg.log", &cleanup);
  if (!pg.ok()) {
    std::fprintf(stderr, "s3_query_bench: PostgreSQL: %s\n", pg.status().ToString().c_str());
    return 1;
  }
  common::Result<harness::ThrowawayS3> s3rver = harness::ThrowawayS3::Start(
      TIMESTORE_BENCH_S3_TMP_SCRIPT, dir + "/s3.state", dir + "/s3.log", &cleanup);
  if (!s3rver.ok()) {
    std::fprintf(stderr, "s3_query_bench: s3rver: %s\n", s3rver.status().ToString().c_str());
    return 1;
  }
  std::printf("s3rver at %s, bucket %s\n", s3rver->endpoint().c_str(), s3rver->bucket().c_str());

  harness::ServerProcessOptions common_options;
  common_options.binary = o.server.server_binary;
  common_options.database_url = pg->url();
  if (!o.server.format.empty())
    common_options.extra_env.push_back("TIMESTORE_WRITE_FORMAT=" + o.server.format);
  common_options.extra_env.insert(common_options.extra_env.end(), o.server.server_env.begin(),
                                  o.server.server_env.end());
  harness::ServerProcessOptions local_options = common_options;
  local_options.pg_schema = kLocalSchema;
  local_options.storage_root = dir + "/local-storage";
  local_options.log_path = dir + "/server-local.log";
  harness::ServerProcessOptions s3_options = common_options;
  s3_options.pg_schema = kS3Schema;
  s3_options.storage_root = dir + "/s3-staging";
  s3_options.log_path = dir + "/server-s3.log";
  s3_options.extra_env.insert(
      s3_options.extra_env.begin(),
      {"TIMESTORE_STORAGE_DRIVER=s3", "TIMESTORE_S3_ENDPOINT=" + s3rver->endpoint(),
       "TIMESTORE_S3_BUCKET=" + s3rver->bucket(),
       std::string("TIMESTORE_S3_ACCESS_KEY_ID=") + harness::ThrowawayS3::kAccessKeyId,
       std::string("TIMESTORE_S3_SECRET_ACCESS_KEY=") + harness::ThrowawayS3::kSecretAccessKey});
  for (const std::string& d : {local_options.storage_root, s3_options.storage_root}) {
    fs::create_directories(d);
  }

  common::Result<harness::ServerProcess> local =
      harness::ServerProcess::Start(local_options, &cleanup);
  if (!local.ok()) {
    std::fprintf(stderr, "s3_query_bench: local server: %s\n", local.status().ToString().c_str());
    return 1;
  }
  S3Server s3(s3_options, &cleanup);
  if (common::Status s = s3.Restart(dir + "/cache-ingest"); !s.ok()) {
    std::fprintf(stderr, "s3_query_bench: S3 server: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("timestore local pid %d on port %u, S3 pid %d on port %u\n",
              static_cast<int>(local->pid()), local->port(), static_cast<int>(s3.process().pid()),
              s3.process().port());
  std::fflush(stdout);

  int exit_code = 0;
  [&] {
    for (const auto& [name, server, schema, root] :
         {std::tuple{"local", &*local, kLocalSchema, local_options.storage_root},
          std::tuple{"S3", &s3.process(), kS3Schema, s3_options.storage_root}}) {
      const std::string error = Ingest(name, o, rendered, *server, pg->url(), schema, root);
      if (!error.empty()) {
        std::fprintf(stderr, "s3_query_bench: %s\n", error.c_str());
        exit_code = 1;
        return;
      }
    }
    rendered = {};

    // Raw DuckDB over the local server's files: the reference answers.
    harness::HttpClient local_http("127.0.0.1", local->port());
    DatasetManifest manifests[2];
    for (Side side : {kLocal, kS3}) {
      harness::HttpClient http("127.0.0.1", side == kLocal ? local->port() : s3.process().port());
      common::Result<DatasetManifest> m = ReadManifest(http, kTsbsSlug);
      if (!m.ok()) {
        std::fprintf(stderr, "s3_query_bench: %s manifest: %s\n", kSideNames[side],
                     m.status().ToString().c_str());
        exit_code = 1;
        return;
      }
      manifests[side] = std::move(m).value();
    }
    std::vector<std::string> files;
    int64_t bytes[2] = {0, 0};
    for (const ManifestPartition& p : manifests[kLocal].partitions) {
      files.push_back(local_options.storage_root + "/" + p.object_key);
    }
    for (Side side : {kLocal, kS3}) {
      for (const ManifestPartition& p : manifests[side].partitions) bytes[side] += p.size_bytes;
    }
    size_t partitions[2] = {manifests[kLocal].partitions.size(), manifests[kS3].partitions.size()};
    std::printf("partitions: local %zu %s files (%.1f MB), S3 %zu %s objects (%.1f MB)\n",
                partitions[kLocal], manifests[kLocal].format.c_str(),
                Mb(static_cast<uint64_t>(bytes[kLocal])), partitions[kS3],
                manifests[kS3].format.c_str(), Mb(static_cast<uint64_t>(bytes[kS3])));
    common::Result<RawDuck> raw = RawDuck::Open(files, manifests[kLocal].format);
    if (!raw.ok()) {
      std::fprintf(stderr, "s3_query_bench: raw DuckDB: %s\n", raw.status().ToString().c_str());
      exit_code = 1;
      return;
    }
    storage::S3Options store_options;
    store_options.endpoint = s3rver->endpoint();
    store_options.bucket = s3rver->bucket();
    store_options.access_key_id = harness::ThrowawayS3::kAccessKeyId;
    store_options.secret_access_key = harness::ThrowawayS3::kSecretAccessKey;
    store_options.staging_dir = dir + "/direct-staging";
    common::Result<std::unique_ptr<storage::S3ObjectStore>> store =
        storage::S3ObjectStore::Open(store_options);
    if (!store.ok()) {
      std::fprintf(stderr, "s3_query_bench: %s\n", store.status().ToString().c_str());
      exit_code = 1;
      return;
    }

    // Warm: the S3 server restarted on an empty cache, which the queries themselves fill.
    const std::string warm_cache = dir + "/cache-warm";
    if (common::Status s = s3.Restart(warm_cache); !s.ok()) {
      std::fprintf(stderr, "s3_query_bench: S3 server restart: %s\n", s.ToString().c_str());
      exit_code = 1;
      return;
    }
    std::error_code ec;
    fs::remove_all(dir + "/cache-ingest", ec);
    harness::HttpClient s3_http("127.0.0.1", s3.process().port());
    harness::HttpClient* http[2] = {&local_http, &s3_http};
    simdjson::dom::parser parser;
    std::vector<WarmResult> warm;
    std::vector<std::vector<QueryInstance>> instances;
    std::vector<std::vector<Reference>> refs;
    for (const QueryType* type : o.types) {
      instances.push_back(MakeInstances(*type, o.scale, o.seed, static_cast<size_t>(o.instances)));
      refs.emplace_back();
      for (const QueryInstance& q : instances.back()) refs.back().push_back(RawReference(*raw, q));
      WarmResult r = RunWarm(*type, instances.back(), refs.back(), http, parser);
      std::printf("warm %-22s local %s ms, S3 %s ms (medians)%s\n", std::string(type->name).c_str(),
                  PercentileText(r.ms[kLocal], 0.5).c_str(), PercentileText(r.ms[kS3], 0.5).c_str(),
                  WarmOk(r) ? "" : "  FAILED");
      std::fflush(stdout);
      if (!WarmOk(r)) exit_code = 1;
      warm.push_back(std::move(r));
    }
    s3_http.Close();
    fs::remove_all(warm_cache, ec);

    // Cold: a fresh cache per query.
    ColdContext ctx{&s3, &local_http, store->get(), dir, o.fetch_concurrency};
    std::vector<ColdResult> cold;
    for (size_t t = 0; t < o.types.size(); ++t) {
      for (size_t i = 0; i < static_cast<size_t>(o.cold_instances); ++i) {
        ColdResult r = RunCold(*o.types[t], i, instances[t][i], refs[t][i], ctx, parser);
        std::printf(
            "cold %-22s #%zu %.1f ms, %lld files, %.3f MB, GET x%d %.1f ms, local %.1f ms%s\n",
            std::string(o.types[t]->name).c_str(), i, r.cold_ms,
            static_cast<long long>(r.files_fetched), Mb(static_cast<uint64_t>(r.bytes_downloaded)),
            o.fetch_concurrency, r.direct_concurrent_ms, r.local_ms,
            r.problem.empty() ? "" : "  FAILED");
        std::fflush(stdout);
        if (!r.problem.empty()) {
          std::fprintf(stderr, "FAIL cold %s #%zu: %s\n", std::string(o.types[t]->name).c_str(), i,
                       r.problem.c_str());
          exit_code = 1;
        }
        cold.push_back(std::move(r));
      }
    }

    PrintWarmTable(warm);
    PrintColdTable(cold, o.fetch_concurrency);
    for (const WarmResult& r : warm) {
      for (const std::string& e : r.errors) std::printf("  FAIL %s\n", e.substr(0, 2000).c_str());
    }
    for (const ColdResult& r : cold) {
      if (!r.problem.empty()) {
        std::printf("  FAIL cold %s #%zu: %s\n", std::string(r.type->name).c_str(), r.instance,
                    r.problem.substr(0, 2000).c_str());
      }
    }
    std::printf("\n%s\n", SummaryJson(o, manifests[kLocal].format, partitions, warm, cold).c_str());
  }();

  const int local_exit = local->Stop();
  if (local_exit != 0) {
    std::fprintf(stderr, "warning: the local server exited with %d on SIGTERM\n", local_exit);
    exit_code = exit_code == 0 ? 1 : exit_code;
    harness::PrintLogTail(local_options.log_path, 10);
  }
  if (common::Status s = s3.Stop(); !s.ok()) {
    std::fprintf(stderr, "warning: %s\n", s.ToString().c_str());
    exit_code = exit_code == 0 ? 1 : exit_code;
  }
  if (exit_code != 0) harness::PrintLogTail(s3.log_path(), 10);
  for (const common::Status& s : {s3rver->Stop(), pg->Stop()}) {
    if (!s.ok()) std::fprintf(stderr, "warning: %s\n", s.ToString().c_str());
  }
  return exit_code;
}

}  // namespace
}  // namespace timestore::bench

int main(int argc, char** argv) { return timestore::bench::Main(argc, argv); }
