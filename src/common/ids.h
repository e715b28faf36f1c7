// The ids of timestore's records and the key of a stored object, as strong types: a DatasetId
// cannot be passed where a StorageTargetId or an ObjectKey is expected. Every module above common
// names them from here (the catalog assigns most of them; storage and partition build object keys).
#pragma once

#include <string>

#include "common/strong_id.h"

namespace timestore::common {

using DatasetId = StrongId<struct DatasetIdTag, std::string>;
using PartitionId = StrongId<struct PartitionIdTag, std::string>;
using StorageTargetId = StrongId<struct StorageTargetIdTag, std::string>;
using JobId = StrongId<struct JobIdTag, std::string>;
using SavedQueryId = StrongId<struct SavedQueryIdTag, std::string>;
using ExportId = StrongId<struct ExportIdTag, std::string>;
using ApiTokenId = StrongId<struct ApiTokenIdTag, std::string>;
// A file's key on a storage target ("<slug>/<key path>window=<start>/<id>.<ext>", "exports/...");
// unique per target and never reused (invariant 1). The storage layer takes its value().
using ObjectKey = StrongId<struct ObjectKeyTag, std::string>;

}  // namespace timestore::common
