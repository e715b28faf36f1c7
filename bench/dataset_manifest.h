// The live partitions of a dataset as the server answers them (GET /datasets/{slug}/manifest),
// for the benchmarks that read the same files another way. A pure function over an HttpClient.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "harness/http_client.h"

namespace timestore::bench {

struct ManifestPartition {
  std::string object_key;  // the key in the partition's storage target
  int64_t size_bytes = 0;
};

struct DatasetManifest {
  int64_t version = 0;
  std::string format;  // the partitions' fileFormat (one for all)
  std::vector<ManifestPartition> partitions;
};

// GET /datasets/<slug>/manifest. kInternal for an HTTP error, a malformed answer, partitions of
// more than one format, or no partition at all.
common::Result<DatasetManifest> ReadManifest(harness::HttpClient& http, std::string_view slug);

}  // namespace timestore::bench
