#include "bench/tsbs_ingest.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <latch>
#include <mutex>
#include <span>
#include <thread>

#include <simdjson.h>
#include <sys/stat.h>

#include "bench/bench_stats.h"
#include "harness/http_client.h"

namespace timestore::bench {
namespace {

// A batch answered 503/429 is sent again after Retry-After (capped; 1 s when absent) until this
// much time has passed since its first attempt; then the run fails.
constexpr auto kBatchRetryBudget = std::chrono::seconds(120);
constexpr double kMaxRetryAfterSeconds = 30;
constexpr double kDefaultRetryAfterSeconds = 1;

uint64_t MemAvailableBytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t kib = 0;
  std::string unit;
  while (in >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  return 0;
}

void ParseManifest(const std::string& body, ManifestSeen* seen) {
  simdjson::dom::parser parser;
  simdjson::dom::object manifest;
  if (parser.parse(body).get_object()["manifest"].get_object().get(manifest) != simdjson::SUCCESS) {
    return;
  }
  const auto get = [&](const char* key) -> int64_t {
    int64_t v = 0;
    return manifest[key].get_int64().get(v) == simdjson::SUCCESS ? v : 0;
  };
  const int64_t version = get("version");
  if (version > seen->version) {
    seen->version = version;
    seen->partition_count = get("partitionCount");
    seen->total_rows = get("totalRows");
    seen->total_bytes = get("totalBytes");
  }
}

}  // namespace

uint64_t DiskUsage(const std::string& root) {
  namespace fs = std::filesystem;
  uint64_t bytes = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      bytes += static_cast<uint64_t>(st.st_blocks) * 512;
    }
  }
  return bytes;
}

std::string BatchKey(int clients, size_t batch, uint64_t nonce) {
  char key[64];
  std::snprintf(key, sizeof key, "bench-c%03d-b%08zu-%016llx", clients, batch,
                static_cast<unsigned long long>(nonce));
  return key;
}

GeneratedData GenerateTsbs(const TsbsScale& scale, uint64_t seed) {
  const auto start = Clock::now();
  TsbsCpuGenerator gen(scale, seed);
  GeneratedData data;
  data.rows = gen.TakeAll();
  data.hosts = gen.hosts();
  data.generate_seconds = Seconds(Clock::now() - start);
  return data;
}

