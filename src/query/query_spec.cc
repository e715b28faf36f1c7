#include "query/query_spec.h"

#include <array>
#include <chrono>
#include <cmath>
#include <initializer_list>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "common/json_describe.h"
#include "common/json_writer.h"
#include "common/text.h"

namespace timestore::query {

using catalog::ColumnDef;
using catalog::ColumnType;
using common::ExpectedJson;
using common::InvalidArgument;
using common::Result;
using common::Status;
using common::UnixMicros;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

namespace {

constexpr size_t kMaxNameBytes = 128;  // aliases and partition-key names
constexpr size_t kMaxInValues = 10'000;
constexpr int64_t kMaxIntervalSize = 1'000'000;
using common::kMaxQuotedBytes;

constexpr std::array<std::pair<std::string_view, AggregateFn>, 11> kAggregateFns = {{
    {"avg", AggregateFn::kAvg},
    {"min", AggregateFn::kMin},
    {"max", AggregateFn::kMax},
    {"sum", AggregateFn::kSum},
    {"median", AggregateFn::kMedian},
    {"count", AggregateFn::kCount},
    {"count_distinct", AggregateFn::kCountDistinct},
    {"percentile", AggregateFn::kPercentile},
    {"first", AggregateFn::kFirst},
    {"last", AggregateFn::kLast},
    {"stddev", AggregateFn::kStddev},
}};

constexpr std::array<std::pair<std::string_view, IntervalUnit>, 6> kIntervalUnits = {{
    {"second", IntervalUnit::kSecond},
    {"minute", IntervalUnit::kMinute},
    {"hour", IntervalUnit::kHour},
    {"day", IntervalUnit::kDay},
    {"week", IntervalUnit::kWeek},
    {"month", IntervalUnit::kMonth},
}};

// ---- messages -------------------------------------------------------------------------------

// Caller text fit for a message: at most kMaxQuotedBytes bytes, then "...".
std::string Clip(std::string_view s) {
  if (s.size() <= kMaxQuotedBytes) return std::string(s);
  return std::string(s.substr(0, kMaxQuotedBytes)) + "...";
}

std::string Quoted(std::string_view s) { return "'" + Clip(s) + "'"; }

// The path of member `key` below `where` ("" is the body itself).
std::string Member(std::string_view where, std::string_view key) {
  const std::string name = key.empty() ? "\"\"" : Clip(key);
  return where.empty() ? name : std::string(where) + "." + name;
}

std::string Item(std::string_view where, size_t i) {
  return std::string(where) + "[" + std::to_string(i) + "]";
}

// ---- JSON access ----------------------------------------------------------------------------

// Rejects a member named twice ("<where>.<key>: duplicate field"): JSON leaves it undefined.
Status CheckUniqueMembers(object obj, std::string_view where) {
  std::unordered_set<std::string_view> seen;
  for (auto field : obj) {
    if (!seen.insert(field.key).second) {
      return InvalidArgument(Member(where, field.key) + ": duplicate field");
    }
  }
  return Status::Ok();
}

// Rejects members not in `allowed` ("<where>.<key>: <unknown>") and repeated members.
Status CheckMembers(object obj, std::string_view where,
                    std::initializer_list<std::string_view> allowed,
                    std::string_view unknown = "unknown field") {
  for (auto field : obj) {
    bool known = false;
    for (std::string_view a : allowed) known = known || a == field.key;
    if (!known) return InvalidArgument(Member(where, field.key) + ": " + std::string(unknown));
  }
  return CheckUniqueMembers(obj, where);
}

// The member `key` of `obj`; nothing when it is absent or null (optional members may be null).
std::optional<element> FindMember(object obj, std::string_view key) {
  element e;
  if (obj.at_key(key).get(e) != simdjson::SUCCESS || e.is_null()) return std::nullopt;
  return e;
}

Result<object> GetObject(element e, std::string_view where) {
  if (e.type() != element_type::OBJECT) return ExpectedJson(where, "an object", e);
  return e.get_object().value_unsafe();
}

Result<simdjson::dom::array> GetArray(element e, std::string_view where) {
  if (e.type() != element_type::ARRAY) return ExpectedJson(where, "an array", e);
  return e.get_array().value_unsafe();
}

Result<std::string_view> GetString(element e, std::string_view where) {
  if (e.type() != element_type::STRING) return ExpectedJson(where, "a string", e);
  return e.get_string().value_unsafe();
}

Result<double> GetNumber(element e, std::string_view where) {
  if (!e.is_number()) return ExpectedJson(where, "a number", e);
  const double d = e.get_double().value_unsafe();
  if (!std::isfinite(d)) return ExpectedJson(where, "a finite number", e);
  return d;
}

// An integral JSON number (1 and 1.0 alike, as JavaScript sees them). Values beyond int64 clamp
// to its bounds, so that the caller's range check words the error.
Result<int64_t> GetInteger(element e, std::string_view where) {
  switch (e.type()) {
    case element_type::INT64:
      return e.get_int64().value_unsafe();
    case element_type::UINT64:
      return INT64_MAX;
    case element_type::DOUBLE: {
      const double d = e.get_double().value_unsafe();
      if (!std::isfinite(d) || d != std::floor(d)) return ExpectedJson(where, "an integer", e);
      if (d >= 9.2233720368547758e18) return INT64_MAX;
      if (d < -9.2233720368547758e18) return INT64_MIN;
      return static_cast<int64_t>(d);
    }
    default:
      return ExpectedJson(where, "an integer", e);
  }
}

Result<UnixMicros> GetTime(element e, std::string_view where) {
  if (e.type() != element_type::STRING) return ExpectedJson(where, "an ISO-8601 time string", e);
  std::string_view text = e.get_string().value_unsafe();
  auto t = common::ParseIso8601(text);
  if (!t) {
    return InvalidArgument(std::string(where) + ": " + Quoted(text) +
                           " is not an ISO-8601 time with a zone (e.g. 2024-01-01T00:00:00Z)");
  }
  return *t;
}

// ---- schema ---------------------------------------------------------------------------------

class Schema {
 public:
  explicit Schema(const std::vector<ColumnDef>& columns) {
    for (const auto& c : columns) by_name_.emplace(c.name, &c);
  }
  const ColumnDef* Find(std::string_view name) const {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : it->second;
  }
  // The column `name`, or "<where>: unknown column '<name>'".
  Result<const ColumnDef*> Get(std::string_view name, std::string_view where) const {
    const ColumnDef* c = Find(name);
    if (c == nullptr)
      return InvalidArgument(std::string(where) + ": unknown column " + Quoted(name));
    return c;
  }

