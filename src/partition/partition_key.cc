#include "partition/partition_key.h"

#include <algorithm>

#include "common/json_writer.h"
#include "partition/json_scalar_dom.h"
#include "storage/object_key_segment.h"

namespace timestore::partition {

using simdjson::dom::element;
using simdjson::dom::element_type;

common::Result<PartitionKey> PartitionKey::FromJson(std::string_view json) {
  simdjson::dom::parser parser;
  element doc;
  if (parser.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS ||
      doc.type() != element_type::OBJECT) {
    return common::InvalidArgument("partition key is not a JSON object: " + std::string(json));
  }
  PartitionKey key;
  const simdjson::dom::object members = doc.get_object().value_unsafe();
  for (auto field : members) {
    std::optional<JsonScalar> value = ScalarFromElement(field.value);
    if (!value) {
      return common::InvalidArgument("partition key '" + std::string(field.key) +
                                     "' is not a string, number or boolean");
    }
    key.Set(std::string(field.key), std::move(*value));
  }
  return key;
}

void PartitionKey::Set(std::string name, JsonScalar value) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                             [](const Entry& e, const std::string& n) { return e.first < n; });
  if (it != entries_.end() && it->first == name) {
    it->second = std::move(value);
  } else {
    entries_.emplace(it, std::move(name), std::move(value));
  }
}

std::string PartitionKey::Json() const {
  common::JsonWriter w;
  w.BeginObject();
  for (const auto& [name, value] : entries_) w.Key(name).Raw(value.json);
  w.EndObject();
  return w.str();
}

std::string PartitionKey::PathSegments() const {
  std::string path;
  for (const auto& [name, value] : entries_) {
    path += storage::EncodeKeySegment(name) + "=" + storage::EncodeKeySegment(value.text) + "/";
  }
  return path;
}

}  // namespace timestore::partition
