#include "ingest/ingest_request.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include "common/json_describe.h"
#include "common/json_writer.h"
#include "common/text.h"
#include "common/time.h"

namespace timestore::ingest {

using catalog::ColumnDef;
using catalog::ColumnType;
using common::ExpectedJson;
using common::InvalidArgument;
using common::Result;
using common::Status;
using partition::ColumnBuffer;
using partition::RowBatch;
using simdjson::dom::element;
using simdjson::dom::element_type;

namespace {

constexpr size_t kMaxColumnNameBytes = 128;

Result<std::string> GetString(element e, std::string_view where) {
  if (e.type() != element_type::STRING) return ExpectedJson(where, "string", e);
  return std::string(e.get_string().value_unsafe());
}

Result<common::UnixMicros> GetTime(element e, std::string_view where) {
  if (e.type() != element_type::STRING) return ExpectedJson(where, "an ISO-8601 time string", e);
  std::string_view text = e.get_string().value_unsafe();
  auto t = common::ParseIso8601(text);
  if (!t) {
    return InvalidArgument(std::string(where) + ": '" + std::string(text.substr(0, 64)) +
                           "' is not an ISO-8601 time with a zone (e.g. 2024-01-01T00:00:00Z)");
  }
  return *t;
}

bool IsValidColumnName(std::string_view name) {
  if (name.empty() || name.size() > kMaxColumnNameBytes) return false;
  return std::none_of(name.begin(), name.end(),
                      [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

Result<std::vector<ColumnDef>> ParseSchemaFields(element fields) {
  if (fields.type() != element_type::ARRAY)
    return ExpectedJson("schema.fields", "an array", fields);
  std::vector<ColumnDef> out;
  size_t i = 0;
  const simdjson::dom::array items = fields.get_array().value_unsafe();
  for (element f : items) {
    const std::string where = "schema.fields[" + std::to_string(i++) + "]";
    if (f.type() != element_type::OBJECT) return ExpectedJson(where, "an object", f);
    element name_el, type_el;
    if (f["name"].get(name_el) != simdjson::SUCCESS) {
      return InvalidArgument(where + ".name: required");
    }
    TS_ASSIGN_OR_RETURN(std::string name, GetString(name_el, where + ".name"));
    if (!IsValidColumnName(name)) {
      return InvalidArgument(where + ".name: must be 1-128 bytes without control characters");
    }
    if (f["type"].get(type_el) != simdjson::SUCCESS) {
      return InvalidArgument(where + ".type: required");
    }
    TS_ASSIGN_OR_RETURN(std::string type_name, GetString(type_el, where + ".type"));
    auto type = catalog::ParseColumnType(type_name);
    if (!type) {
      return InvalidArgument(where + ".type: unknown type '" + type_name +
                             "' (expected timestamp, string, double, integer or boolean)");
    }
    for (const auto& existing : out) {
      // DuckDB identifiers are case-insensitive, so "Host" and "host" cannot both be columns.
      if (common::EqualsIgnoreCase(existing.name, name)) {
        return InvalidArgument(where + ".name: duplicate column '" + name + "'" +
                               (existing.name == name ? "" : " (names are case-insensitive)"));
      }
    }
    out.push_back(ColumnDef{std::move(name), *type});
  }
  if (out.empty()) return InvalidArgument("schema.fields: at least one field is required");
  return out;
}

Status ParsePartition(element partition, IngestRequest& req) {
  if (partition.type() != element_type::OBJECT)
    return ExpectedJson("partition", "an object", partition);
  element key, attributes, range;
  if (partition["key"].get(key) == simdjson::SUCCESS && !key.is_null()) {
    if (key.type() != element_type::OBJECT) return ExpectedJson("partition.key", "an object", key);
    const simdjson::dom::object members = key.get_object().value_unsafe();
    for (auto field : members) {
      const std::string name(field.key);
      const std::string where = "partition.key." + name;
      if (!IsValidColumnName(name)) return InvalidArgument(where + ": invalid key name");
      std::optional<partition::JsonScalar> value =
          partition::JsonScalar::Parse(simdjson::minify(field.value));
      if (!value) return ExpectedJson(where, "a string, number or boolean", field.value);
      req.partition_key.Set(name, std::move(*value));
    }
  }
  if (partition["attributes"].get(attributes) == simdjson::SUCCESS && !attributes.is_null()) {
    if (attributes.type() != element_type::OBJECT) {
      return ExpectedJson("partition.attributes", "an object", attributes);
    }
    req.attributes_json = simdjson::minify(attributes);
  }
  if (partition["timeRange"].get(range) == simdjson::SUCCESS && !range.is_null()) {
    if (range.type() != element_type::OBJECT)
      return ExpectedJson("partition.timeRange", "an object", range);
    element start, end;
    if (range["start"].get(start) != simdjson::SUCCESS) {
      return InvalidArgument("partition.timeRange.start: required");
    }
    if (range["end"].get(end) != simdjson::SUCCESS) {
      return InvalidArgument("partition.timeRange.end: required");
    }
    TS_ASSIGN_OR_RETURN(common::UnixMicros s, GetTime(start, "partition.timeRange.start"));
    TS_ASSIGN_OR_RETURN(common::UnixMicros e, GetTime(end, "partition.timeRange.end"));
    if (e <= s) return InvalidArgument("partition.timeRange: end must be after start");
    req.time_range = catalog::TimeRange{s, e};
  }
  return Status::Ok();
}

}  // namespace

Result<IngestRequest> ParseIngestRequest(element root) {
  if (root.type() != element_type::OBJECT) return ExpectedJson("body", "a JSON object", root);
  IngestRequest req;
  element e;
  if (root["datasetName"].get(e) == simdjson::SUCCESS && !e.is_null()) {
    TS_ASSIGN_OR_RETURN(req.dataset_name, GetString(e, "datasetName"));
  }
  if (root["storageTargetId"].get(e) == simdjson::SUCCESS && !e.is_null()) {
    TS_ASSIGN_OR_RETURN(req.storage_target_id, GetString(e, "storageTargetId"));
  }
  if (root["tableName"].get(e) == simdjson::SUCCESS && !e.is_null()) {
    TS_ASSIGN_OR_RETURN(req.table_name, GetString(e, "tableName"));
  }
  if (root["idempotencyKey"].get(e) == simdjson::SUCCESS && !e.is_null()) {
    TS_ASSIGN_OR_RETURN(std::string key, GetString(e, "idempotencyKey"));
    if (key.empty() || key.size() > 256) {
      return InvalidArgument("idempotencyKey: must be 1-256 characters");
    }
    req.idempotency_key = std::move(key);
  }
  if (root["schema"].get(e) == simdjson::SUCCESS && !e.is_null()) {
    if (e.type() != element_type::OBJECT) return ExpectedJson("schema", "an object", e);
    element fields;
    if (e["fields"].get(fields) != simdjson::SUCCESS) {
      return InvalidArgument("schema.fields: required");
    }
    TS_ASSIGN_OR_RETURN(req.schema, ParseSchemaFields(fields));
    element evolution;
    if (e["evolution"].get(evolution) == simdjson::SUCCESS && !evolution.is_null()) {
      if (evolution.type() != element_type::OBJECT) {
        return ExpectedJson("schema.evolution", "an object", evolution);
      }
      element backfill, defaults;
      if (evolution["backfill"].get(backfill) == simdjson::SUCCESS && backfill.is_bool() &&
          backfill.get_bool().value_unsafe()) {
        return InvalidArgument(
            "schema.evolution.backfill: not supported: partition files are immutable; rows "
            "written before a column existed read it as NULL");
      }
      if (evolution["defaults"].get(defaults) == simdjson::SUCCESS && !defaults.is_null()) {
        if (defaults.type() != element_type::OBJECT) {
          return ExpectedJson("schema.evolution.defaults", "an object", defaults);
        }
        const simdjson::dom::object members = defaults.get_object().value_unsafe();
        for (auto field : members) {
          req.defaults.emplace_back(std::string(field.key), field.value);
        }
      }
    }
  }
  if (root["partition"].get(e) == simdjson::SUCCESS && !e.is_null()) {
    TS_RETURN_IF_ERROR(ParsePartition(e, req));
  }
  if (root["rows"].get(e) != simdjson::SUCCESS) return InvalidArgument("rows: required");
  if (e.type() != element_type::ARRAY) return ExpectedJson("rows", "an array", e);
  req.rows = e.get_array().value_unsafe();
  return req;
}

namespace {

// Appends `v` to `column` as `type`, or explains why it does not fit. `where` is built lazily.
template <typename Where>
Status AppendValue(ColumnBuffer& column, element v, const Where& where) {
  if (v.is_null()) {
    column.AppendNull();
    return Status::Ok();
  }
  switch (column.type()) {
    case ColumnType::kDouble: {
      double d = 0;
      if (v.get_double().get(d) != simdjson::SUCCESS) return ExpectedJson(where(), "double", v);
      column.AppendDouble(d);
      return Status::Ok();
    }
    case ColumnType::kString: {
      std::string_view s;
      if (v.get_string().get(s) != simdjson::SUCCESS) return ExpectedJson(where(), "string", v);
      column.AppendString(s);
      return Status::Ok();
    }
    case ColumnType::kInteger: {
      int64_t i = 0;
      if (v.type() == element_type::INT64) {
        i = v.get_int64().value_unsafe();
      } else if (v.type() == element_type::DOUBLE) {
        const double d = v.get_double().value_unsafe();
        if (d != std::floor(d) || d < -9.2233720368547758e18 || d >= 9.2233720368547758e18) {
          return ExpectedJson(where(), "integer", v);
        }
        i = static_cast<int64_t>(d);
      } else {
        return ExpectedJson(
            where(), v.type() == element_type::UINT64 ? "integer within int64" : "integer", v);
      }
      column.AppendInt64(i);
      return Status::Ok();
    }
    case ColumnType::kBoolean: {
      bool b = false;
      if (v.get_bool().get(b) != simdjson::SUCCESS) return ExpectedJson(where(), "boolean", v);
      column.AppendBool(b);
      return Status::Ok();
    }
    case ColumnType::kTimestamp: {
      if (v.type() == element_type::INT64) {
        const int64_t ms = v.get_int64().value_unsafe();
        if (ms > INT64_MAX / 1000 || ms < INT64_MIN / 1000) {
          return ExpectedJson(where(), "epoch milliseconds within range", v);
        }
        column.AppendInt64(ms * 1000);
        return Status::Ok();
      }
      if (v.type() != element_type::STRING) {
        return ExpectedJson(where(), "timestamp (ISO-8601 string or epoch milliseconds)", v);
      }
      std::string_view text = v.get_string().value_unsafe();
      auto t = common::ParseIso8601(text);
      if (!t) {
        return InvalidArgument(where() + ": '" + std::string(text.substr(0, 64)) +
                               "' is not an ISO-8601 time with a zone (e.g. 2024-01-01T00:00:00Z)");
      }
      column.AppendInt64(*t);
      return Status::Ok();
    }
  }
  return ExpectedJson(where(), "a value", v);
}

using ColumnIndex = std::unordered_map<std::string_view, size_t>;

// The request's schema.evolution.defaults by column index, each checked against its column.
Result<std::vector<std::optional<element>>> ColumnDefaults(const IngestRequest& request,
                                                           const std::vector<ColumnDef>& schema,
                                                           const ColumnIndex& index) {
  std::vector<std::optional<element>> defaults(schema.size());
  for (const auto& [name, value] : request.defaults) {
    auto it = index.find(name);
    if (it == index.end()) {
      return InvalidArgument("schema.evolution.defaults." + name + ": not a column of the schema");
    }
    ColumnBuffer probe(schema[it->second].type);
    const std::string where = "schema.evolution.defaults." + name;
    TS_RETURN_IF_ERROR(AppendValue(probe, value, [&where] { return std::string(where); }));
    defaults[it->second] = value;
  }
  return defaults;
}

// What DecodeRows shares between rows.
struct RowDecoder {
  const std::vector<ColumnDef>& schema;
  const ColumnIndex& index;
  const std::vector<std::optional<element>>& defaults;
  std::vector<uint32_t> seen;  // per column: row number + 1 when the column was set
  RowBatch& batch;

  // Appends row `r` to the batch: its fields, then defaults or NULLs for the columns it lacks.
  Status Append(element row, size_t r) {
    const auto row_number = static_cast<uint32_t>(r + 1);
    if (row.type() != element_type::OBJECT) {
      return ExpectedJson("rows[" + std::to_string(r) + "]", "an object", row);
    }
    size_t expected_pos = 0;  // rows usually list columns in schema order: try that first
    const simdjson::dom::object fields = row.get_object().value_unsafe();
    for (auto field : fields) {
      size_t col = 0;
      if (expected_pos < schema.size() && schema[expected_pos].name == field.key) {
        col = expected_pos;
      } else {
        auto it = index.find(field.key);
        if (it == index.end()) {
          return InvalidArgument("rows[" + std::to_string(r) + "]." + std::string(field.key) +
                                 ": unknown column (not in the dataset schema; declare it in "
                                 "schema.fields to add it)");
        }
        col = it->second;
      }
      expected_pos = col + 1;
      if (seen[col] == row_number) {
        return InvalidArgument("rows[" + std::to_string(r) + "]." + std::string(field.key) +
                               ": duplicate key");
      }
      seen[col] = row_number;
      TS_RETURN_IF_ERROR(AppendValue(batch.columns[col], field.value, [&] {
        return "rows[" + std::to_string(r) + "]." + std::string(field.key);
      }));
    }
    for (size_t c = 0; c < schema.size(); ++c) {
      if (seen[c] == row_number) continue;
      if (defaults[c]) {
        TS_RETURN_IF_ERROR(
            AppendValue(batch.columns[c], *defaults[c], [] { return std::string(); }));
      } else {
        batch.columns[c].AppendNull();
      }
    }
    return Status::Ok();
  }
};

// Row `r` must have a time, within the request's partition.timeRange when it has one.
Status CheckRowTime(const ColumnBuffer& ts, size_t r, const DecodeOptions& options) {
  if (ts.IsNull(r)) {
    return InvalidArgument("rows[" + std::to_string(r) + "]." +
                           std::string(options.timestamp_column) + ": required");
  }
  if (options.time_range) {
    const common::UnixMicros t = ts.Int64At(r);
    if (t < options.time_range->start || t >= options.time_range->end) {
      return InvalidArgument("rows[" + std::to_string(r) + "]." +
                             std::string(options.timestamp_column) + ": " +
                             common::FormatIso8601(t) + " is outside partition.timeRange [" +
                             common::FormatIso8601(options.time_range->start) + ", " +
                             common::FormatIso8601(options.time_range->end) + ")");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<RowBatch> DecodeRows(const IngestRequest& request, const std::vector<ColumnDef>& schema,
                            const DecodeOptions& options) {
  const size_t row_count = request.rows.size();
  if (row_count > options.max_rows) {
    return common::PayloadTooLarge("rows: " + std::to_string(row_count) +
                                   " rows exceed the limit of " + std::to_string(options.max_rows) +
                                   " per request");
  }
  RowBatch batch = RowBatch::Empty(schema);
  for (auto& c : batch.columns) c.Reserve(row_count);
  ColumnIndex index;
  for (size_t i = 0; i < schema.size(); ++i) index.emplace(schema[i].name, i);
  const int ts_index = batch.ColumnIndex(options.timestamp_column);
  if (ts_index < 0 || schema[static_cast<size_t>(ts_index)].type != ColumnType::kTimestamp) {
    return InvalidArgument("schema: the timestamp column '" +
                           std::string(options.timestamp_column) +
                           "' must be a field of type timestamp");
  }
  TS_ASSIGN_OR_RETURN(const std::vector<std::optional<element>> defaults,
                      ColumnDefaults(request, schema, index));
  RowDecoder decoder{schema, index, defaults, std::vector<uint32_t>(schema.size(), 0), batch};
  size_t r = 0;
  for (element row : request.rows) {
    TS_RETURN_IF_ERROR(decoder.Append(row, r));
    TS_RETURN_IF_ERROR(CheckRowTime(batch.columns[static_cast<size_t>(ts_index)], r, options));
    ++r;
  }
  return batch;
}

}  // namespace timestore::ingest
