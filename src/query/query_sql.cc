#include "query/query_sql.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <functional>
#include <set>
#include <string_view>

#include "duck/sql_quoting.h"
#include "partition/scan_sql.h"

namespace timestore::query {
namespace {

using catalog::ColumnDef;
using catalog::ColumnType;
using duck::QuoteIdent;

// Internal column names of the generated statement. Dataset columns are validated identifiers; the
// "__ts_" prefix keeps these apart from any a caller would choose.
constexpr std::string_view kBucket = "\"__ts_bucket\"";
constexpr std::string_view kPresent = "\"__ts_present\"";

std::string NumberLiteral(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return "CAST(" + std::string(buf) + " AS DOUBLE)";
}

class SqlWriter {
 public:
  explicit SqlWriter(std::vector<Value>& params) : params_(params) {}

  // The SQL text of `v`: a parameter for strings, a literal for the rest.
  std::string ValueSql(const Value& v) {
    if (const auto* s = std::get_if<std::string>(&v)) {
      params_.push_back(*s);
      return "$" + std::to_string(params_.size());
    }
    if (const auto* d = std::get_if<double>(&v)) return NumberLiteral(*d);
    if (const auto* t = std::get_if<common::UnixMicros>(&v)) return TimestampLiteral(*t);
    return std::get<bool>(v) ? "TRUE" : "FALSE";
  }

  // The filter text of `p` on column `column_sql`; each string value becomes one parameter, shared
  // by every scan that repeats the filter.
  std::string PredicateSql(const Predicate& p) {
    auto it = cache_.find(&p);
    if (it != cache_.end()) return it->second;
    const std::string col = QuoteIdent(p.name);
    std::vector<std::string> terms;
    if (p.eq) terms.push_back(col + " = " + ValueSql(*p.eq));
    if (p.in) {
      std::string list;
      for (const Value& v : *p.in) list += (list.empty() ? "" : ", ") + ValueSql(v);
      terms.push_back(col + " IN (" + list + ")");
    }
    if (p.gt) terms.push_back(col + " > " + ValueSql(*p.gt));
    if (p.gte) terms.push_back(col + " >= " + ValueSql(*p.gte));
    if (p.lt) terms.push_back(col + " < " + ValueSql(*p.lt));
    if (p.lte) terms.push_back(col + " <= " + ValueSql(*p.lte));
    std::string sql;
    for (const std::string& t : terms) sql += (sql.empty() ? "" : " AND ") + t;
    return cache_.emplace(&p, "(" + sql + ")").first->second;
  }