 private:
  std::unordered_map<std::string_view, const ColumnDef*> by_name_;
};

bool IsNumeric(ColumnType t) { return t == ColumnType::kDouble || t == ColumnType::kInteger; }

ValueType ValueTypeOf(ColumnType t) {
  switch (t) {
    case ColumnType::kTimestamp:
      return ValueType::kTimestamp;
    case ColumnType::kString:
      return ValueType::kString;
    case ColumnType::kDouble:
    case ColumnType::kInteger:
      return ValueType::kNumber;
    case ColumnType::kBoolean:
      return ValueType::kBoolean;
  }
  return ValueType::kString;
}

std::optional<ValueType> ParseValueType(std::string_view name) {
  for (ValueType t :
       {ValueType::kString, ValueType::kNumber, ValueType::kTimestamp, ValueType::kBoolean}) {
    if (ValueTypeName(t) == name) return t;
  }
  return std::nullopt;
}

// A list of column names: strings, known, each once (case-insensitively, as DuckDB resolves them).
Result<std::vector<std::string>> ParseColumnList(element e, std::string_view where,
                                                 const Schema& schema) {
  TS_ASSIGN_OR_RETURN(simdjson::dom::array items, GetArray(e, where));
  std::vector<std::string> out;
  size_t i = 0;
  for (element item : items) {
    const std::string at = Item(where, i++);
    TS_ASSIGN_OR_RETURN(std::string_view name, GetString(item, at));
    TS_RETURN_IF_ERROR(schema.Get(name, at).status());
    for (const auto& existing : out) {
      if (common::EqualsIgnoreCase(existing, name)) {
        return InvalidArgument(at + ": duplicate column " + Quoted(name));
      }
    }
    out.emplace_back(name);
  }
  return out;
}

// ---- predicates -----------------------------------------------------------------------------

Result<Value> ParseValue(element e, ValueType type, std::string_view where) {
  switch (type) {
    case ValueType::kString: {
      TS_ASSIGN_OR_RETURN(std::string_view s, GetString(e, where));
      return Value(std::string(s));
    }
    case ValueType::kNumber: {
      TS_ASSIGN_OR_RETURN(double d, GetNumber(e, where));
      return Value(d);
    }
    case ValueType::kTimestamp: {
      TS_ASSIGN_OR_RETURN(UnixMicros t, GetTime(e, where));
      return Value(t);
    }
    case ValueType::kBoolean:
      if (e.type() != element_type::BOOL) return ExpectedJson(where, "a boolean", e);
      return Value(e.get_bool().value_unsafe());
  }
  return ExpectedJson(where, "a value", e);
}

Result<std::vector<Value>> ParseValueList(element e, ValueType type, std::string_view where) {
  TS_ASSIGN_OR_RETURN(simdjson::dom::array items, GetArray(e, where));
  if (items.size() == 0) return InvalidArgument(std::string(where) + ": must not be empty");
  if (items.size() > kMaxInValues) {
    return InvalidArgument(std::string(where) + ": at most " + std::to_string(kMaxInValues) +
                           " values");
  }
  std::vector<Value> out;
  out.reserve(items.size());
  size_t i = 0;
  for (element item : items) {
    TS_ASSIGN_OR_RETURN(Value v, ParseValue(item, type, Item(where, i++)));
    out.push_back(std::move(v));
  }
  return out;
}

// `e` is a bare array (= in) or an object of operators. `column_type` is the schema's type for a
// column, nothing for a partition key; `subject` words the kind ("column", "partition key").
Result<Predicate> ParsePredicate(element e, const std::string& where, std::string_view name,
                                 std::optional<ValueType> column_type, std::string_view subject) {
  Predicate p;
  p.name = std::string(name);
  p.type = column_type.value_or(ValueType::kString);
  if (e.type() == element_type::ARRAY) {
    TS_ASSIGN_OR_RETURN(p.in, ParseValueList(e, p.type, where));
    return p;
  }
  if (e.type() != element_type::OBJECT) {
    return ExpectedJson(where, "an array of values or an object of operators", e);
  }
  const object obj = e.get_object().value_unsafe();
  TS_RETURN_IF_ERROR(CheckMembers(obj, where, {"type", "eq", "in", "gt", "gte", "lt", "lte"},
                                  "unknown operator (expected eq, in, gt, gte, lt or lte)"));
  if (auto t = FindMember(obj, "type")) {
    const std::string at = where + ".type";
    TS_ASSIGN_OR_RETURN(std::string_view type_name, GetString(*t, at));
    auto type = ParseValueType(type_name);
    if (!type) {
      return InvalidArgument(at + ": unknown type " + Quoted(type_name) +
                             " (expected string, number, timestamp or boolean)");
    }
    if (column_type && *type != *column_type) {
      return InvalidArgument(at + ": " + Quoted(type_name) + " does not match the column, which " +
                             "compares as " + std::string(ValueTypeName(*column_type)));
    }
    p.type = *type;
  }
  const bool ordered = p.type == ValueType::kNumber || p.type == ValueType::kTimestamp;
  bool any = false;
  for (std::string_view op : {"eq", "in", "gt", "gte", "lt", "lte"}) {
    auto v = FindMember(obj, op);
    if (!v) continue;
    const std::string at = where + "." + std::string(op);
    if (!ordered && op != "eq" && op != "in") {
      return InvalidArgument(at + ": not allowed for a " + std::string(ValueTypeName(p.type)) +
                             " " + std::string(subject));
    }
    any = true;
    if (op == "in") {
      TS_ASSIGN_OR_RETURN(p.in, ParseValueList(*v, p.type, at));
      continue;
    }
    TS_ASSIGN_OR_RETURN(Value value, ParseValue(*v, p.type, at));
    std::optional<Value>& slot = op == "eq"    ? p.eq
                                 : op == "gt"  ? p.gt
                                 : op == "gte" ? p.gte
                                 : op == "lt"  ? p.lt
                                               : p.lte;
    slot = std::move(value);
  }
  if (!any) {
    return InvalidArgument(where + ": expected at least one operator (" +
                           (ordered ? "eq, in, gt, gte, lt or lte" : "eq or in") + ")");
  }
  return p;
}

bool IsValidPartitionKeyName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(name[0])) return false;
  for (char c : name) {
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

Status ParseFilters(element e, const Schema& schema, QuerySpec& spec) {
  TS_ASSIGN_OR_RETURN(object filters, GetObject(e, "filters"));
  TS_RETURN_IF_ERROR(CheckMembers(filters, "filters", {"partitionKey", "columns"}));
  if (auto pk = FindMember(filters, "partitionKey")) {
    TS_ASSIGN_OR_RETURN(object keys, GetObject(*pk, "filters.partitionKey"));
    TS_RETURN_IF_ERROR(CheckUniqueMembers(keys, "filters.partitionKey"));
    for (auto field : keys) {
      const std::string where = Member("filters.partitionKey", field.key);
      if (!IsValidPartitionKeyName(field.key)) {
        return InvalidArgument(where + ": invalid key name (expected [A-Za-z_][A-Za-z0-9_]*, at " +
                               "most 128 characters)");
      }
      TS_ASSIGN_OR_RETURN(Predicate p, ParsePredicate(field.value, where, field.key, std::nullopt,
                                                      "partition key"));
      spec.partition_key_filters.push_back(std::move(p));
    }
  }
  if (auto cols = FindMember(filters, "columns")) {
    TS_ASSIGN_OR_RETURN(object by_column, GetObject(*cols, "filters.columns"));
    TS_RETURN_IF_ERROR(CheckUniqueMembers(by_column, "filters.columns"));
    for (auto field : by_column) {
      const std::string where = Member("filters.columns", field.key);
      const ColumnDef* column = schema.Find(field.key);
      if (column == nullptr) return InvalidArgument(where + ": unknown column");
      TS_ASSIGN_OR_RETURN(Predicate p, ParsePredicate(field.value, where, field.key,
                                                      ValueTypeOf(column->type), "column"));
      spec.column_filters.push_back(std::move(p));
    }
  }
  return Status::Ok();
}

// ---- downsample -----------------------------------------------------------------------------

// JavaScript's Math.round (halves go up), which the original used for percentile aliases.
int64_t RoundHalfUp(double x) {
  double f = std::floor(x);
  if (x - f >= 0.5) f += 1;
  return static_cast<int64_t>(f);
}

std::string DefaultAlias(const Aggregation& a) {
  if (!a.column) return std::string(AggregateFnName(a.fn));
  if (a.fn == AggregateFn::kPercentile) {
    return "p" + std::to_string(RoundHalfUp(a.percentile * 100)) + "_" + *a.column;
  }
  return std::string(AggregateFnName(a.fn)) + "_" + *a.column;
}

bool IsValidAlias(std::string_view alias) {
  if (alias.empty() || alias.size() > kMaxNameBytes) return false;
  for (char c : alias) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

Result<Aggregation> ParseAggregation(element e, const std::string& where, const Schema& schema) {
  TS_ASSIGN_OR_RETURN(object obj, GetObject(e, where));
  TS_RETURN_IF_ERROR(CheckMembers(obj, where, {"fn", "column", "alias", "percentile"}));
  Aggregation a;
  auto fn_el = FindMember(obj, "fn");
  if (!fn_el) return InvalidArgument(where + ".fn: required");
  TS_ASSIGN_OR_RETURN(std::string_view fn_name, GetString(*fn_el, where + ".fn"));
  bool known = false;
  for (const auto& [name, fn] : kAggregateFns) {
    if (name == fn_name) {
      a.fn = fn;
      known = true;
    }
  }
  if (!known) {
    return InvalidArgument(where + ".fn: unknown aggregation " + Quoted(fn_name) +
                           " (expected avg, min, max, sum, median, count, count_distinct, "
                           "percentile, first, last or stddev)");
  }
  const std::string_view fn = AggregateFnName(a.fn);
  if (auto c = FindMember(obj, "column")) {
    const std::string at = where + ".column";
    TS_ASSIGN_OR_RETURN(std::string_view name, GetString(*c, at));
    TS_ASSIGN_OR_RETURN(const ColumnDef* column, schema.Get(name, at));
    const bool numeric_fn = a.fn != AggregateFn::kCount && a.fn != AggregateFn::kCountDistinct &&
                            a.fn != AggregateFn::kFirst && a.fn != AggregateFn::kLast;
    if (numeric_fn && !IsNumeric(column->type)) {
      return InvalidArgument(at + ": " + std::string(fn) + " needs a numeric column; " +
                             Quoted(name) + " is " +
                             std::string(catalog::ColumnTypeName(column->type)));
    }
    a.column = std::string(name);
  } else if (a.fn != AggregateFn::kCount) {
    return InvalidArgument(where + ".column: required for " + std::string(fn));
  }
  auto p = FindMember(obj, "percentile");
  if (a.fn == AggregateFn::kPercentile) {
    if (!p) return InvalidArgument(where + ".percentile: required for percentile");
    TS_ASSIGN_OR_RETURN(a.percentile, GetNumber(*p, where + ".percentile"));
    if (a.percentile < 0 || a.percentile > 1) {
      return InvalidArgument(where + ".percentile: must be between 0 and 1");
    }
  } else if (p) {
    return InvalidArgument(where + ".percentile: only allowed with fn 'percentile'");
  }
  if (auto alias = FindMember(obj, "alias")) {
    const std::string at = where + ".alias";
    TS_ASSIGN_OR_RETURN(std::string_view s, GetString(*alias, at));
    if (!IsValidAlias(s)) {
      return InvalidArgument(at + ": must be 1-128 bytes without control characters");
    }
    a.alias = std::string(s);
  } else {
    a.alias = DefaultAlias(a);
  }
  return a;
}

// The buckets of one series between start and end, for the fill limit; an upper bound.
int64_t BucketCount(UnixMicros start, UnixMicros end, IntervalUnit unit, int64_t size) {
  if (auto micros = IntervalUnitMicros(unit)) {
    const int64_t interval = *micros * size;  // <= 1e6 weeks, far inside int64
    const int64_t span = end - start;         // parsed ISO-8601 years 0000..9999: no overflow
    return span / interval + (span % interval != 0 ? 1 : 0) + 1;
  }
  using std::chrono::floor;
  auto month_index = [](UnixMicros t) {
    const std::chrono::sys_days day = floor<std::chrono::days>(
        std::chrono::sys_time<std::chrono::microseconds>(std::chrono::microseconds(t)));
    const std::chrono::year_month_day ymd(day);
    return static_cast<int64_t>(static_cast<int>(ymd.year())) * 12 +
           static_cast<int64_t>(static_cast<unsigned>(ymd.month())) - 1;
  };
  const int64_t months = month_index(end - 1) - month_index(start) + 1;
  return months / size + (months % size != 0 ? 1 : 0) + 1;
}

Status ParseFill(element e, Downsample& d) {
  if (e.type() == element_type::OBJECT) {
    const object obj = e.get_object().value_unsafe();
    TS_RETURN_IF_ERROR(CheckMembers(obj, "downsample.fill", {"value"}));
    auto v = FindMember(obj, "value");
    if (!v) return InvalidArgument("downsample.fill.value: required");
    TS_ASSIGN_OR_RETURN(d.fill_value, GetNumber(*v, "downsample.fill.value"));
    d.fill = FillMode::kValue;
    return Status::Ok();
  }
  constexpr std::string_view kExpected = "none, null, previous, linear or {\"value\": <number>}";
  if (e.type() != element_type::STRING) return ExpectedJson("downsample.fill", kExpected, e);
  const std::string_view mode = e.get_string().value_unsafe();
  if (mode == "none") {
    d.fill = FillMode::kNone;
  } else if (mode == "null") {
    d.fill = FillMode::kNull;
  } else if (mode == "previous") {
    d.fill = FillMode::kPrevious;
  } else if (mode == "linear") {
    d.fill = FillMode::kLinear;
  } else {
    return ExpectedJson("downsample.fill", kExpected, e);
  }
  return Status::Ok();
}

Result<Downsample> ParseDownsample(element e, const Schema& schema, const QuerySpec& spec,
                                   const QueryLimits& limits) {
  TS_ASSIGN_OR_RETURN(object obj, GetObject(e, "downsample"));
  TS_RETURN_IF_ERROR(CheckMembers(
      obj, "downsample", {"intervalUnit", "intervalSize", "aggregations", "groupBy", "fill"}));
  Downsample d;
  if (auto u = FindMember(obj, "intervalUnit")) {
    TS_ASSIGN_OR_RETURN(std::string_view name, GetString(*u, "downsample.intervalUnit"));
    bool known = false;
    for (const auto& [unit_name, unit] : kIntervalUnits) {
      if (unit_name == name) {
        d.unit = unit;
        known = true;
      }
    }
    if (!known) {
      return InvalidArgument("downsample.intervalUnit: unknown unit " + Quoted(name) +
                             " (expected second, minute, hour, day, week or month)");
    }
  }
  if (auto s = FindMember(obj, "intervalSize")) {
    TS_ASSIGN_OR_RETURN(d.size, GetInteger(*s, "downsample.intervalSize"));
    if (d.size < 1 || d.size > kMaxIntervalSize) {
      return InvalidArgument("downsample.intervalSize: must be an integer between 1 and " +
                             std::to_string(kMaxIntervalSize));
    }
  }
  if (auto g = FindMember(obj, "groupBy")) {
    TS_ASSIGN_OR_RETURN(d.group_by, ParseColumnList(*g, "downsample.groupBy", schema));
    for (size_t i = 0; i < d.group_by.size(); ++i) {
      if (d.group_by[i] == spec.timestamp_column) {
        return InvalidArgument(Item("downsample.groupBy", i) +
                               ": cannot group by the timestamp column " +
                               Quoted(spec.timestamp_column) + " (downsampling buckets it)");
      }
    }
  }
  auto aggs = FindMember(obj, "aggregations");
  if (!aggs) return InvalidArgument("downsample.aggregations: required");
  TS_ASSIGN_OR_RETURN(simdjson::dom::array items, GetArray(*aggs, "downsample.aggregations"));
  if (items.size() == 0) {
    return InvalidArgument("downsample.aggregations: at least one aggregation is required");
  }
  // Output names are compared case-insensitively: DuckDB resolves identifiers that way.
  std::unordered_set<std::string> taken;
  for (element item : items) {
    const std::string where = Item("downsample.aggregations", d.aggregations.size());
    TS_ASSIGN_OR_RETURN(Aggregation a, ParseAggregation(item, where, schema));
    const std::string key = common::ToLowerAscii(a.alias);
    if (common::EqualsIgnoreCase(a.alias, spec.timestamp_column)) {
      return InvalidArgument(where + ".alias: " + Quoted(a.alias) +
                             " collides with the timestamp column");
    }
    for (const auto& g : d.group_by) {
      if (common::EqualsIgnoreCase(a.alias, g)) {
        return InvalidArgument(where + ".alias: " + Quoted(a.alias) +
                               " collides with the groupBy column " + Quoted(g));
      }
    }
    if (!taken.insert(key).second) {
      return InvalidArgument(where + ".alias: duplicate alias " + Quoted(a.alias) +
                             " (name it with alias)");
    }
    d.aggregations.push_back(std::move(a));
  }
  if (auto f = FindMember(obj, "fill")) TS_RETURN_IF_ERROR(ParseFill(*f, d));
  if (d.fill != FillMode::kNone) {
    const int64_t buckets = BucketCount(spec.start, spec.end, d.unit, d.size);
    if (buckets > limits.max_fill_buckets) {
      return InvalidArgument("downsample.fill: filling this range needs " +
                             std::to_string(buckets) + " buckets per series, more than the " +
                             "limit of " + std::to_string(limits.max_fill_buckets) +
                             "; raise downsample.intervalSize or narrow timeRange");
    }
  }
  return d;
}

// ---- top level ------------------------------------------------------------------------------

Status ParseTimeRange(object body, QuerySpec& spec) {
  element e;
  if (body.at_key("timeRange").get(e) != simdjson::SUCCESS) {
    return InvalidArgument("timeRange: required");
  }
  TS_ASSIGN_OR_RETURN(object range, GetObject(e, "timeRange"));
  TS_RETURN_IF_ERROR(CheckMembers(range, "timeRange", {"start", "end"}));
  element start, end;
  if (range.at_key("start").get(start) != simdjson::SUCCESS) {
    return InvalidArgument("timeRange.start: required");
  }
  if (range.at_key("end").get(end) != simdjson::SUCCESS) {
    return InvalidArgument("timeRange.end: required");
  }
  TS_ASSIGN_OR_RETURN(spec.start, GetTime(start, "timeRange.start"));
  TS_ASSIGN_OR_RETURN(spec.end, GetTime(end, "timeRange.end"));
  if (spec.end <= spec.start) {
    return InvalidArgument("timeRange.end: must be after timeRange.start");
  }
  return Status::Ok();
}

Status ParseTimestampColumn(object body, const Schema& schema,
                            std::string_view default_timestamp_column, QuerySpec& spec) {
  auto e = FindMember(body, "timestampColumn");
  if (!e) {
    spec.timestamp_column = std::string(default_timestamp_column);
    const ColumnDef* c = schema.Find(default_timestamp_column);
    // A dataset without a schema has no rows yet: nothing to check the default against.
    if (c != nullptr && c->type != ColumnType::kTimestamp) {
      return InvalidArgument("timestampColumn: the dataset's timestamp column " +
                             Quoted(default_timestamp_column) +
                             " is not of type timestamp; name one");
    }
    return Status::Ok();
  }
  TS_ASSIGN_OR_RETURN(std::string_view name, GetString(*e, "timestampColumn"));
  TS_ASSIGN_OR_RETURN(const ColumnDef* c, schema.Get(name, "timestampColumn"));
  if (c->type != ColumnType::kTimestamp) {
    return InvalidArgument("timestampColumn: " + Quoted(name) + " is a " +
                           std::string(catalog::ColumnTypeName(c->type)) +
                           " column, not a timestamp column");
  }
  spec.timestamp_column = std::string(name);
  return Status::Ok();
}

}  // namespace

std::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kString:
      return "string";
    case ValueType::kNumber:
      return "number";
    case ValueType::kTimestamp:
      return "timestamp";
    case ValueType::kBoolean:
      return "boolean";
  }
  return "string";
}

