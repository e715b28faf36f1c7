#include "bench/answer_table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "bench/tsbs_queries.h"
#include "common/time.h"

namespace timestore::bench {

namespace {

// Relative tolerance of number comparisons: aggregates may be summed in another order.
constexpr double kRelativeTolerance = 1e-9;

std::string CellText(const Cell& c) {
  if (std::holds_alternative<std::monostate>(c)) return "null";
  if (const auto* d = std::get_if<double>(&c)) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", *d);
    return buf;
  }
  if (const auto* m = std::get_if<Micros>(&c)) return common::FormatIso8601(m->value);
  return "\"" + std::get<std::string>(c) + "\"";
}

std::string RowText(const Table& t, size_t r) {
  std::string s = "{";
  for (size_t c = 0; c < t.columns.size(); ++c) {
    s += (c ? ", " : "") + t.columns[c] + ": " + CellText(t.rows[r][c]);
  }
  return s + "}";
}

bool CellsEqual(const Cell& a, const Cell& b) {
  const auto* x = std::get_if<double>(&a);
  const auto* y = std::get_if<double>(&b);
  if (x != nullptr && y != nullptr) {
    return *x == *y ||
           std::abs(*x - *y) <= kRelativeTolerance * std::max(std::abs(*x), std::abs(*y));
  }
  return a == b;
}

}  // namespace

Table TableFromDuck(const duck::QueryResult& result) {
  Table t;
  for (size_t c = 0; c < result.column_count(); ++c) {
    t.columns.push_back(result.column_name(c));
    const duck::Type type = result.column_type(c);
    t.is_timestamp.push_back(type == duck::Type::kTimestamp || type == duck::Type::kTimestampTz);
  }
  for (const duck::ResultChunk& chunk : result.chunks()) {
    for (size_t r = 0; r < chunk.row_count(); ++r) {
      std::vector<Cell> row;
      row.reserve(t.columns.size());
      for (size_t c = 0; c < t.columns.size(); ++c) {
        if (chunk.IsNull(c, r)) {
          row.emplace_back();
          continue;
        }
        switch (chunk.column_type(c)) {
          case duck::Type::kTimestamp:
          case duck::Type::kTimestampTz:
            row.emplace_back(Micros{chunk.GetTimestampMicros(c, r)});
            break;
          case duck::Type::kVarchar:
          case duck::Type::kBlob:
            row.emplace_back(std::string(chunk.GetString(c, r)));
            break;
          case duck::Type::kBoolean:
            row.emplace_back(chunk.GetBool(c, r) ? 1.0 : 0.0);
            break;
          default:
            row.emplace_back(chunk.GetDouble(c, r));
            break;
        }
      }
      t.rows.push_back(std::move(row));
    }
  }
  return t;
}

std::optional<int64_t> FindInt(simdjson::dom::object obj, std::string_view key) {
  int64_t v = 0;
  if (obj[key].get_int64().get(v) != simdjson::SUCCESS) return std::nullopt;
  return v;
}

