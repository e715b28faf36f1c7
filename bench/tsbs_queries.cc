#include "bench/tsbs_queries.h"

#include <algorithm>
#include <utility>

#include "common/json_writer.h"
#include "common/time.h"
#include "duck/sql_quoting.h"

namespace timestore::bench {

namespace {

constexpr int64_t kMinuteMicros = int64_t{60} * 1000000;
constexpr int64_t kHourMicros = 60 * kMinuteMicros;
// A limit no TSBS answer at the supported scales reaches (the server's default maximum), so that
// nothing is truncated; every answer is checked for "truncated":false anyway.
constexpr int64_t kNoTruncationLimit = 1'000'000;
constexpr std::string_view kSqlTable = kTsbsSqlTable;

constexpr QueryType kQueryTypes[] = {
    {"single-groupby-1-1-1", Shape::kSingleGroupby, 1, 1, 1},
    {"single-groupby-1-1-12", Shape::kSingleGroupby, 1, 1, 12},
    {"single-groupby-1-8-1", Shape::kSingleGroupby, 1, 8, 1},
    {"single-groupby-5-1-1", Shape::kSingleGroupby, 5, 1, 1},
    {"single-groupby-5-8-1", Shape::kSingleGroupby, 5, 8, 1},
    {"cpu-max-all-8", Shape::kCpuMaxAll, 10, 8, 8},
    {"double-groupby-1", Shape::kDoubleGroupby, 1, 0, 12},
    {"double-groupby-all", Shape::kDoubleGroupby, 10, 0, 12},
    {"high-cpu-1", Shape::kHighCpu, 0, 1, 12},
    {"high-cpu-all", Shape::kHighCpu, 0, 0, 12},
    {"lastpoint", Shape::kLastpoint, 10, 0, 0},
    {"groupby-orderby-limit", Shape::kGroupbyOrderbyLimit, 1, 0, 0},
};

std::string IsoTimestamp(int64_t micros) {
  std::string s;
  AppendIsoTimestamp(micros, &s);
  return s;
}

// TIMESTAMP '2016-01-01 00:00:10' (whole seconds: every window starts on the 10 s grid).
std::string SqlTimestamp(int64_t micros) {
  std::string iso = IsoTimestamp(micros);  // 2016-01-01T00:00:10Z
  iso[10] = ' ';
  iso.pop_back();
  return "TIMESTAMP '" + iso + "'";
}

std::string HostName(uint32_t host) { return "host_" + std::to_string(host); }

// Draws instances the way TSBS does: `hosts` distinct random hosts, and a window of `hours`
// starting at a random point of the data's 10 s grid such that the window lies inside the data
// (at the data start when the data is shorter than the window). Deterministic for (seed, type).
class InstanceGenerator {
 public:
  InstanceGenerator(const TsbsScale& scale, uint64_t seed, size_t type_index)
      : scale_(scale), rng_(seed * 0x9e3779b97f4a7c15ULL + type_index) {}

  std::vector<uint32_t> Hosts(uint32_t n) {
    std::vector<uint32_t> all(scale_.hosts);
    for (uint32_t h = 0; h < scale_.hosts; ++h) all[h] = h;
    n = std::min(n, scale_.hosts);
    for (uint32_t i = 0; i < n; ++i) {  // partial Fisher-Yates
      const uint32_t j = i + static_cast<uint32_t>(rng_() % (scale_.hosts - i));
      std::swap(all[i], all[j]);
    }
    all.resize(n);
    return all;
  }

  // A start on the grid such that [start, start + window) fits the data when it can.
  int64_t WindowStart(int64_t window_micros) {
    const int64_t span = static_cast<int64_t>(scale_.timestamps()) * kTsbsIntervalMicros;
    if (window_micros >= span) return kTsbsStartMicros;
    const auto slots = static_cast<uint64_t>((span - window_micros) / kTsbsIntervalMicros) + 1;
    return kTsbsStartMicros + static_cast<int64_t>(rng_() % slots) * kTsbsIntervalMicros;
  }

  // A point on the grid after the first timestamp, up to just past the last one.
  int64_t EndPoint() {
    return kTsbsStartMicros +
           static_cast<int64_t>(1 + rng_() % scale_.timestamps()) * kTsbsIntervalMicros;
  }

