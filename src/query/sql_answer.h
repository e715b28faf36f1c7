// SqlAnswer: the typed result of one `POST /sql/read` statement (its rows, at most max_rows,
// materialized as DuckDB chunks, with column types, warnings and statistics) and its rendering in
// the answer formats. A plain value, owned by the caller; rendering is const and thread-safe.
// The rendering stays in query (not api) for now: helper "apiedge" owns src/api.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "duck/result_chunk.h"
#include "query/row_encoder.h"

namespace timestore::query {

struct SqlAnswer {
  std::string execution_id;
  RowEncoder encoder{{}, {}};
  std::vector<std::string> type_names;  // DuckDB type names of the columns ("BIGINT", ...)
  std::vector<duck::ResultChunk> chunks;
  int64_t row_count = 0;
  bool truncated = false;
  std::vector<std::string> warnings;
  double elapsed_ms = 0;
  std::vector<std::string> datasets;  // the slugs of the dataset views the statement read, sorted
  // "<slug>/<key>" of each last-value table a subquery read instead of the dataset (statistics
  // "lastValues", present when not empty).
  std::vector<std::string> last_values;

  // The original's shapes: kJson (and kNdjson) {"executionId","columns":[{"name","type"}],
  // "rows":[..],"truncated","warnings","statistics":{"rowCount","elapsedMs"}}; kCsv a header and
  // records joined by "\n"; kTable an aligned text table ending in "(N rows)".
  std::string Render(OutputFormat format) const;
  // Rows of each chunk that belong to the answer (row_count may end inside a chunk).
  std::vector<size_t> RowCounts() const;
};

// Characters (UTF-8 code points) in `utf8`: what the SQL length limit and table widths count.
size_t CodePoints(std::string_view utf8);

}  // namespace timestore::query
