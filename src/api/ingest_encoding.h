// The JSON answers of the ingest routes: a committed ingest request (stored byte-exact as the
// idempotent answer, see ingest::IngestEncoder) and a dataset manifest. Pure functions;
// thread-safe.
#pragma once

#include <string>

#include "ingest/ingest_service.h"

namespace timestore::api {

// {"mode","dataset","storageTarget","manifest":{"version","partitionCount","totalRows",
// "totalBytes"},"rowsIngested","partitions":[...]}
std::string EncodeIngestOutcome(const ingest::IngestOutcome& outcome);

// {"datasetId","datasetSlug","manifest":<version summary>,"currentVersion","partitions":[...]};
// version 0 has the empty summary {"version":0,"partitionCount":0,"totalRows":0,"totalBytes":0}.
std::string EncodeManifest(const ingest::Manifest& manifest);

}  // namespace timestore::api
