#include "query/row_encoder.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

#include "common/json_writer.h"
#include "common/time.h"

namespace timestore::query {
namespace {

using duck::Type;

enum class CellKind { kBool, kInt, kDouble, kString, kBlob, kDate, kTimestamp, kOther };

CellKind KindOf(Type t) {
  switch (t) {
    case Type::kBoolean:
      return CellKind::kBool;
    case Type::kTinyint:
    case Type::kSmallint:
    case Type::kInteger:
    case Type::kBigint:
    case Type::kUtinyint:
    case Type::kUsmallint:
    case Type::kUinteger:
      return CellKind::kInt;
    case Type::kUbigint:
    case Type::kHugeint:
    case Type::kFloat:
    case Type::kDouble:
    case Type::kDecimal:
      return CellKind::kDouble;
    case Type::kVarchar:
      return CellKind::kString;
    case Type::kBlob:
      return CellKind::kBlob;
    case Type::kDate:
      return CellKind::kDate;
    case Type::kTimestamp:
    case Type::kTimestampTz:
      return CellKind::kTimestamp;
    case Type::kOther:
      return CellKind::kOther;
  }
  return CellKind::kOther;
}

void AppendInt(std::string& out, int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

// Shortest text that reads back as the same double; integral values without a fraction.
void AppendDouble(std::string& out, double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

std::string DateText(int32_t days) {
  using namespace std::chrono;
  const year_month_day ymd{sys_days{std::chrono::days{days}}};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::string BlobText(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\\x";
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

}  // namespace

RowEncoder::RowEncoder(std::vector<std::string> names, std::vector<duck::Type> types)
    : names_(std::move(names)), types_(std::move(types)) {
  for (size_t col = 0; col < names_.size(); ++col) {
    std::string key(col == 0 ? "{" : ",");
    common::AppendJsonString(key, names_[col]);
    key.push_back(':');
    json_keys_.push_back(std::move(key));
  }
}

void AppendCsvField(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(field);
    return;
  }
  out.push_back('"');
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

void RowEncoder::AppendJsonValue(const duck::ResultChunk& chunk, size_t col, size_t row,
                                 std::string& out) const {
  if (chunk.IsNull(col, row)) {
    out.append("null");
    return;
  }
  switch (KindOf(types_[col])) {
    case CellKind::kBool:
      out.append(chunk.GetBool(col, row) ? "true" : "false");
      return;
    case CellKind::kInt:
      AppendInt(out, chunk.GetInt64(col, row));
      return;
    case CellKind::kDouble: {
      const double v = chunk.GetDouble(col, row);
      if (std::isfinite(v)) {
        AppendDouble(out, v);
      } else {
        out.append("null");
      }
      return;
    }
    case CellKind::kString:
      common::AppendJsonString(out, chunk.GetString(col, row));
      return;
    case CellKind::kBlob:
      common::AppendJsonString(out, BlobText(chunk.GetString(col, row)));
      return;
    case CellKind::kDate:
      common::AppendJsonString(out, DateText(chunk.GetDateDays(col, row)));
      return;
    case CellKind::kTimestamp:
      out.push_back('"');
      common::AppendIso8601(out, chunk.GetTimestampMicros(col, row));
      out.push_back('"');
      return;
    case CellKind::kOther:
      out.append("null");
      return;
  }
}

std::string RowEncoder::CellText(const duck::ResultChunk& chunk, size_t col, size_t row) const {
  if (chunk.IsNull(col, row)) return {};
  std::string out;
  switch (KindOf(types_[col])) {
    case CellKind::kBool:
      return chunk.GetBool(col, row) ? "true" : "false";
    case CellKind::kInt:
      AppendInt(out, chunk.GetInt64(col, row));
      return out;
    case CellKind::kDouble: {
      const double v = chunk.GetDouble(col, row);
      if (std::isnan(v)) return "NaN";
      if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
      AppendDouble(out, v);
      return out;
    }
    case CellKind::kString:
      return std::string(chunk.GetString(col, row));
    case CellKind::kBlob:
      return BlobText(chunk.GetString(col, row));
    case CellKind::kDate:
      return DateText(chunk.GetDateDays(col, row));
    case CellKind::kTimestamp:
      return common::FormatIso8601(chunk.GetTimestampMicros(col, row));
    case CellKind::kOther:
      return {};
  }
  return out;
}

void RowEncoder::AppendJsonObject(const duck::ResultChunk& chunk, size_t row,
                                  std::string& out) const {
  if (names_.empty()) out.push_back('{');
  for (size_t col = 0; col < names_.size(); ++col) {
    out.append(json_keys_[col]);
    AppendJsonValue(chunk, col, row, out);
  }
  out.push_back('}');
}

void RowEncoder::AppendCsvHeader(std::string& out) const {
  for (size_t col = 0; col < names_.size(); ++col) {
    if (col > 0) out.push_back(',');
    AppendCsvField(out, names_[col]);
  }
  out.push_back('\n');
}

void RowEncoder::AppendCsvRecord(const duck::ResultChunk& chunk, size_t row,
                                 std::string& out) const {
  for (size_t col = 0; col < names_.size(); ++col) {
    if (col > 0) out.push_back(',');
    AppendCsvField(out, CellText(chunk, col, row));
  }
  out.push_back('\n');
}

}  // namespace timestore::query

namespace timestore::query {

std::vector<std::string> EncodeChunks(const RowEncoder& encoder,
                                      const std::vector<duck::ResultChunk>& chunks,
                                      const std::vector<size_t>& counts, OutputFormat format,
                                      bool answer_start) {
  std::vector<std::string> pieces(chunks.size());
  auto encode = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      std::string& out = pieces[i];
      out.reserve(counts[i] * 64);
      for (size_t r = 0; r < counts[i]; ++r) {
        switch (format) {
          case OutputFormat::kJson:
            if (i > 0 || r > 0 || !answer_start) out.push_back(',');
            encoder.AppendJsonObject(chunks[i], r, out);
            break;
          case OutputFormat::kNdjson:
            encoder.AppendJsonObject(chunks[i], r, out);
            out.push_back('\n');
            break;
          case OutputFormat::kCsv:
          case OutputFormat::kTable:
            encoder.AppendCsvRecord(chunks[i], r, out);
            break;
        }
      }
    }
  };
  if (chunks.size() > 1) {
    // The rows are already computed: encoding is the work left, and both halves are independent.
    const size_t half = chunks.size() / 2;
    std::jthread helper([&] { encode(half, chunks.size()); });
    encode(0, half);
  } else {
    encode(0, chunks.size());
  }
  return pieces;
}

}  // namespace timestore::query
