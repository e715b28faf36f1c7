// The ingest side shared by the benchmark tools: the TSBS cpu-only rows generated once, rendered
// into POST /datasets/{slug}/ingest bodies before any timing, and sent by N concurrent keep-alive
// clients, with the committed row count read back from the catalog afterwards. Functions are
// thread-compatible; RunIngest runs its own client threads and returns when they are done.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/catalog_probe.h"
#include "bench/tsbs_data.h"
#include "common/status.h"
#include "harness/server_process.h"

namespace timestore::bench {

struct GeneratedData {
  std::vector<TsbsHost> hosts;
  std::vector<TsbsRow> rows;
  double generate_seconds = 0;
};

// Every row of `scale` for `seed`, in time order.
GeneratedData GenerateTsbs(const TsbsScale& scale, uint64_t seed);

struct RenderedBodies {
  std::vector<std::string> bodies;  // `batch` rows each (the last may hold fewer)
  std::vector<size_t> batch_rows;   // rows per body
  uint64_t bytes = 0;
  double seconds = 0;
};

// Renders the rows into ingest bodies of `batch` rows, keyed BatchKey(0, b, 0).
// kResourceExhausted when the bodies would need more than 70% of the available memory.
common::Result<RenderedBodies> RenderBodies(const GeneratedData& data, size_t batch);

// Fixed-width idempotency keys, so that pre-rendered bodies are re-keyed in place per run.
std::string BatchKey(int clients, size_t batch, uint64_t nonce);

// Bytes allocated on disk under `root` (like du): st_blocks of every regular file.
uint64_t DiskUsage(const std::string& root);

// The newest "manifest" member seen in a 2xx ingest answer.
struct ManifestSeen {
  int64_t version = -1;
  int64_t partition_count = 0;
  int64_t total_rows = 0;
  int64_t total_bytes = 0;
};

struct IngestRunResult {
  int clients = 0;
  std::string slug;
  uint64_t rows_sent = 0;
  uint64_t requests = 0;  // successful ingests
  uint64_t retries = 0;   // 503/429 answers retried
  uint64_t connects = 0;
  double seconds = 0;  // first request sent .. last 2xx received
  std::vector<double> latencies_ms;
  ManifestSeen manifest;
  std::optional<DatasetSnapshot> snapshot;
  uint64_t disk_bytes = 0;      // growth of the storage root during the run
  uint64_t peak_rss_bytes = 0;  // the server's VmHWM during the run
  std::string error;            // empty when the run succeeded and the catalog holds every row
  double rows_per_s() const {
    return snapshot && seconds > 0 ? static_cast<double>(snapshot->total_rows) / seconds : 0;
  }
};

// Ingests every body (re-keyed in place with BatchKey(clients, b, nonce)) into the fresh dataset
// `slug` with `clients` concurrent connections, retrying 503/429 after Retry-After for up to two
// minutes per batch, then reads what the catalog committed. Failures (an HTTP error, a committed
// row count different from the rows sent) are reported in the result's `error`.
IngestRunResult RunIngest(int clients, const std::string& slug, std::vector<std::string>* bodies,
                          const std::vector<size_t>& batch_rows, harness::ServerProcess& server,
                          CatalogProbe& probe, const std::string& storage_root, uint64_t nonce);

}  // namespace timestore::bench
