// Transitional forwarder, removed once ingest stops encoding: the JSON encoders of catalog records
// moved to api/catalog_encoding.h (the catalog does not encode API answers). Only what
// ingest/ingest_service.cc still calls is forwarded; nothing else may include this header.
#pragma once

#include "api/catalog_encoding.h"

namespace timestore::catalog {

using api::WriteDatasetJson;
using api::WritePartitionJson;
using api::WriteStorageTargetJson;
using api::WriteVersionSummaryJson;

}  // namespace timestore::catalog