common::Result<RenderedBodies> RenderBodies(const GeneratedData& data, size_t batch) {
  RenderedBodies out;
  const auto start = Clock::now();
  const std::span<const TsbsRow> rows(data.rows);
  const size_t batches = (rows.size() + batch - 1) / batch;
  out.bodies.reserve(batches);
  const uint64_t available = MemAvailableBytes();
  for (size_t b = 0; b < batches; ++b) {
    const size_t first = b * batch;
    out.bodies.push_back(RenderIngestBody(rows.subspan(first, std::min(batch, rows.size() - first)),
                                          data.hosts, BatchKey(0, b, 0)));
    out.batch_rows.push_back(std::min(batch, rows.size() - first));
    out.bytes += out.bodies.back().size();
    if (b == 0 && available > 0) {
      const double estimate = static_cast<double>(out.bytes) * static_cast<double>(batches);
      if (estimate > 0.7 * static_cast<double>(available)) {
        return common::ResourceExhausted(
            "the pre-rendered bodies would need ~" + std::to_string(estimate / 1e9) +
            " GB, more than 70% of the available memory; use a smaller --scale");
      }
    }
  }
  out.seconds = Seconds(Clock::now() - start);
  return out;
}
IngestRunResult RunIngest(int clients, const std::string& slug, std::vector<std::string>* bodies,
                          const std::vector<size_t>& batch_rows, harness::ServerProcess& server,
                          CatalogProbe& probe, const std::string& storage_root, uint64_t nonce) {
  IngestRunResult result;
  result.clients = clients;
  result.slug = slug;
  for (size_t n : batch_rows) result.rows_sent += n;
  for (size_t b = 0; b < bodies->size(); ++b) {
    PatchIngestBodyKey(&(*bodies)[b], BatchKey(clients, b, nonce));
  }
  const std::string target = "/datasets/" + result.slug + "/ingest";

  // Keep-alive connections are opened before the clock starts.
  std::vector<harness::HttpClient> http;
  http.reserve(static_cast<size_t>(clients));
  for (int i = 0; i < clients; ++i) {
    http.emplace_back("127.0.0.1", server.port());
    common::Result<harness::HttpResponse> health = http.back().Request("GET", "/health", "", "");
    if (!health.ok() || health->status != 200) {
      result.error = "GET /health before the run: " +
                     (health.ok() ? std::to_string(health->status) : health.status().ToString());
      return result;
    }
  }
  const uint64_t disk_before = DiskUsage(storage_root);
  if (common::Status s = server.ResetPeakRss(); !s.ok()) {
    std::fprintf(stderr, "warning: %s (peak RSS covers the whole process life)\n",
                 s.ToString().c_str());
  }

  std::atomic<size_t> next{0};
  std::atomic<bool> abort{false};
  std::mutex mu;  // guards the fields of `result` written by clients
  std::latch go(1);
  std::vector<Clock::time_point> first_send(clients, Clock::time_point::max());
  std::vector<Clock::time_point> last_ok(clients, Clock::time_point::min());
  {
    std::vector<std::jthread> threads;
    threads.reserve(static_cast<size_t>(clients));
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        harness::HttpClient& client = http[c];
        std::vector<double> latencies;
        ManifestSeen manifest;
        uint64_t retries = 0, requests = 0;
        std::string error;
        go.wait();
        for (;;) {
          const size_t b = next.fetch_add(1);
          if (b >= bodies->size() || abort.load()) break;
          const Clock::time_point start = Clock::now();
          if (first_send[c] == Clock::time_point::max()) first_send[c] = start;
          for (;;) {
            common::Result<harness::HttpResponse> r =
                client.Request("POST", target, "application/json", (*bodies)[b]);
            if (!r.ok()) {
              error = "batch " + std::to_string(b) + ": " + r.status().ToString();
              break;
            }
            if (r->status == 201 || r->status == 200) {
              const Clock::time_point end = Clock::now();
              last_ok[c] = end;
              latencies.push_back(Seconds(end - start) * 1e3);
              ++requests;
              ParseManifest(r->body, &manifest);
              break;
            }
            const auto wait = std::chrono::duration<double>(
                std::clamp(r->retry_after_seconds.value_or(kDefaultRetryAfterSeconds), 0.0,
                           kMaxRetryAfterSeconds));
            const bool retryable = r->status == 503 || r->status == 429;
            if (retryable && Clock::now() + wait - start < kBatchRetryBudget) {
              ++retries;
              // Real elapsed time: the server asked for this pause (Retry-After) under
              // backpressure.
              std::this_thread::sleep_for(wait);
              continue;
            }
            error = "batch " + std::to_string(b) + ": HTTP " + std::to_string(r->status) +
                    (retryable ? " (still, after retrying for " +
                                     std::to_string(Seconds(Clock::now() - start)) + " s) "
                               : " ") +
                    r->body.substr(0, 500);
            break;
          }
          if (!error.empty()) {
            abort.store(true);
            break;
          }
        }
        std::lock_guard lock(mu);
        result.latencies_ms.insert(result.latencies_ms.end(), latencies.begin(), latencies.end());
        result.retries += retries;
        result.requests += requests;
        if (manifest.version > result.manifest.version) result.manifest = manifest;
        if (!error.empty() && result.error.empty()) result.error = error;
      });
    }
    go.count_down();
  }
  const Clock::time_point start = *std::min_element(first_send.begin(), first_send.end());
  const Clock::time_point end = *std::max_element(last_ok.begin(), last_ok.end());
  result.seconds = end > start ? Seconds(end - start) : 0;
  for (const harness::HttpClient& client : http) result.connects += client.connects();

  if (common::Result<uint64_t> rss = server.PeakRssBytes(); rss.ok()) {
    result.peak_rss_bytes = *rss;
  } else {
    std::fprintf(stderr, "warning: %s\n", rss.status().ToString().c_str());
  }
  const uint64_t disk_after = DiskUsage(storage_root);
  result.disk_bytes = disk_after - std::min(disk_before, disk_after);
  common::Result<DatasetSnapshot> snapshot = probe.GetDatasetSnapshot(result.slug);
  if (snapshot.ok()) {
    result.snapshot = *snapshot;
    if (result.error.empty() && static_cast<uint64_t>(snapshot->total_rows) != result.rows_sent) {
      result.error = "the catalog holds " + std::to_string(snapshot->total_rows) +
                     " rows at version " + std::to_string(snapshot->version) + ", " +
                     std::to_string(result.rows_sent) + " were sent";
    }
  } else if (result.error.empty()) {
    result.error = "catalog: " + snapshot.status().ToString();
  }
  return result;
}

}  // namespace timestore::bench
