// ingest_bench: the end-to-end ingest benchmark of BENCH.md (TSBS cpu-only). It generates the
// dataset, appends it to one raw DuckDB file as the baseline, starts a throwaway PostgreSQL and a
// timestore server, ingests the same rows through POST /datasets/{slug}/ingest with 1, 4, ...
// concurrent keep-alive clients, checks the committed row count in the catalog and prints the
// numbers with their ratio to raw DuckDB. See bench/README.md.
#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <latch>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <simdjson.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/bench_flags.h"
#include "bench/bench_stats.h"
#include "bench/catalog_probe.h"
#include "bench/raw_duck_baseline.h"
#include "bench/tsbs_data.h"
#include "bench/tsbs_ingest.h"
#include "common/json_writer.h"
#include "common/status.h"
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

const char* const kUsage = R"(usage: ingest_bench [options]
  --scale HOSTS,HOURS   TSBS scale (default 100,24 = 864,000 rows)
  --batch N             rows per ingest request (default 5000)
  --clients LIST        concurrent keep-alive clients per run, e.g. 1,4 (default 1,4)
  --format duckdb|parquet  partition format: sets TIMESTORE_WRITE_FORMAT for the server (default: the
                        server's default); the format the files really have is read from the catalog
  --server-env NAME=VALUE  one more environment variable for the server (repeatable), e.g.
                        TIMESTORE_INGEST_GROUP_COMMIT_MS=5
  --seed N              generator seed (default 20160101)
  --repeat N            repeat the raw baseline and every client count N times, interleaved, and
                        report the median (default 1); for noisy shared machines
  --keep                keep the temporary directory (server log, storage, raw DuckDB file)
  --server PATH         timestore binary (default: the one built with this benchmark)
  --no-raw              skip the raw DuckDB baseline
  --raw-only            generator and raw DuckDB baseline only (no PostgreSQL, no server)
  --selfcheck           check the generator (count, order, tags, clamping, determinism, JSON) and exit
  --health N            instead of ingesting: N GET /health keep-alive requests per client count
)";