 private:
  std::vector<Value>& params_;
  std::map<const Predicate*, std::string> cache_;
};

const ColumnDef* FindColumn(const std::vector<ColumnDef>& columns, std::string_view name) {
  for (const ColumnDef& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

// The columns the scans must produce, in schema order.
std::vector<ColumnDef> NeededColumns(const QuerySpec& spec, const std::vector<ColumnDef>& schema) {
  std::set<std::string, std::less<>> needed{spec.timestamp_column};
  if (spec.downsample) {
    for (const std::string& g : spec.downsample->group_by) needed.insert(g);
    for (const Aggregation& a : spec.downsample->aggregations) {
      if (a.column) needed.insert(*a.column);
    }
  } else if (spec.columns.empty()) {
    for (const ColumnDef& c : schema) needed.insert(c.name);
  } else {
    needed.insert(spec.columns.begin(), spec.columns.end());
  }
  std::vector<ColumnDef> out;
  for (const ColumnDef& c : schema) {
    if (needed.contains(c.name)) out.push_back(c);
  }
  return out;
}

// UNION ALL of one scan per (format, schema version) group of Parquet files and one per DuckDB
// file, each filtered by `where` (when not empty). `where_ok(version)` says whether the filter can
// run inside the scan of that schema version's files (it names only columns they have); otherwise
// the scan is wrapped and filtered outside.
std::string ScansSql(const std::vector<ColumnDef>& needed,
                     const std::map<int, std::vector<ColumnDef>>& schema_versions,
                     const std::vector<SourceFile>& files, const std::string& where,
                     const std::function<bool(int)>& where_ok) {
  auto scan = [&](int version, const std::string& from) {
    std::string select =
        "SELECT " +
        partition::ProjectionSql(needed, partition::ColumnsOf(schema_versions, version),
                                 partition::PresentColumns::kAsStored) +
        " FROM " + from;
    if (where.empty()) return select;
    if (where_ok(version)) return select + " WHERE " + where;
    return "SELECT * FROM (" + select + ") WHERE " + where;
  };
  std::string sql;
  for (const partition::Scan& s : partition::GroupScans(files)) {
    sql += (sql.empty() ? "" : "\nUNION ALL\n") + scan(s.schema_version, s.from);
  }
  return sql;
}

// The scans of a query: the time range and the column filters in every scan.
std::string SourceSql(const QuerySpec& spec, const std::vector<ColumnDef>& needed,
                      const std::map<int, std::vector<ColumnDef>>& schema_versions,
                      const std::vector<SourceFile>& files, SqlWriter& writer) {
  std::string where = QuoteIdent(spec.timestamp_column) + " >= " + TimestampLiteral(spec.start) +
                      " AND " + QuoteIdent(spec.timestamp_column) + " < " +
                      TimestampLiteral(spec.end);
  for (const Predicate& p : spec.column_filters) where += " AND " + writer.PredicateSql(p);
  // A filter on a column a schema version lacks compares NULL: the planner prunes such
  // partitions, and filtering outside the scan keeps the statement valid should one remain.
  auto where_ok = [&](int version) {
    auto it = schema_versions.find(version);
    if (it == schema_versions.end()) return spec.column_filters.empty();
    for (const Predicate& p : spec.column_filters) {
      if (FindColumn(it->second, p.name) == nullptr) return false;
    }
    return FindColumn(it->second, spec.timestamp_column) != nullptr;
  };
  return ScansSql(needed, schema_versions, files, where, where_ok);
}

std::string IntervalSql(const Downsample& d) {
  std::string unit(IntervalUnitName(d.unit));
  return "INTERVAL '" + std::to_string(d.size) + " " + unit + (d.size == 1 ? "" : "s") + "'";
}

bool IsNumeric(ColumnType t) { return t == ColumnType::kDouble || t == ColumnType::kInteger; }

// Whether the aggregation's values are numbers (and can be interpolated).
bool NumericResult(const Aggregation& a, const std::vector<ColumnDef>& schema) {
  switch (a.fn) {
    case AggregateFn::kFirst:
    case AggregateFn::kLast: {
      const ColumnDef* c = FindColumn(schema, *a.column);
      return c != nullptr && IsNumeric(c->type);
    }
    default:
      return true;
  }
}

std::string AggregateSql(const Aggregation& a, const std::string& ts) {
  const std::string col = a.column ? QuoteIdent(*a.column) : std::string();
  switch (a.fn) {
    case AggregateFn::kAvg:
      return "avg(" + col + ")";
    case AggregateFn::kMin:
      return "min(" + col + ")";
    case AggregateFn::kMax:
      return "max(" + col + ")";
    case AggregateFn::kSum:
      return "sum(" + col + ")";
    case AggregateFn::kMedian:
      return "median(" + col + ")";
    case AggregateFn::kCount:
      return a.column ? "count(" + col + ")" : "count(*)";
    case AggregateFn::kCountDistinct:
      return "count(DISTINCT " + col + ")";
    case AggregateFn::kPercentile: {
      char p[40];
      std::snprintf(p, sizeof p, "%.17g", a.percentile);
      return "quantile_disc(" + col + ", " + p + ")";
    }
    case AggregateFn::kFirst:
      return "arg_min(" + col + ", " + ts + ")";
    case AggregateFn::kLast:
      return "arg_max(" + col + ", " + ts + ")";
    case AggregateFn::kStddev:
      return "stddev_samp(" + col + ")";
  }
  return "NULL";
}

std::string OrderSql(const QuerySpec& spec, size_t group_columns) {
  std::string sql = " ORDER BY 1";
  sql += spec.order == SortOrder::kDesc ? " DESC" : " ASC";
  for (size_t i = 0; i < group_columns; ++i) sql += ", " + std::to_string(i + 2) + " ASC";
  return sql;
}

// The select-list expression of aggregation `a` (the `i`th) of a gap-filled downsample:
// its value where the bucket has rows, else what `d.fill` asks for. `before`/`after` are the
// windows over the earlier and later buckets of the series.
std::string FilledValueSql(const Downsample& d, const Aggregation& a, size_t i,
                           const std::vector<ColumnDef>& schema, const std::string& before,
                           const std::string& after) {
  const std::string bucket(kBucket);
  const std::string present(kPresent);
  std::string v = "\"__ts_a" + std::to_string(i) + "\"";
  switch (d.fill) {
    case FillMode::kNone:
    case FillMode::kNull:
      return v;
    case FillMode::kValue:
      return NumericResult(a, schema)
                 ? "CASE WHEN " + present + " THEN CAST(" + v + " AS DOUBLE) ELSE " +
                       NumberLiteral(d.fill_value) + " END"
                 : v;
    case FillMode::kPrevious:
      return "CASE WHEN " + present + " THEN " + v + " ELSE last_value(" + v + " IGNORE NULLS)" +
             before + " END";
    case FillMode::kLinear: {
      if (!NumericResult(a, schema)) return v;
      const std::string x = "CAST(" + v + " AS DOUBLE)";
      const std::string t = "CASE WHEN " + v + " IS NOT NULL THEN epoch_us(" + bucket + ") END";
      const std::string prev_v = "last_value(" + x + " IGNORE NULLS)" + before;
      const std::string prev_t = "last_value(" + t + " IGNORE NULLS)" + before;
      const std::string next_v = "first_value(" + x + " IGNORE NULLS)" + after;
      const std::string next_t = "first_value(" + t + " IGNORE NULLS)" + after;
      return "CASE WHEN " + present + " THEN " + x + " ELSE " + prev_v + " + (" + next_v + " - " +
             prev_v + ") * CAST(epoch_us(" + bucket + ") - " + prev_t + " AS DOUBLE) / CAST(" +
             next_t + " - " + prev_t + " AS DOUBLE) END";
    }
  }
  return v;
}

// The CTEs of a gap-filled downsample after "__ts_src": the aggregated buckets ("__ts_agg"), the
// series that have rows ("__ts_series"), every bucket of the range for each ("__ts_grid") and the
// grid left-joined with the aggregates ("__ts_joined").
std::string GapFillCtesSql(const QuerySpec& spec, const std::string& row_bucket,
                           const std::string& groups, const std::string& group_ordinals) {
  const Downsample& d = *spec.downsample;
  const std::string ts = QuoteIdent(spec.timestamp_column);
  const std::string interval = IntervalSql(d);
  std::string sql =
      "\"__ts_agg\" AS (SELECT " + row_bucket + " AS " + std::string(kBucket) + groups;
  for (size_t i = 0; i < d.aggregations.size(); ++i) {
    sql += ", " + AggregateSql(d.aggregations[i], ts) + " AS \"__ts_a" + std::to_string(i) + "\"";
  }
  sql += " FROM \"__ts_src\" GROUP BY " + group_ordinals + "),\n";
  std::string series_columns;
  for (const std::string& g : d.group_by) {
    series_columns += (series_columns.empty() ? "" : ", ") + QuoteIdent(g);
  }
  sql += "\"__ts_series\" AS (SELECT DISTINCT " +
         (series_columns.empty() ? std::string("1 AS \"__ts_one\"") : series_columns) +
         " FROM \"__ts_agg\"),\n";
  sql += "\"__ts_grid\" AS (SELECT \"__ts_buckets\"." + std::string(kBucket) +
         ", \"__ts_series\".* FROM (SELECT unnest(generate_series(time_bucket(" + interval + ", " +
         TimestampLiteral(spec.start) + "), time_bucket(" + interval + ", " +
         TimestampLiteral(spec.end - 1) + "), " + interval + ")) AS " + std::string(kBucket) +
         ") AS \"__ts_buckets\" CROSS JOIN \"__ts_series\"),\n";
  sql += "\"__ts_joined\" AS (SELECT \"__ts_grid\"." + std::string(kBucket);
  for (const std::string& g : d.group_by) sql += ", \"__ts_grid\"." + QuoteIdent(g);
  for (size_t i = 0; i < d.aggregations.size(); ++i) {
    sql += ", \"__ts_agg\".\"__ts_a" + std::to_string(i) + "\"";
  }
  sql += ", \"__ts_agg\"." + std::string(kBucket) + " IS NOT NULL AS " + std::string(kPresent) +
         " FROM \"__ts_grid\" LEFT JOIN \"__ts_agg\" ON \"__ts_grid\"." + std::string(kBucket) +
         " = \"__ts_agg\"." + std::string(kBucket);
  for (const std::string& g : d.group_by) {
    sql += " AND \"__ts_grid\"." + QuoteIdent(g) + " IS NOT DISTINCT FROM \"__ts_agg\"." +
           QuoteIdent(g);
  }
  return sql + ")\n";
}

std::string DownsampleSql(const QuerySpec& spec, const std::vector<ColumnDef>& schema,
                          const std::string& source, int64_t row_cap,
                          std::optional<common::UnixMicros> single_bucket) {
  const Downsample& d = *spec.downsample;
  const std::string ts = QuoteIdent(spec.timestamp_column);
  const std::string interval = IntervalSql(d);
  const std::string row_bucket = single_bucket ? TimestampLiteral(*single_bucket)
                                               : "time_bucket(" + interval + ", " + ts + ")";
  std::string groups;  // ", "g1", "g2"
  for (const std::string& g : d.group_by) groups += ", " + QuoteIdent(g);
  std::string group_ordinals = "1";
  for (size_t i = 0; i < d.group_by.size(); ++i) group_ordinals += ", " + std::to_string(i + 2);
  const std::string limit = " LIMIT " + std::to_string(row_cap);

  if (d.fill == FillMode::kNone) {
    std::string sql =
        "WITH \"__ts_src\" AS (\n" + source + "\n)\nSELECT " + row_bucket + " AS " + ts + groups;
    for (const Aggregation& a : d.aggregations) {
      sql += ", " + AggregateSql(a, ts) + " AS " + QuoteIdent(a.alias);
    }
    sql +=
        " FROM \"__ts_src\" GROUP BY " + group_ordinals + OrderSql(spec, d.group_by.size()) + limit;
    return sql;
  }

  // Gap filling: every bucket of the range for every series (groupBy value combination) that has
  // rows, left-joined with the aggregated buckets.
  std::string sql = "WITH \"__ts_src\" AS (\n" + source + "\n),\n" +
                    GapFillCtesSql(spec, row_bucket, groups, group_ordinals);
  std::string partition;
  for (const std::string& g : d.group_by) {
    partition += (partition.empty() ? "PARTITION BY " : ", ") + QuoteIdent(g);
  }
  const std::string bucket(kBucket);
  const std::string before = " OVER (" + partition + " ORDER BY " + bucket +
                             " ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)";
  const std::string after = " OVER (" + partition + " ORDER BY " + bucket +
                            " ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)";
  sql += "SELECT " + bucket + " AS " + ts + groups;
  for (size_t i = 0; i < d.aggregations.size(); ++i) {
    const Aggregation& a = d.aggregations[i];
    sql += ", " + FilledValueSql(d, a, i, schema, before, after) + " AS " + QuoteIdent(a.alias);
  }
  sql += " FROM \"__ts_joined\"" + OrderSql(spec, d.group_by.size()) + limit;
  return sql;
}

}  // namespace

std::optional<common::UnixMicros> FixedBucketStart(const Downsample& downsample,
                                                   common::UnixMicros t) {
  const std::optional<int64_t> unit = IntervalUnitMicros(downsample.unit);
  if (!unit) return std::nullopt;
  constexpr common::UnixMicros kOrigin = 946'857'600'000'000;  // 2000-01-03T00:00:00Z
  const int64_t width = *unit * downsample.size;
  int64_t k = (t - kOrigin) / width;
  if ((t - kOrigin) % width < 0) --k;  // floor, also before the origin
  return kOrigin + k * width;
}

std::string SingleBucketProbeSql(const Downsample& downsample, common::UnixMicros first,
                                 common::UnixMicros last) {
  const std::string interval = IntervalSql(downsample);
  return "SELECT epoch_us(time_bucket(" + interval + ", " + TimestampLiteral(first) +
         ")), epoch_us(time_bucket(" + interval + ", " + TimestampLiteral(last) + "))";
}

std::string TimestampLiteral(common::UnixMicros micros) {
  // "YYYY-MM-DDTHH:MM:SS.ffffffZ" from the common formatter, re-cut to DuckDB's literal form with
  // all six fractional digits.
  const int64_t frac = ((micros % 1'000'000) + 1'000'000) % 1'000'000;
  const common::UnixMicros whole = micros - frac;
  std::string iso = common::FormatIso8601(whole);  // "...:SS.000Z"
  const std::string date_time = iso.substr(0, 10) + " " + iso.substr(11, 8);
  char frac_text[8];
  std::snprintf(frac_text, sizeof frac_text, "%06" PRId64, frac);
  return "TIMESTAMP '" + date_time + "." + frac_text + "'";
}

QuerySql BuildQuerySql(const QuerySpec& spec, const std::vector<ColumnDef>& schema,
                       const std::map<int, std::vector<ColumnDef>>& schema_versions,
                       const std::vector<SourceFile>& files, int64_t row_cap,
                       std::optional<common::UnixMicros> single_bucket) {
  QuerySql out;
  SqlWriter writer(out.params);
  const std::vector<ColumnDef> needed = NeededColumns(spec, schema);
  const std::string source = SourceSql(spec, needed, schema_versions, files, writer);
  if (spec.downsample) {
    out.sql = DownsampleSql(spec, schema, source, row_cap, single_bucket);
    return out;
  }
  std::string projection;
  for (const std::string& name : AnswerColumns(spec, schema)) {
    projection += (projection.empty() ? "" : ", ") + QuoteIdent(name);
  }
  out.sql = "WITH \"__ts_src\" AS (\n" + source + "\n)\nSELECT " + projection +
            " FROM \"__ts_src\" ORDER BY " + QuoteIdent(spec.timestamp_column) +
            (spec.order == SortOrder::kDesc ? " DESC" : " ASC") + " LIMIT " +
            std::to_string(row_cap);
  return out;
}

}  // namespace timestore::query

namespace timestore::query {

std::string DatasetViewSql(const std::vector<ColumnDef>& schema,
                           const std::map<int, std::vector<ColumnDef>>& schema_versions,
                           const std::vector<SourceFile>& files) {
  if (files.empty()) {
    // No partition yet: the right columns and no rows.
    return "SELECT " + partition::ProjectionSql(schema, {}, partition::PresentColumns::kAsStored) +
           " WHERE false";
  }
  return ScansSql(schema, schema_versions, files, "", [](int) { return true; });
}

}  // namespace timestore::query
