#include "partition/column_statistics.h"

#include "common/json_writer.h"
#include "partition/json_scalar_dom.h"

namespace timestore::partition {

using simdjson::dom::element;
using simdjson::dom::element_type;

std::string EncodeColumnStatistics(const ColumnStatisticsList& columns) {
  common::JsonWriter w;
  w.BeginObject();
  for (const auto& [name, stats] : columns) {
    w.Key(name).BeginObject();
    if (stats.min && stats.max) {
      w.Key("min").Raw(stats.min->json);
      w.Key("max").Raw(stats.max->json);
    }
    w.Key("nullCount").Int(stats.null_count);
    w.EndObject();
  }
  w.EndObject();
  return w.str();
}

ColumnStatisticsList DecodeColumnStatistics(std::string_view json) {
  ColumnStatisticsList out;
  simdjson::dom::parser parser;
  element doc;
  if (parser.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS ||
      doc.type() != element_type::OBJECT) {
    return out;
  }
  const simdjson::dom::object members = doc.get_object().value_unsafe();
  for (auto field : members) {
    if (field.value.type() != element_type::OBJECT) continue;
    ColumnStatistics stats;
    element member;
    if (field.value["min"].get(member) == simdjson::SUCCESS) stats.min = ScalarFromElement(member);
    if (field.value["max"].get(member) == simdjson::SUCCESS) stats.max = ScalarFromElement(member);
    int64_t nulls = 0;
    if (field.value["nullCount"].get(nulls) == simdjson::SUCCESS) stats.null_count = nulls;
    out.emplace_back(std::string(field.key), std::move(stats));
  }
  return out;
}

}  // namespace timestore::partition