common::Result<Table> TableFromJson(std::string_view body, const Table& reference,
                                    const std::vector<std::string_view>& ignored,
                                    simdjson::dom::parser& parser, AnswerMeta* meta) {
  simdjson::dom::object root;
  if (parser.parse(body.data(), body.size()).get_object().get(root) != simdjson::SUCCESS) {
    return common::Internal("the answer is not a JSON object: " + std::string(body.substr(0, 300)));
  }
  bool truncated = true;
  if (root["truncated"].get_bool().get(truncated) != simdjson::SUCCESS) {
    return common::Internal("the answer has no \"truncated\" boolean");
  }
  meta->truncated = truncated;
  simdjson::dom::object stats;
  if (root["statistics"].get_object().get(stats) == simdjson::SUCCESS) {
    meta->partitions_total = FindInt(stats, "partitionsTotal");
    meta->partitions_scanned = FindInt(stats, "partitionsScanned");
    meta->partitions_pruned = FindInt(stats, "partitionsPruned");
    meta->partitions_from_cache = FindInt(stats, "partitionsFromCache");
    meta->partitions_fetched = FindInt(stats, "partitionsFetched");
    double elapsed = 0;
    if (stats["elapsedMs"].get_double().get(elapsed) == simdjson::SUCCESS) {
      meta->elapsed_ms = elapsed;
    }
  }
  // The answer's column names: strings (query API) or {"name":..,"type":..} (/sql/read).
  simdjson::dom::array columns;
  if (root["columns"].get_array().get(columns) != simdjson::SUCCESS) {
    return common::Internal("the answer has no \"columns\" array");
  }
  std::vector<std::string> names;
  for (simdjson::dom::element c : columns) {
    std::string_view name;
    if (c.get_string().get(name) != simdjson::SUCCESS &&
        c["name"].get_string().get(name) != simdjson::SUCCESS) {
      return common::Internal("a column of the answer has no name");
    }
    names.emplace_back(name);
  }
  for (const std::string& name : names) {
    const bool known = std::find(reference.columns.begin(), reference.columns.end(), name) !=
                           reference.columns.end() ||
                       std::find(ignored.begin(), ignored.end(), name) != ignored.end();
    if (!known) return common::Internal("unexpected column \"" + name + "\" in the answer");
  }
  if (names.size() != reference.columns.size() + ignored.size()) {
    return common::Internal("the answer has columns [" + Join(names, ", ") + "], expected [" +
                            Join(reference.columns, ", ") + "]");
  }
  simdjson::dom::array rows;
  if (root["rows"].get_array().get(rows) != simdjson::SUCCESS) {
    return common::Internal("the answer has no \"rows\" array");
  }
  Table t;
  t.columns = reference.columns;
  t.is_timestamp = reference.is_timestamp;
  t.rows.reserve(rows.size());
  for (simdjson::dom::element element : rows) {
    simdjson::dom::object row;
    if (element.get_object().get(row) != simdjson::SUCCESS) {
      return common::Internal("a row of the answer is not an object");
    }
    std::vector<Cell> cells;
    cells.reserve(t.columns.size());
    for (size_t c = 0; c < t.columns.size(); ++c) {
      simdjson::dom::element v;
      if (row[t.columns[c]].get(v) != simdjson::SUCCESS) {
        return common::Internal("a row lacks column \"" + t.columns[c] + "\"");
      }
      if (v.is_null()) {
        cells.emplace_back();
      } else if (v.is_number()) {
        cells.emplace_back(v.get_double().value_unsafe());
      } else if (v.is_bool()) {
        cells.emplace_back(v.get_bool().value_unsafe() ? 1.0 : 0.0);
      } else if (v.is_string()) {
        const std::string_view s = v.get_string().value_unsafe();
        if (t.is_timestamp[c]) {
          const std::optional<common::UnixMicros> micros = common::ParseIso8601(s);
          if (!micros) return common::Internal("not an ISO-8601 time: \"" + std::string(s) + "\"");
          cells.emplace_back(Micros{*micros});
        } else {
          cells.emplace_back(std::string(s));
        }
      } else {
        return common::Internal("column \"" + t.columns[c] + "\" holds a JSON array or object");
      }
    }
    t.rows.push_back(std::move(cells));
  }
  return t;
}

void SortRows(Table* t) { std::sort(t->rows.begin(), t->rows.end()); }

std::string Compare(const Table& expected, const Table& actual) {
  if (expected.rows.size() != actual.rows.size()) {
    std::string s = std::to_string(actual.rows.size()) + " rows, expected " +
                    std::to_string(expected.rows.size());
    for (size_t r = 0; r < std::max(expected.rows.size(), actual.rows.size()) && r < 3; ++r) {
      if (r < expected.rows.size())
        s += "\n      expected[" + std::to_string(r) + "] " + RowText(expected, r);
      if (r < actual.rows.size())
        s += "\n      actual[" + std::to_string(r) + "]   " + RowText(actual, r);
    }
    return s;
  }
  for (size_t r = 0; r < expected.rows.size(); ++r) {
    for (size_t c = 0; c < expected.columns.size(); ++c) {
      if (!CellsEqual(expected.rows[r][c], actual.rows[r][c])) {
        return "row " + std::to_string(r) + " column " + expected.columns[c] + ": " +
               CellText(actual.rows[r][c]) + ", expected " + CellText(expected.rows[r][c]) +
               "\n      expected " + RowText(expected, r) + "\n      actual   " +
               RowText(actual, r);
      }
    }
  }
  return "";
}

std::string CheckAnswer(std::string_view body, const Table& expected,
                        const std::vector<std::string_view>& ignored, simdjson::dom::parser& parser,
                        AnswerMeta* meta, Table* actual) {
  common::Result<Table> table = TableFromJson(body, expected, ignored, parser, meta);
  if (!table.ok()) return table.status().message();
  if (meta->truncated) return "\"truncated\":true";
  SortRows(&*table);
  std::string problem = Compare(expected, *table);
  if (actual != nullptr) *actual = std::move(table).value();
  return problem;
}

}  // namespace timestore::bench
