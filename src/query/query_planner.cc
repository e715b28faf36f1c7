#include "query/query_planner.h"

#include <string_view>

namespace timestore::query {
namespace {

// -1, 0 or 1 as `value` compares to `stat` under `type`; nothing when they are not comparable
// (then nothing may be concluded from the statistic).
std::optional<int> Compare(ValueType type, const Value& value, const StatValue& stat) {
  auto sign = [](auto a, auto b) { return a < b ? -1 : (b < a ? 1 : 0); };
  switch (type) {
    case ValueType::kNumber:
      if (stat.kind != StatValue::Kind::kNumber || !std::holds_alternative<double>(value)) break;
      return sign(std::get<double>(value), stat.number);
    case ValueType::kTimestamp:
      if (!stat.micros || !std::holds_alternative<common::UnixMicros>(value)) break;
      return sign(std::get<common::UnixMicros>(value), *stat.micros);
    case ValueType::kString:
      if (stat.kind != StatValue::Kind::kString || !std::holds_alternative<std::string>(value)) {
        break;
      }
      // Byte-wise, as DuckDB compares VARCHAR and as the writer computed min and max.
      return sign(std::string_view(std::get<std::string>(value)), std::string_view(stat.text));
    case ValueType::kBoolean:
      if (stat.kind != StatValue::Kind::kBoolean || !std::holds_alternative<bool>(value)) break;
      return sign(std::get<bool>(value), stat.boolean);
  }
  return std::nullopt;
}

// Whether some x in [min, max] can satisfy every comparison of `p`.
bool RangeMayMatch(const Predicate& p, const StatValue& min, const StatValue& max) {
  auto cmp_min = [&](const Value& v) { return Compare(p.type, v, min); };
  auto cmp_max = [&](const Value& v) { return Compare(p.type, v, max); };
  auto inside = [&](const Value& v) {
    auto lo = cmp_min(v);
    auto hi = cmp_max(v);
    return !(lo && *lo < 0) && !(hi && *hi > 0);
  };
  if (p.eq && !inside(*p.eq)) return false;
  if (p.in) {
    bool any = false;
    for (const Value& v : *p.in) any = any || inside(v);
    if (!any) return false;
  }
  if (p.gt) {  // need max > v
    auto c = cmp_max(*p.gt);
    if (c && *c >= 0) return false;
  }
  if (p.gte) {  // need max >= v
    auto c = cmp_max(*p.gte);
    if (c && *c > 0) return false;
  }
  if (p.lt) {  // need min < v
    auto c = cmp_min(*p.lt);
    if (c && *c <= 0) return false;
  }
  if (p.lte) {  // need min <= v
    auto c = cmp_min(*p.lte);
    if (c && *c < 0) return false;
  }
  return true;
}

}  // namespace

bool StatisticsMayMatch(const Predicate& predicate, const ColumnStatistics* stats,
                        int64_t row_count) {
  if (stats == nullptr) return false;                // the column is NULL in every row
  if (stats->null_count >= row_count) return false;  // likewise
  if (!stats->min || !stats->max) return true;       // nothing known about the values
  return RangeMayMatch(predicate, *stats->min, *stats->max);
}

bool KeyMatches(const Predicate& predicate, const StatValue* value) {
  if (value == nullptr) return false;
  if (predicate.type == ValueType::kString && value->kind != StatValue::Kind::kString) {
    // As the original did, a numeric or boolean key value matches a string predicate by its JSON
    // text ("3", "true").
    StatValue text = *value;
    text.kind = StatValue::Kind::kString;
    return KeyMatches(predicate, &text);
  }
  // A key value is one point, the range [value, value]; unlike statistics, a key must match for
  // certain, so a comparison of incomparable kinds fails it.
  auto comparable = [&](const Value& v) { return Compare(predicate.type, v, *value).has_value(); };
  if (predicate.eq && !comparable(*predicate.eq)) return false;
  for (const auto* bound : {&predicate.gt, &predicate.gte, &predicate.lt, &predicate.lte}) {
    if (*bound && !comparable(**bound)) return false;
  }
  if (predicate.in) {
    bool any = false;
    for (const Value& v : *predicate.in) any = any || comparable(v);
    if (!any) return false;
  }
  return RangeMayMatch(predicate, *value, *value);
}

PartitionSelection SelectPartitions(const QuerySpec& spec, const ManifestSnapshot& snapshot) {
  PartitionSelection selection;
  selection.total = static_cast<int64_t>(snapshot.partitions.size());
  for (const auto& entry : snapshot.partitions) {
    const catalog::Partition& p = entry->partition;
    // Observed span [start_time, end_time] (inclusive) against [spec.start, spec.end).
    if (p.start_time >= spec.end || p.end_time < spec.start) {
      ++selection.pruned_by_time;
      continue;
    }
    bool keep = true;
    for (const Predicate& predicate : spec.partition_key_filters) {
      auto it = entry->key.find(predicate.name);
      if (!KeyMatches(predicate, it == entry->key.end() ? nullptr : &it->second)) {
        keep = false;
        break;
      }
    }
    if (!keep) {
      ++selection.pruned_by_key;
      continue;
    }
    for (const Predicate& predicate : spec.column_filters) {
      // A partition without any statistics (none recorded) is never pruned by them.
      if (entry->statistics.empty()) break;
      auto it = entry->statistics.find(predicate.name);
      if (!StatisticsMayMatch(predicate, it == entry->statistics.end() ? nullptr : &it->second,
                              p.row_count)) {
        keep = false;
        break;
      }
    }
    if (!keep) {
      ++selection.pruned_by_statistics;
      continue;
    }
    selection.selected.push_back(entry);
  }
  return selection;
}

}  // namespace timestore::query