 private:
  TsbsScale scale_;
  std::mt19937_64 rng_;
};

// `aggregation`s of the first `fields` fields as API aggregation objects and as SQL select items.
void Aggregations(std::string_view fn, std::string_view sql_fn, uint32_t fields,
                  common::JsonWriter& w, std::vector<std::string>* sql_items) {
  for (uint32_t f = 0; f < fields; ++f) {
    const std::string field(kTsbsFieldNames[f]);
    const std::string alias = std::string(fn) + "_" + field;
    w.BeginObject().Key("fn").String(fn).Key("column").String(field);
    w.Key("alias").String(alias).EndObject();
    sql_items->push_back(std::string(sql_fn) + "(" + duck::QuoteIdent(field) + ") AS " +
                         duck::QuoteIdent(alias));
  }
}

std::string HostListSql(const std::vector<uint32_t>& hosts) {
  std::vector<std::string> names;
  names.reserve(hosts.size());
  for (uint32_t h : hosts) names.push_back(duck::QuoteLiteral(HostName(h)));
  return "hostname IN (" + Join(names, ", ") + ")";
}

void WriteHostFilter(common::JsonWriter& w, const std::vector<uint32_t>& hosts) {
  w.Key("hostname").BeginArray();
  for (uint32_t h : hosts) w.String(HostName(h));
  w.EndArray();
}

void WriteTimeRange(common::JsonWriter& w, int64_t start, int64_t end) {
  w.Key("timeRange").BeginObject().Key("start").String(IsoTimestamp(start));
  w.Key("end").String(IsoTimestamp(end)).EndObject();
}

std::string WindowSql(int64_t start, int64_t end) {
  return "\"timestamp\" >= " + SqlTimestamp(start) + " AND \"timestamp\" < " + SqlTimestamp(end);
}

std::string Summary(const std::vector<uint32_t>& hosts, int64_t start, int64_t end,
                    uint32_t all_hosts) {
  std::string s = "hosts ";
  if (hosts.size() == all_hosts) {
    s += "all";
  } else {
    std::vector<std::string> names;
    names.reserve(hosts.size());
    for (uint32_t h : hosts) names.push_back(HostName(h));
    s += Join(names, ",");
  }
  return s + ", [" + IsoTimestamp(start) + ", " + IsoTimestamp(end) + ")";
}

// The request and the SQL of one instance of `type`. The API mapping of each type is explained
// in bench/README.md.
QueryInstance MakeInstance(const QueryType& type, const TsbsScale& scale, InstanceGenerator& gen) {
  QueryInstance q;
  common::JsonWriter w;
  std::vector<std::string> items;  // SQL select items after the bucket (and group) columns
  const int64_t data_end =
      kTsbsStartMicros + static_cast<int64_t>(scale.timestamps()) * kTsbsIntervalMicros;
  const std::string table(kSqlTable);
  w.BeginObject();
  switch (type.shape) {
    case Shape::kSingleGroupby:
    case Shape::kCpuMaxAll: {
      const std::vector<uint32_t> hosts = gen.Hosts(type.hosts);
      const int64_t start = gen.WindowStart(type.hours * kHourMicros);
      const int64_t end = start + type.hours * kHourMicros;
      const bool per_minute = type.shape == Shape::kSingleGroupby;
      WriteTimeRange(w, start, end);
      w.Key("filters").BeginObject().Key("columns").BeginObject();
      WriteHostFilter(w, hosts);
      w.EndObject().EndObject();
      w.Key("downsample").BeginObject().Key("intervalUnit").String(per_minute ? "minute" : "hour");
      w.Key("intervalSize").Int(1).Key("aggregations").BeginArray();
      Aggregations("max", "max", type.fields, w, &items);
      w.EndArray().EndObject();
      w.Key("limit").Int(kNoTruncationLimit);
      q.sql = "SELECT date_trunc('" + std::string(per_minute ? "minute" : "hour") +
              "', \"timestamp\") AS \"timestamp\", " + Join(items, ", ") + " FROM " + table +
              " WHERE " + HostListSql(hosts) + " AND " + WindowSql(start, end) +
              " GROUP BY 1 ORDER BY 1";
      q.summary = Summary(hosts, start, end, scale.hosts);
      break;
    }
    case Shape::kDoubleGroupby: {
      const int64_t start = gen.WindowStart(type.hours * kHourMicros);
      const int64_t end = start + type.hours * kHourMicros;
      WriteTimeRange(w, start, end);
      w.Key("downsample").BeginObject().Key("intervalUnit").String("hour");
      w.Key("intervalSize").Int(1).Key("groupBy").BeginArray().String("hostname").EndArray();
      w.Key("aggregations").BeginArray();
      Aggregations("avg", "avg", type.fields, w, &items);
      w.EndArray().EndObject();
      w.Key("limit").Int(kNoTruncationLimit);
      q.sql = "SELECT date_trunc('hour', \"timestamp\") AS \"timestamp\", hostname, " +
              Join(items, ", ") + " FROM " + table + " WHERE " + WindowSql(start, end) +
              " GROUP BY 1, 2 ORDER BY 1, 2";
      q.summary = "hosts all, [" + IsoTimestamp(start) + ", " + IsoTimestamp(end) + ")";
      break;
    }
    case Shape::kHighCpu: {
      const std::vector<uint32_t> hosts = gen.Hosts(type.hosts == 0 ? scale.hosts : type.hosts);
      const int64_t start = gen.WindowStart(type.hours * kHourMicros);
      const int64_t end = start + type.hours * kHourMicros;
      WriteTimeRange(w, start, end);
      w.Key("filters").BeginObject().Key("columns").BeginObject();
      w.Key("usage_user").BeginObject().Key("type").String("number").Key("gt").Int(90);
      w.EndObject();
      if (type.hosts != 0) WriteHostFilter(w, hosts);
      w.EndObject().EndObject();
      w.Key("limit").Int(kNoTruncationLimit);
      q.sql = "SELECT * FROM " + table + " WHERE usage_user > 90 AND " +
              (type.hosts != 0 ? HostListSql(hosts) + " AND " : std::string()) +
              WindowSql(start, end) + " ORDER BY \"timestamp\"";
      q.summary = Summary(hosts, start, end, scale.hosts);
      break;
    }
    case Shape::kLastpoint: {
      // One bucket per host spanning all the data (100-year buckets from DuckDB's month origin,
      // 2000-01-01); last(timestamp) is the time of the row the other values come from.
      WriteTimeRange(w, kTsbsStartMicros, data_end);
      w.Key("downsample").BeginObject().Key("intervalUnit").String("month");
      w.Key("intervalSize").Int(1200).Key("groupBy").BeginArray().String("hostname").EndArray();
      w.Key("aggregations").BeginArray();
      w.BeginObject().Key("fn").String("last").Key("column").String("timestamp");
      w.Key("alias").String("last_timestamp").EndObject();
      items.emplace_back("max(\"timestamp\") AS \"last_timestamp\"");
      for (uint32_t f = 0; f < type.fields; ++f) {
        const std::string field(kTsbsFieldNames[f]);
        w.BeginObject().Key("fn").String("last").Key("column").String(field);
        w.Key("alias").String("last_" + field).EndObject();
        items.push_back("arg_max(" + duck::QuoteIdent(field) + ", \"timestamp\") AS " +
                        duck::QuoteIdent("last_" + field));
      }
      w.EndArray().EndObject();
      w.Key("limit").Int(kNoTruncationLimit);
      q.sql = "SELECT hostname, " + Join(items, ", ") + " FROM " + table +
              " GROUP BY hostname ORDER BY hostname";
      q.summary = "hosts all, all data";
      break;
    }
    case Shape::kGroupbyOrderbyLimit: {
      const int64_t end = gen.EndPoint();
      WriteTimeRange(w, kTsbsStartMicros, end);
      w.Key("downsample").BeginObject().Key("intervalUnit").String("minute");
      w.Key("intervalSize").Int(1).Key("aggregations").BeginArray();
      Aggregations("max", "max", 1, w, &items);
      w.EndArray().EndObject();
      w.Key("order").String("desc").Key("limit").Int(5);
      // TSBS's query has no lower bound; the API needs one, and the data start is one.
      q.sql = "SELECT date_trunc('minute', \"timestamp\") AS \"timestamp\", " + Join(items, ", ") +
              " FROM " + table + " WHERE \"timestamp\" < " + SqlTimestamp(end) +
              " GROUP BY 1 ORDER BY 1 DESC LIMIT 5";
      q.summary = "hosts all, before " + IsoTimestamp(end);
      break;
    }
  }
  w.EndObject();
  q.api_body = w.str();
  return q;
}

}  // namespace

std::vector<std::string_view> ApiOnlyColumns(const QueryType& type) {
  if (type.shape == Shape::kLastpoint) return {"timestamp"};
  return {};
}

std::span<const QueryType> AllQueryTypes() { return kQueryTypes; }

common::Result<std::vector<const QueryType*>> ParseQueryTypes(std::string_view list) {
  std::vector<const QueryType*> types;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view name = list.substr(0, comma);
    const auto* type = std::find_if(std::begin(kQueryTypes), std::end(kQueryTypes),
                                    [&](const QueryType& t) { return t.name == name; });
    if (type == std::end(kQueryTypes)) {
      return common::InvalidArgument("unknown query type '" + std::string(name) + "'");
    }
    types.push_back(type);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  return types;
}

std::vector<QueryInstance> MakeInstances(const QueryType& type, const TsbsScale& scale,
                                         uint64_t seed, size_t count) {
  const auto type_index = static_cast<size_t>(&type - std::begin(kQueryTypes));
  InstanceGenerator gen(scale, seed, type_index);
  std::vector<QueryInstance> instances;
  instances.reserve(count);
  for (size_t i = 0; i < count; ++i) instances.push_back(MakeInstance(type, scale, gen));
  return instances;
}

std::string Join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : std::string(separator)) + p;
  return out;
}

}  // namespace timestore::bench
