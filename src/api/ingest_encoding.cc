#include "api/ingest_encoding.h"

#include "api/catalog_encoding.h"
#include "common/json_writer.h"

namespace timestore::api {

std::string EncodeIngestOutcome(const ingest::IngestOutcome& outcome) {
  common::JsonWriter out;
  out.BeginObject().Key("mode").String(outcome.mode);
  out.Key("dataset");
  WriteDatasetJson(out, outcome.dataset);
  out.Key("storageTarget");
  WriteStorageTargetJson(out, outcome.storage_target);
  out.Key("manifest").BeginObject();
  out.Key("version").Int(outcome.version.version);
  out.Key("partitionCount").Int(outcome.version.partition_count);
  out.Key("totalRows").Int(outcome.version.total_rows);
  out.Key("totalBytes").Int(outcome.version.total_bytes);
  out.EndObject();
  out.Key("rowsIngested").Int(outcome.rows_ingested);
  out.Key("partitions").BeginArray();
  for (const catalog::Partition& p : outcome.partitions) WritePartitionJson(out, p);
  out.EndArray();
  out.EndObject();
  return out.TakeBuffer();
}

std::string EncodeManifest(const ingest::Manifest& manifest) {
  common::JsonWriter w;
  w.BeginObject();
  w.Key("datasetId").String(manifest.dataset.id.value());
  w.Key("datasetSlug").String(manifest.dataset.slug);
  w.Key("manifest");
  if (!manifest.summary) {
    w.BeginObject().Key("version").Int(0).Key("partitionCount").Int(0).Key("totalRows").Int(0);
    w.Key("totalBytes").Int(0).EndObject();
  } else {
    WriteVersionSummaryJson(w, *manifest.summary);
  }
  w.Key("currentVersion").Int(manifest.dataset.current_version);
  w.Key("partitions").BeginArray();
  for (const auto& p : manifest.partitions) WritePartitionJson(w, p);
  w.EndArray();
  w.EndObject();
  return w.TakeBuffer();
}

}  // namespace timestore::api
