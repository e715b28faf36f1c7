#include "query/sql_answer.h"

#include <algorithm>
#include <cstdio>

#include "common/json_writer.h"

namespace timestore::query {
namespace {

std::string RenderJson(const SqlAnswer& answer, OutputFormat format) {
  const RowEncoder& encoder = answer.encoder;
  std::string out = "{\"executionId\":";
  common::AppendJsonString(out, answer.execution_id);
  out += ",\"columns\":[";
  for (size_t c = 0; c < encoder.names().size(); ++c) {
    out += c ? ",{\"name\":" : "{\"name\":";
    common::AppendJsonString(out, encoder.names()[c]);
    out += ",\"type\":";
    common::AppendJsonString(out, answer.type_names[c]);
    out += "}";
  }
  out += "],\"rows\":[";
  for (const std::string& piece :
       EncodeChunks(encoder, answer.chunks, answer.RowCounts(), format, true)) {
    out += piece;
  }
  out += "],\"truncated\":";
  out += answer.truncated ? "true" : "false";
  out += ",\"warnings\":[";
  for (size_t i = 0; i < answer.warnings.size(); ++i) {
    if (i) out += ',';
    common::AppendJsonString(out, answer.warnings[i]);
  }
  char elapsed[32];
  std::snprintf(elapsed, sizeof elapsed, "%.3f", answer.elapsed_ms);
  out += "],\"statistics\":{\"rowCount\":" + std::to_string(answer.row_count) +
         ",\"elapsedMs\":" + elapsed;
  if (!answer.last_values.empty()) {
    out += ",\"lastValues\":[";
    for (size_t i = 0; i < answer.last_values.size(); ++i) {
      if (i) out += ',';
      common::AppendJsonString(out, answer.last_values[i]);
    }
    out += "]";
  }
  out += "}}";
  return out;
}

// As the original: records joined by "\n", no final newline; nothing at all without columns.
std::string RenderCsv(const SqlAnswer& answer) {
  std::string out;
  if (answer.encoder.names().empty()) return out;
  std::string header;
  answer.encoder.AppendCsvHeader(header);
  header.pop_back();
  out += header;
  for (const std::string& piece :
       EncodeChunks(answer.encoder, answer.chunks, answer.RowCounts(), OutputFormat::kCsv, true)) {
    if (piece.empty()) continue;
    out += '\n';
    out.append(piece, 0, piece.size() - 1);  // records end in "\n"
  }
  return out;
}

std::string RenderTable(const SqlAnswer& answer) {
  const RowEncoder& encoder = answer.encoder;
  const size_t columns = encoder.names().size();
  if (columns == 0) return "(0 rows)\n";
  std::vector<std::vector<std::string>> cells;
  std::vector<size_t> widths;
  for (const std::string& n : encoder.names()) widths.push_back(CodePoints(n));
  int64_t left = answer.row_count;
  for (const duck::ResultChunk& chunk : answer.chunks) {
    for (size_t r = 0; r < chunk.row_count() && left > 0; ++r, --left) {
      std::vector<std::string> row;
      for (size_t c = 0; c < columns; ++c) {
        row.push_back(chunk.IsNull(c, r) ? "NULL" : encoder.CellText(chunk, c, r));
        widths[c] = std::max(widths[c], CodePoints(row.back()));
      }
      cells.push_back(std::move(row));
    }
  }
  auto pad = [&](const std::string& s, size_t width) {
    return s + std::string(width - std::min(width, CodePoints(s)), ' ');
  };
  std::string out;
  for (size_t c = 0; c < columns; ++c) out += (c ? " | " : "") + pad(encoder.names()[c], widths[c]);
  out += '\n';
  for (size_t c = 0; c < columns; ++c) {
    out += (c ? "-+-" : "") + std::string(std::max<size_t>(widths[c], 1), '-');
  }
  for (const auto& row : cells) {
    out += '\n';
    for (size_t c = 0; c < columns; ++c) out += (c ? " | " : "") + pad(row[c], widths[c]);
  }
  out += "\n(" + std::to_string(answer.row_count) + (answer.row_count == 1 ? " row)" : " rows)");
  return out;
}

}  // namespace

size_t CodePoints(std::string_view utf8) {
  size_t n = 0;
  for (char c : utf8) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

std::vector<size_t> SqlAnswer::RowCounts() const {
  std::vector<size_t> counts;
  int64_t left = row_count;
  for (const duck::ResultChunk& chunk : chunks) {
    const auto n =
        static_cast<size_t>(std::min<int64_t>(left, static_cast<int64_t>(chunk.row_count())));
    counts.push_back(n);
    left -= static_cast<int64_t>(n);
  }
  return counts;
}

std::string SqlAnswer::Render(OutputFormat format) const {
  switch (format) {
    case OutputFormat::kJson:
    case OutputFormat::kNdjson:
      return RenderJson(*this, format);
    case OutputFormat::kCsv:
      return RenderCsv(*this);
    case OutputFormat::kTable:
      return RenderTable(*this);
  }
  return {};
}

}  // namespace timestore::query
