// RowEncoder: renders the rows of DuckDB result chunks as JSON objects, NDJSON lines, CSV records
// or text cells - the one place query answers are formatted, for both the query API and SQL. Cells
// render by duck::Type: timestamps as ISO-8601 UTC strings, dates as "YYYY-MM-DD", numbers as JSON
// numbers (NaN and infinities as null), strings as strings, blobs as "\x.." hex; types duck cannot
// read (kOther) must be cast to VARCHAR before they get here and render as null. Cheap to copy;
// thread-compatible.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "duck/result_chunk.h"
#include "duck/type.h"

namespace timestore::query {

enum class OutputFormat { kJson, kNdjson, kCsv, kTable };

class RowEncoder {
 public:
  RowEncoder(std::vector<std::string> names, std::vector<duck::Type> types);

  const std::vector<std::string>& names() const { return names_; }
  const std::vector<duck::Type>& types() const { return types_; }

  // {"name":value,...} for row `row` of `chunk` (whose columns are names()/types()).
  void AppendJsonObject(const duck::ResultChunk& chunk, size_t row, std::string& out) const;
  // One CSV record (RFC 4180 quoting when needed) ending in "\n"; NULL is an empty field.
  void AppendCsvRecord(const duck::ResultChunk& chunk, size_t row, std::string& out) const;
  // The CSV header record.
  void AppendCsvHeader(std::string& out) const;
  // The cell as text, as CSV and the table format show it; nothing (empty) for NULL.
  std::string CellText(const duck::ResultChunk& chunk, size_t col, size_t row) const;
  // Appends the cell as a JSON value.
  void AppendJsonValue(const duck::ResultChunk& chunk, size_t col, size_t row,
                       std::string& out) const;

 private:
  std::vector<std::string> names_;
  std::vector<duck::Type> types_;
  // `{"name":` for the first column, `,"name":` for the others: encoded once, not per row.
  std::vector<std::string> json_keys_;
};

// Encodes the first `counts[i]` rows of every `chunks[i]` in `format` (kJson: objects, each but the
// answer's first preceded by a comma; kNdjson: lines; kCsv: records), one string per chunk, on up
// to two threads. `answer_start` says whether chunks[0]'s first row is the answer's first row.
// Precondition: counts.size() == chunks.size(), counts[i] <= chunks[i].row_count().
std::vector<std::string> EncodeChunks(const RowEncoder& encoder,
                                      const std::vector<duck::ResultChunk>& chunks,
                                      const std::vector<size_t>& counts, OutputFormat format,
                                      bool answer_start);

// Appends `field` to `out` as one CSV field: quoted (with inner quotes doubled) when it holds a
// comma, a quote, CR or LF.
void AppendCsvField(std::string& out, std::string_view field);

}  // namespace timestore::query