struct BenchOptions {
  TsbsScale scale;
  size_t batch = 5000;
  std::vector<int> clients = {1, 4};
  ServerFlags server;
  uint64_t seed = kTsbsDefaultSeed;
  int repeat = 1;  // >= 1
  bool raw = true;
  bool raw_only = false;
  bool selfcheck = false;
  uint64_t health_requests = 0;  // > 0: the /health mode
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
      TS_ASSIGN_OR_RETURN(o.scale, ParseTsbsScale(v));
    } else if (arg == "--batch") {
      TS_RETURN_IF_ERROR(flags.Integer<size_t>(&o.batch, 1, SIZE_MAX));
    } else if (arg == "--clients") {
      TS_ASSIGN_OR_RETURN(std::string_view v, flags.Value());
      o.clients.clear();
      while (!v.empty()) {
        const size_t comma = v.find(',');
        const std::string_view item = v.substr(0, comma);
        int n = 0;
        if (!ParseNumber(item, &n) || n < 1 || n > 999) {
          return common::InvalidArgument("--clients: '" + std::string(item) +
                                         "' is not an integer from 1 to 999");
        }
        o.clients.push_back(n);
        v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
      }
      if (o.clients.empty()) return common::InvalidArgument("--clients: empty list");
    } else if (arg == "--seed") {
      TS_RETURN_IF_ERROR(flags.Integer<uint64_t>(&o.seed, 0, UINT64_MAX));
    } else if (arg == "--repeat") {
      TS_RETURN_IF_ERROR(flags.Integer(&o.repeat, 1, 99));
    } else if (arg == "--health") {
      TS_RETURN_IF_ERROR(flags.Integer<uint64_t>(&o.health_requests, 1, UINT64_MAX));
    } else if (arg == "--no-raw") {
      o.raw = false;
    } else if (arg == "--raw-only") {
      o.raw_only = true;
    } else if (arg == "--selfcheck") {
      o.selfcheck = true;
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else {
      return common::InvalidArgument("unknown option '" + std::string(arg) + "'");
    }
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// --selfcheck

class Checker {
 public:
  void Check(bool ok, const std::string& what) {
    std::printf("  [%s] %s\n", ok ? " ok " : "FAIL", what.c_str());
    failures_ += ok ? 0 : 1;
  }
  int failures() const { return failures_; }

 private:
  int failures_ = 0;
};

uint64_t HashBodies(const TsbsScale& scale, uint64_t seed, size_t batch, uint64_t* bytes) {
  TsbsCpuGenerator gen(scale, seed);
  uint64_t hash = kFnv1a64Offset;
  std::vector<TsbsRow> rows;
  *bytes = 0;
  for (size_t b = 0; !gen.done(); ++b) {
    rows.clear();
    gen.Next(batch, &rows);
    const std::string body = RenderIngestBody(rows, gen.hosts(), BatchKey(0, b, 0));
    *bytes += body.size();
    hash = Fnv1a64(body, hash);
  }
  return hash;
}

// Whether `body` parses as an ingest body with key `key`, the 21-field schema and exactly `rows`.
bool BodyHoldsRows(simdjson::dom::parser& parser, const std::string& body,
                   std::span<const TsbsRow> rows, const std::vector<TsbsHost>& hosts,
                   std::string_view key) {
  simdjson::dom::object obj;
  simdjson::dom::array json_rows, fields;
  std::string_view got_key, name;
  if (parser.parse(body).get_object().get(obj) != simdjson::SUCCESS ||
      obj["rows"].get_array().get(json_rows) != simdjson::SUCCESS ||
      obj["schema"]["fields"].get_array().get(fields) != simdjson::SUCCESS ||
      obj["idempotencyKey"].get_string().get(got_key) != simdjson::SUCCESS ||
      obj["datasetName"].get_string().get(name) != simdjson::SUCCESS ||
      json_rows.size() != rows.size() || fields.size() != kTsbsColumnCount || got_key != key ||
      name != "cpu") {
    return false;
  }
  size_t r = 0;
  std::string expected_ts;
  for (simdjson::dom::element element : json_rows) {
    simdjson::dom::object row;
    std::string_view timestamp;
    expected_ts.clear();
    AppendIsoTimestamp(rows[r].timestamp_micros, &expected_ts);
    if (element.get_object().get(row) != simdjson::SUCCESS || row.size() != kTsbsColumnCount ||
        row["timestamp"].get_string().get(timestamp) != simdjson::SUCCESS ||
        timestamp != expected_ts) {
      return false;
    }
    const TsbsHost& host = hosts[rows[r].host];
    for (size_t t = 0; t < kTsbsTagCount; ++t) {
      std::string_view value;
      if (row[kTsbsTagNames[t]].get_string().get(value) != simdjson::SUCCESS ||
          value != host.tags[t]) {
        return false;
      }
    }
    for (size_t f = 0; f < kTsbsFieldCount; ++f) {
      double value = -1;  // get_double also converts integers such as 100
      if (row[kTsbsFieldNames[f]].get_double().get(value) != simdjson::SUCCESS ||
          value != rows[r].fields[f]) {
        return false;
      }
    }
    ++r;
  }
  return true;
}

int RunSelfCheck(const BenchOptions& o) {
  Checker c;
  const TsbsScale scale = o.scale;
  std::printf("selfcheck: scale %u hosts x %u h, seed %llu, batch %zu\n", scale.hosts, scale.hours,
              static_cast<unsigned long long>(o.seed), o.batch);

  const GeneratedData data = GenerateTsbs(o.scale, o.seed);
  const std::vector<TsbsRow>& rows = data.rows;
  std::printf("  generated %zu rows in %.3f s (%.0f rows/s)\n", rows.size(), data.generate_seconds,
              static_cast<double>(rows.size()) / data.generate_seconds);
  c.Check(rows.size() == scale.rows(), "row count " + std::to_string(rows.size()) +
                                           " == " + std::to_string(scale.hosts) + " hosts x " +
                                           std::to_string(scale.timestamps()) + " timestamps");

  bool ordered = true;
  for (size_t r = 0; r < rows.size() && ordered; ++r) {
    ordered = rows[r].host == r % scale.hosts &&
              rows[r].timestamp_micros ==
                  kTsbsStartMicros + static_cast<int64_t>(r / scale.hosts) * kTsbsIntervalMicros;
  }
  c.Check(ordered, "time order: all hosts at t, then t+10s, from 2016-01-01T00:00:00Z");

  // Tags.
  bool tags_ok = true;
  std::vector<std::string> regions;
  for (uint32_t h = 0; h < data.hosts.size(); ++h) {
    const auto& t = data.hosts[h].tags;
    int rack = -1, service = -1;
    tags_ok = tags_ok && t[0] == "host_" + std::to_string(h) && t[2].starts_with(t[1]) &&
              t[2].size() == t[1].size() + 1 && ParseNumber(t[3], &rack) && rack >= 0 &&
              rack <= 99 &&
              (t[4] == "Ubuntu16.10" || t[4] == "Ubuntu16.04LTS" || t[4] == "Ubuntu15.10") &&
              (t[5] == "x64" || t[5] == "x86") &&
              (t[6] == "SF" || t[6] == "NYC" || t[6] == "LON" || t[6] == "CHI") &&
              ParseNumber(t[7], &service) && service >= 0 && service <= 19 &&
              (t[8] == "0" || t[8] == "1") &&
              (t[9] == "production" || t[9] == "staging" || t[9] == "test");
    if (std::find(regions.begin(), regions.end(), t[1]) == regions.end()) regions.push_back(t[1]);
  }
  c.Check(tags_ok,
          "tags: host_<id>, datacenter = region + zone letter, rack 0..99, service 0..19, "
          "os/arch/team/version/environment from their lists (" +
              std::to_string(regions.size()) + " regions used)");
  std::printf("  host_0 tags:");
  for (size_t t = 0; t < kTsbsTagCount; ++t) {
    std::printf(" %s=%s", std::string(kTsbsTagNames[t]).c_str(), data.hosts[0].tags[t].c_str());
  }
  std::printf("\n");

  // Fields: clamped random walks with N(0, 1) steps.
  double lo = 1e9, hi = -1e9;
  uint64_t at_min = 0, at_max = 0, steps = 0;
  double sum = 0, sum_sq = 0;
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t f = 0; f < kTsbsFieldCount; ++f) {
      const double v = rows[r].fields[f];
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      at_min += v == kTsbsFieldMin;
      at_max += v == kTsbsFieldMax;
      if (r >= scale.hosts) {
        const double prev = rows[r - scale.hosts].fields[f];
        if (v > kTsbsFieldMin && v < kTsbsFieldMax && prev > kTsbsFieldMin &&
            prev < kTsbsFieldMax) {
          const double d = v - prev;
          sum += d;
          sum_sq += d * d;
          ++steps;
        }
      }
    }
  }
  c.Check(lo >= kTsbsFieldMin && hi <= kTsbsFieldMax, "every field in [0, 100] (seen min " +
                                                          std::to_string(lo) + ", max " +
                                                          std::to_string(hi) + ")");
  c.Check(at_min > 0 && at_max > 0, "clamping engaged: " + std::to_string(at_min) +
                                        " values at 0, " + std::to_string(at_max) + " at 100");
  const double mean = steps ? sum / static_cast<double>(steps) : 0;
  const double var = steps ? sum_sq / static_cast<double>(steps) - mean * mean : 0;
  c.Check(steps > 1000 && std::abs(mean) < 0.05 && std::abs(var - 1) < 0.05,
          "unclamped steps look N(0,1): mean " + std::to_string(mean) + ", variance " +
              std::to_string(var) + " over " + std::to_string(steps) + " steps");

  // Host h's data does not depend on how many hosts there are.
  if (scale.hosts > 1) {
    TsbsScale smaller = scale;
    smaller.hosts = scale.hosts / 2;
    TsbsCpuGenerator small_gen(smaller, o.seed);
    const std::vector<TsbsRow> small_rows = small_gen.TakeAll();
    bool same = small_gen.hosts()[0].tags == data.hosts[0].tags;
    for (size_t step = 0; step < scale.timestamps() && same; ++step) {
      same = small_rows[step * smaller.hosts].fields == rows[step * scale.hosts].fields;
    }
    c.Check(same, "host_0 has the same tags and values at " + std::to_string(smaller.hosts) +
                      " and " + std::to_string(scale.hosts) + " hosts");
  }

  // Determinism of the rendered bodies.
  uint64_t bytes_a = 0, bytes_b = 0, bytes_c = 0;
  const auto render_start = Clock::now();
  const uint64_t hash_a = HashBodies(scale, o.seed, o.batch, &bytes_a);
  const double render_seconds = Seconds(Clock::now() - render_start);
  const uint64_t hash_b = HashBodies(scale, o.seed, o.batch, &bytes_b);
  const uint64_t hash_c = HashBodies(scale, o.seed + 1, o.batch, &bytes_c);
  char hex[32];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash_a));
  std::printf("  generate+render: %.1f MB of bodies in %.3f s (%.0f rows/s, %.0f MB/s)\n",
              Mb(bytes_a), render_seconds, static_cast<double>(rows.size()) / render_seconds,
              Mb(bytes_a) / render_seconds);
  c.Check(
      hash_a == hash_b && bytes_a == bytes_b,
      std::string("deterministic: two renders hash to fnv1a64 ") + hex + " (compare across runs)");
  c.Check(hash_c != hash_a, "another seed gives other bodies");

  // Every body is JSON (parsed with simdjson, as the server does) holding exactly the generated
  // rows: the doubles round-trip bit for bit.
  simdjson::dom::parser parser;
  size_t good_bodies = 0, batches = 0;
  for (size_t first = 0; first < rows.size(); first += o.batch, ++batches) {
    const auto batch =
        std::span<const TsbsRow>(rows).subspan(first, std::min(o.batch, rows.size() - first));
    const std::string key = BatchKey(0, batches, 0);
    good_bodies +=
        BodyHoldsRows(parser, RenderIngestBody(batch, data.hosts, key), batch, data.hosts, key);
  }
  c.Check(good_bodies == batches, std::to_string(good_bodies) + " of " + std::to_string(batches) +
                                      " bodies are valid JSON with the key, the schema (" +
                                      std::to_string(kTsbsColumnCount) +
                                      " fields) and every row, each double round-tripping exactly");
  std::string last_ts;
  AppendIsoTimestamp(rows.back().timestamp_micros, &last_ts);
  const std::string expected_last =
      scale.hours == 24 ? "2016-01-01T23:59:50Z" : std::string(last_ts);
  c.Check(last_ts == expected_last, "last timestamp " + last_ts);
  std::string probe;
  AppendIsoTimestamp(kTsbsStartMicros + 59 * int64_t{86400} * 1000000 + 1500000, &probe);
  c.Check(probe == "2016-02-29T00:00:01.500000Z", "ISO rendering of a leap day: " + probe);

  std::printf("selfcheck: %s\n", c.failures() == 0 ? "PASS" : "FAIL");
  return c.failures() == 0 ? 0 : 1;
}

