// The raw-DuckDB ingest baseline of BENCH.md: the same rows appended with the duck Appender
// (DataChunk API, 2048-row chunks) into one DuckDB file holding the same 21-column table
// (TIMESTAMP, VARCHAR x 10, DOUBLE x 10). It is what the hardware can do without HTTP, JSON,
// partitioning or a catalog, so `timestore / raw` is the overhead ratio. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/tsbs_data.h"
#include "common/status.h"

namespace timestore::bench {

struct RawBaselineResult {
  uint64_t rows = 0;        // count(*) of the table afterwards
  double seconds = 0;       // appender creation .. Close + CHECKPOINT
  uint64_t file_bytes = 0;  // size of the database file (and its WAL, if any) afterwards
};

// Creates `path` (which must not exist) with table `cpu`, appends `rows` and checkpoints. The
// CREATE TABLE is not timed; creating the appender, appending, Close and CHECKPOINT are.
common::Result<RawBaselineResult> RunRawDuckBaseline(const std::vector<TsbsRow>& rows,
                                                     const std::vector<TsbsHost>& hosts,
                                                     const std::string& path);

}  // namespace timestore::bench