std::string_view AggregateFnName(AggregateFn fn) {
  for (const auto& [name, f] : kAggregateFns) {
    if (f == fn) return name;
  }
  return "count";
}

std::string_view IntervalUnitName(IntervalUnit unit) {
  for (const auto& [name, u] : kIntervalUnits) {
    if (u == unit) return name;
  }
  return "minute";
}

std::optional<int64_t> IntervalUnitMicros(IntervalUnit unit) {
  constexpr int64_t kSecond = 1'000'000;
  switch (unit) {
    case IntervalUnit::kSecond:
      return kSecond;
    case IntervalUnit::kMinute:
      return kSecond * 60;
    case IntervalUnit::kHour:
      return kSecond * 3600;
    case IntervalUnit::kDay:
      return kSecond * 86400;
    case IntervalUnit::kWeek:
      return kSecond * 86400 * 7;
    case IntervalUnit::kMonth:
      return std::nullopt;
  }
  return std::nullopt;
}

Result<QuerySpec> ParseQueryRequest(element body, const std::vector<ColumnDef>& columns,
                                    std::string_view default_timestamp_column,
                                    const QueryLimits& limits) {
  if (body.type() != element_type::OBJECT) {
    return InvalidArgument("body: must be a JSON object, got " + common::DescribeJson(body));
  }
  const object root = body.get_object().value_unsafe();
  TS_RETURN_IF_ERROR(CheckMembers(root, "",
                                  {"timeRange", "timestampColumn", "columns", "filters",
                                   "downsample", "order", "limit", "asOfVersion"}));
  const Schema schema(columns);
  QuerySpec spec;
  TS_RETURN_IF_ERROR(ParseTimeRange(root, spec));
  TS_RETURN_IF_ERROR(ParseTimestampColumn(root, schema, default_timestamp_column, spec));
  if (auto e = FindMember(root, "columns")) {
    TS_ASSIGN_OR_RETURN(spec.columns, ParseColumnList(*e, "columns", schema));
    if (spec.columns.empty()) return InvalidArgument("columns: must not be empty");
  }
  if (auto e = FindMember(root, "filters")) TS_RETURN_IF_ERROR(ParseFilters(*e, schema, spec));
  if (auto e = FindMember(root, "downsample")) {
    TS_ASSIGN_OR_RETURN(spec.downsample, ParseDownsample(*e, schema, spec, limits));
  }
  if (auto e = FindMember(root, "order")) {
    TS_ASSIGN_OR_RETURN(std::string_view order, GetString(*e, "order"));
    if (order == "asc") {
      spec.order = SortOrder::kAsc;
    } else if (order == "desc") {
      spec.order = SortOrder::kDesc;
    } else {
      return ExpectedJson("order", "'asc' or 'desc'", *e);
    }
  }
  spec.limit = limits.default_limit;
  if (auto e = FindMember(root, "limit")) {
    TS_ASSIGN_OR_RETURN(spec.limit, GetInteger(*e, "limit"));
    if (spec.limit < 1 || spec.limit > limits.max_limit) {
      return InvalidArgument("limit: must be an integer between 1 and " +
                             std::to_string(limits.max_limit));
    }
    spec.limit_given = true;
  }
  if (auto e = FindMember(root, "asOfVersion")) {
    TS_ASSIGN_OR_RETURN(int64_t version, GetInteger(*e, "asOfVersion"));
    if (version < 0) return InvalidArgument("asOfVersion: must be an integer >= 0");
    spec.as_of_version = version;
  }
  return spec;
}

std::vector<std::string> AnswerColumns(const QuerySpec& spec,
                                       const std::vector<ColumnDef>& schema) {
  std::vector<std::string> out;
  if (spec.downsample) {
    out.push_back(spec.timestamp_column);
    out.insert(out.end(), spec.downsample->group_by.begin(), spec.downsample->group_by.end());
    for (const auto& a : spec.downsample->aggregations) out.push_back(a.alias);
    return out;
  }
  if (!spec.columns.empty()) return spec.columns;
  out.reserve(schema.size());
  for (const auto& c : schema) out.push_back(c.name);
  return out;
}

}  // namespace timestore::query
