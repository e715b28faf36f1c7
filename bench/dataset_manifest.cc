#include "bench/dataset_manifest.h"

#include <simdjson.h>

#include "bench/answer_table.h"

namespace timestore::bench {

common::Result<DatasetManifest> ReadManifest(harness::HttpClient& http, std::string_view slug) {
  TS_ASSIGN_OR_RETURN(harness::HttpResponse r,
                      http.Request("GET", "/datasets/" + std::string(slug) + "/manifest", "", ""));
  if (r.status != 200) {
    return common::Internal("GET manifest: HTTP " + std::to_string(r.status) + " " +
                            r.body.substr(0, 300));
  }
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  simdjson::dom::array partitions;
  if (parser.parse(r.body).get_object().get(root) != simdjson::SUCCESS ||
      root["partitions"].get_array().get(partitions) != simdjson::SUCCESS) {
    return common::Internal("the manifest has no partitions array: " + r.body.substr(0, 300));
  }
  DatasetManifest m;
  m.version = FindInt(root, "currentVersion").value_or(0);
  for (simdjson::dom::element p : partitions) {
    std::string_view key, format;
    if (p["objectKey"].get_string().get(key) != simdjson::SUCCESS ||
        p["fileFormat"].get_string().get(format) != simdjson::SUCCESS) {
      return common::Internal("a partition lacks objectKey or fileFormat");
    }
    if (!m.format.empty() && m.format != format) {
      return common::Internal("partitions of more than one format (" + m.format + ", " +
                              std::string(format) + ")");
    }
    m.format = format;
    int64_t size = 0;
    if (p["fileSizeBytes"].get_int64().get(size) != simdjson::SUCCESS) size = 0;
    m.partitions.push_back({std::string(key), size});
  }
  if (m.partitions.empty()) return common::Internal("the manifest lists no partition");
  return m;
}

}  // namespace timestore::bench