struct HealthRunResult {
  int clients = 0;
  uint64_t requests = 0;
  uint64_t connects = 0;
  double seconds = 0;
  std::vector<double> latencies_ms;
  std::string error;
};

HealthRunResult RunHealth(int clients, uint64_t requests, uint16_t port) {
  HealthRunResult result;
  result.clients = clients;
  std::vector<harness::HttpClient> http;
  http.reserve(static_cast<size_t>(clients));
  for (int i = 0; i < clients; ++i) {
    http.emplace_back("127.0.0.1", port);
    if (common::Status s = http.back().Connect(); !s.ok()) {
      result.error = s.ToString();
      return result;
    }
  }
  std::atomic<uint64_t> next{0};
  std::mutex mu;
  std::latch go(1);
  Clock::time_point start;
  {
    std::vector<std::jthread> threads;
    threads.reserve(static_cast<size_t>(clients));
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        std::vector<double> latencies;
        uint64_t done = 0;
        std::string error;
        go.wait();
        while (next.fetch_add(1) < requests) {
          const Clock::time_point t0 = Clock::now();
          common::Result<harness::HttpResponse> r = http[c].Request("GET", "/health", "", "");
          if (!r.ok() || r->status != 200 || r->body.find("\"ok\"") == std::string::npos) {
            error = r.ok() ? "HTTP " + std::to_string(r->status) + " " + r->body
                           : r.status().ToString();
            break;
          }
          latencies.push_back(Seconds(Clock::now() - t0) * 1e3);
          ++done;
        }
        std::lock_guard lock(mu);
        result.requests += done;
        result.latencies_ms.insert(result.latencies_ms.end(), latencies.begin(), latencies.end());
        if (!error.empty() && result.error.empty()) result.error = error;
      });
    }
    start = Clock::now();
    go.count_down();
  }
  result.seconds = Seconds(Clock::now() - start);
  for (const harness::HttpClient& client : http) result.connects += client.connects();
  if (result.error.empty() && result.requests != requests) {
    result.error = std::to_string(result.requests) + " of " + std::to_string(requests) + " done";
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// main

// The representative run of a series: a failed one if any failed, else the median by rows/s.
const IngestRunResult& MedianRun(const std::vector<IngestRunResult>& runs) {
  for (const IngestRunResult& r : runs) {
    if (!r.error.empty()) return r;
  }
  std::vector<const IngestRunResult*> sorted;
  sorted.reserve(runs.size());
  for (const IngestRunResult& r : runs) sorted.push_back(&r);
  std::sort(sorted.begin(), sorted.end(), [](const IngestRunResult* a, const IngestRunResult* b) {
    return a->rows_per_s() < b->rows_per_s();
  });
  return *sorted[(sorted.size() - 1) / 2];
}

double RawRate(const RawBaselineResult& r) { return static_cast<double>(r.rows) / r.seconds; }

// Median rows/s of the raw runs; 0 when there are none.
double MedianRawRate(const std::vector<RawBaselineResult>& runs) {
  std::vector<double> rates;
  rates.reserve(runs.size());
  for (const RawBaselineResult& r : runs) rates.push_back(RawRate(r));
  if (rates.empty()) return 0;
  std::sort(rates.begin(), rates.end());
  return rates[(rates.size() - 1) / 2];
}

// Runs the raw baseline once into `path` and removes the file unless `keep_file`.
common::Result<RawBaselineResult> RunRawOnce(const GeneratedData& data, const std::string& path,
                                             bool keep_file) {
  TS_ASSIGN_OR_RETURN(RawBaselineResult r, RunRawDuckBaseline(data.rows, data.hosts, path));
  std::printf("raw DuckDB appender: %llu rows in %.3f s = %.0f rows/s, file %.1f MB\n",
              static_cast<unsigned long long>(r.rows), r.seconds, RawRate(r), Mb(r.file_bytes));
  std::fflush(stdout);
  if (!keep_file) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    std::filesystem::remove(path + ".wal", ec);
  }
  if (r.rows != data.rows.size()) {
    return common::Internal("the raw baseline holds " + std::to_string(r.rows) + " rows, " +
                            std::to_string(data.rows.size()) + " were appended");
  }
  return r;
}

void PrintSummary(const BenchOptions& o, const GeneratedData& data, double gen_rate,
                  const std::vector<std::vector<IngestRunResult>>& series,
                  const std::vector<RawBaselineResult>& raw_runs) {
  const double raw_rate = MedianRawRate(raw_runs);
  std::printf("\n%s\n", o.repeat > 1 ? "median of the repeats:" : "");
  std::printf("%-8s %10s %9s %14s %9s %7s %-8s %11s %9s %10s\n", "clients", "rows", "seconds",
              "committed/s", "versions", "files", "format", "MB on disk", "RSS MB", "ts/raw");
  for (const std::vector<IngestRunResult>& runs : series) {
    const IngestRunResult& r = MedianRun(runs);
    if (!r.error.empty()) {
      std::printf("%-8d FAILED: %s\n", r.clients, r.error.substr(0, 200).c_str());
      continue;
    }
    char ratio[32] = "-";
    if (raw_rate > 0) std::snprintf(ratio, sizeof ratio, "%.4f", r.rows_per_s() / raw_rate);
    std::printf("%-8d %10lld %9.3f %14.0f %9lld %7lld %-8s %11.1f %9.1f %10s\n", r.clients,
                static_cast<long long>(r.snapshot->total_rows), r.seconds, r.rows_per_s(),
                static_cast<long long>(r.snapshot->version),
                static_cast<long long>(r.snapshot->live_partitions), r.snapshot->formats.c_str(),
                Mb(r.disk_bytes), Mb(r.peak_rss_bytes), ratio);
  }
  if (raw_rate > 0) {
    const RawBaselineResult& raw = raw_runs.front();
    std::printf("%-8s %10llu %9.3f %14.0f %9s %7s %-8s %11.1f %9s %10s\n", "raw",
                static_cast<unsigned long long>(raw.rows), static_cast<double>(raw.rows) / raw_rate,
                raw_rate, "-", "1", "duckdb", Mb(raw.file_bytes), "-", "1");
  }

  common::JsonWriter w;
  w.BeginObject().Key("bench").String("ingest").Key("rows").Uint(data.rows.size());
  w.Key("scale").BeginObject().Key("hosts").Uint(o.scale.hosts).Key("hours").Uint(o.scale.hours);
  w.EndObject();
  w.Key("batch").Uint(o.batch).Key("seed").Uint(o.seed).Key("repeat").Int(o.repeat);
  w.Key("format").String(o.server.format.empty() ? "server-default" : o.server.format);
  w.Key("server_env").BeginArray();
  for (const std::string& e : o.server.server_env) w.String(e);
  w.EndArray();
  w.Key("generator_rows_per_s").Double(std::round(gen_rate));
  w.Key("results").BeginArray();
  for (const std::vector<IngestRunResult>& runs : series) {
    const IngestRunResult& r = MedianRun(runs);
    w.BeginObject().Key("clients").Int(r.clients).Key("slug").String(r.slug);
    w.Key("ok").Bool(r.error.empty());
    if (!r.error.empty()) w.Key("error").String(r.error);
    w.Key("rows_sent").Uint(r.rows_sent);
    w.Key("committed_rows").Int(r.snapshot ? r.snapshot->total_rows : 0);
    w.Key("seconds").Double(r.seconds);
    w.Key("rows_per_s").Double(std::round(r.rows_per_s()));
    w.Key("versions").Int(r.snapshot ? r.snapshot->version : 0);
    w.Key("files").Int(r.snapshot ? r.snapshot->live_partitions : 0);
    w.Key("file_format").String(r.snapshot ? r.snapshot->formats : "");
    w.Key("catalog_bytes").Int(r.snapshot ? r.snapshot->total_bytes : 0);
    w.Key("disk_bytes").Uint(r.disk_bytes);
    w.Key("server_peak_rss_bytes").Uint(r.peak_rss_bytes);
    w.Key("requests").Uint(r.requests).Key("retries").Uint(r.retries);
    w.Key("connections").Uint(r.connects);
    w.Key("latency_ms").BeginObject();
    w.Key("p50").Double(Percentile(r.latencies_ms, 0.5));
    w.Key("p95").Double(Percentile(r.latencies_ms, 0.95));
    w.Key("max").Double(Percentile(r.latencies_ms, 1.0));
    w.EndObject();
    if (r.manifest.version >= 0) {
      w.Key("answered_manifest").BeginObject().Key("version").Int(r.manifest.version);
      w.Key("partitionCount").Int(r.manifest.partition_count);
      w.Key("totalRows").Int(r.manifest.total_rows).Key("totalBytes").Int(r.manifest.total_bytes);
      w.EndObject();
    }
    if (raw_rate > 0) w.Key("ratio_vs_raw").Double(r.rows_per_s() / raw_rate);
    w.Key("runs_rows_per_s").BeginArray();
    for (const IngestRunResult& run : runs) w.Double(std::round(run.rows_per_s()));
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  if (raw_rate > 0) {
    w.Key("raw_rows_per_s").Double(std::round(raw_rate));
    w.Key("raw_runs_rows_per_s").BeginArray();
    for (const RawBaselineResult& raw : raw_runs) w.Double(std::round(RawRate(raw)));
    w.EndArray();
    w.Key("raw_file_bytes").Uint(raw_runs.front().file_bytes);
  } else {
    w.Key("raw_rows_per_s").Null();
  }
  w.EndObject();
  std::printf("\n%s\n", w.str().c_str());
}

int Main(int argc, char** argv) {
  common::Result<BenchOptions> parsed = ParseOptions(argc, argv);
  if (!parsed.ok()) {
    std::fprintf(stderr, "ingest_bench: %s\n%s", parsed.status().message().c_str(), kUsage);
    return 2;
  }
  const BenchOptions o = std::move(parsed).value();
  harness::CleanupRegistry cleanup;  // before any thread starts
  if (o.selfcheck) return RunSelfCheck(o);

  common::Result<harness::WorkDir> work_dir = harness::WorkDir::Create(o.server.keep, &cleanup);
  if (!work_dir.ok()) {
    std::fprintf(stderr, "ingest_bench: %s\n", work_dir.status().ToString().c_str());
    return 1;
  }
  const harness::WorkDir& tmp = *work_dir;
  const std::string storage_root = tmp.path() + "/storage";
  std::filesystem::create_directories(storage_root);

  std::printf(
      "ingest_bench: TSBS cpu-only, %u hosts x %u h = %llu rows, batch %zu, seed %llu, "
      "format %s, repeat %d\n",
      o.scale.hosts, o.scale.hours, static_cast<unsigned long long>(o.scale.rows()), o.batch,
      static_cast<unsigned long long>(o.seed),
      o.server.format.empty() ? "(server default)" : o.server.format.c_str(), o.repeat);
  std::printf("work dir %s\n", tmp.path().c_str());
  std::fflush(stdout);

  const GeneratedData data = GenerateTsbs(o.scale, o.seed);
  const double gen_rate = static_cast<double>(data.rows.size()) / data.generate_seconds;
  std::printf("generator: %zu rows in %.3f s (%.0f rows/s)\n", data.rows.size(),
              data.generate_seconds, gen_rate);

  std::vector<RawBaselineResult> raw_runs;
  const auto run_raw = [&](int rep) -> bool {
    if (!o.raw) return true;
    common::Result<RawBaselineResult> r =
        RunRawOnce(data, tmp.path() + "/raw-" + std::to_string(rep) + ".duckdb",
                   o.server.keep && rep == o.repeat);
    if (!r.ok()) {
      std::fprintf(stderr, "ingest_bench: raw baseline: %s\n", r.status().ToString().c_str());
      return false;
    }
    raw_runs.push_back(*r);
    return true;
  };
  if (o.raw_only) {
    for (int rep = 1; rep <= o.repeat; ++rep) {
      if (!run_raw(rep)) return 1;
    }
    std::printf("{\"bench\":\"ingest\",\"rows\":%zu,\"results\":[],\"raw_rows_per_s\":%.0f}\n",
                data.rows.size(), MedianRawRate(raw_runs));
    return 0;
  }

  std::vector<std::string> bodies;
  std::vector<size_t> batch_rows;
  if (o.health_requests == 0) {
    common::Result<RenderedBodies> r = RenderBodies(data, o.batch);
    if (!r.ok()) {
      std::fprintf(stderr, "ingest_bench: %s\n", r.status().ToString().c_str());
      return 1;
    }
    RenderedBodies rendered = std::move(r).value();
    bodies = std::move(rendered.bodies);
    batch_rows = std::move(rendered.batch_rows);
    std::printf("rendered %zu bodies, %.1f MB (%.0f B/row) in %.3f s (%.0f rows/s, %.0f MB/s)\n",
                bodies.size(), Mb(rendered.bytes),
                static_cast<double>(rendered.bytes) / static_cast<double>(data.rows.size()),
                rendered.seconds, static_cast<double>(data.rows.size()) / rendered.seconds,
                Mb(rendered.bytes) / rendered.seconds);
  }
  std::fflush(stdout);

  common::Result<harness::ThrowawayPostgres> pg = harness::ThrowawayPostgres::Start(
      TIMESTORE_BENCH_PG_TMP_SCRIPT, tmp.path() + "/pg.state", tmp.path() + "/pg.log", &cleanup);
  if (!pg.ok()) {
    std::fprintf(stderr, "ingest_bench: PostgreSQL: %s\n", pg.status().ToString().c_str());
    return 1;
  }
  harness::ServerProcessOptions server_options;
  server_options.binary = o.server.server_binary;
  server_options.database_url = pg->url();
  server_options.pg_schema = kPgSchema;
  server_options.storage_root = storage_root;
  server_options.log_path = tmp.path() + "/server.log";
  if (!o.server.format.empty())
    server_options.extra_env.push_back("TIMESTORE_WRITE_FORMAT=" + o.server.format);
  server_options.extra_env.insert(server_options.extra_env.end(), o.server.server_env.begin(),
                                  o.server.server_env.end());
  common::Result<harness::ServerProcess> server =
      harness::ServerProcess::Start(server_options, &cleanup);
  if (!server.ok()) {
    std::fprintf(stderr, "ingest_bench: server: %s\n", server.status().ToString().c_str());
    return 1;
  }
  std::printf("timestore pid %d on port %u, PostgreSQL %s\n", static_cast<int>(server->pid()),
              server->port(), pg->url().c_str());
  std::fflush(stdout);

  int exit_code = 0;
  if (o.health_requests > 0) {
    for (int clients : o.clients) {
      const HealthRunResult h = RunHealth(clients, o.health_requests, server->port());
      std::printf(
          "GET /health x %llu, %d clients: %.3f s, %.0f req/s, p50 %.3f ms, p99 %.3f ms, "
          "%llu connections%s%s\n",
          static_cast<unsigned long long>(h.requests), clients, h.seconds,
          static_cast<double>(h.requests) / h.seconds, Percentile(h.latencies_ms, 0.5),
          Percentile(h.latencies_ms, 0.99), static_cast<unsigned long long>(h.connects),
          h.error.empty() ? "" : ", ERROR: ", h.error.c_str());
      if (!h.error.empty() || h.connects != static_cast<uint64_t>(clients)) exit_code = 1;
    }
  } else {
    common::Result<CatalogProbe> probe = CatalogProbe::Connect(pg->url(), kPgSchema);
    if (!probe.ok()) {
      std::fprintf(stderr, "ingest_bench: %s\n", probe.status().ToString().c_str());
      return 1;
    }
    const auto nonce = static_cast<uint64_t>(
        std::chrono::system_clock::now().time_since_epoch().count() ^ ::getpid());
    // series[i]: the runs with o.clients[i] clients. Raw and ingest runs are interleaved so that
    // load from elsewhere on a shared machine hits both alike.
    std::vector<std::vector<IngestRunResult>> series(o.clients.size());
    for (int rep = 1; rep <= o.repeat && exit_code == 0; ++rep) {
      if (!run_raw(rep)) {
        exit_code = 1;
        break;
      }
      for (size_t i = 0; i < o.clients.size(); ++i) {
        const int clients = o.clients[i];
        std::string slug = "cpu-c" + std::to_string(clients);
        if (rep > 1) slug += "-r" + std::to_string(rep);
        std::printf("ingesting with %d client%s into %s ...\n", clients, clients == 1 ? "" : "s",
                    slug.c_str());
        std::fflush(stdout);
        series[i].push_back(RunIngest(clients, slug, &bodies, batch_rows, *server, *probe,
                                      storage_root, nonce + static_cast<uint64_t>(rep)));
        const IngestRunResult& r = series[i].back();
        if (!r.error.empty()) {
          std::printf("  FAILED: %s\n", r.error.c_str());
          exit_code = 1;
        } else {
          std::printf(
              "  %.3f s, %.0f committed rows/s, %llu requests, %llu retries, latency "
              "p50 %.0f ms p95 %.0f ms max %.0f ms\n",
              r.seconds, r.rows_per_s(), static_cast<unsigned long long>(r.requests),
              static_cast<unsigned long long>(r.retries), Percentile(r.latencies_ms, 0.5),
              Percentile(r.latencies_ms, 0.95), Percentile(r.latencies_ms, 1.0));
        }
        std::fflush(stdout);
      }
    }
    // A series left empty by an early failure is dropped from the report.
    std::erase_if(series, [](const std::vector<IngestRunResult>& runs) { return runs.empty(); });
    PrintSummary(o, data, gen_rate, series, raw_runs);
  }

  exit_code = harness::StopServerAtEndOfRun(*server, server_options.log_path, exit_code);
  if (common::Status s = pg->Stop(); !s.ok()) {
    std::fprintf(stderr, "warning: %s\n", s.ToString().c_str());
  }
  return exit_code;
}

}  // namespace
}  // namespace timestore::bench

int main(int argc, char** argv) { return timestore::bench::Main(argc, argv); }
