#include "partition/json_scalar.h"

#include <string>

#include "common/json_writer.h"
#include "partition/json_scalar_dom.h"

namespace timestore::partition {

using simdjson::dom::element;
using simdjson::dom::element_type;

JsonScalar JsonScalar::String(std::string_view v) {
  JsonScalar s;
  s.kind = Kind::kString;
  common::AppendJsonString(s.json, v);
  s.text = std::string(v);
  s.micros = common::ParseIso8601(s.text);
  return s;
}

JsonScalar JsonScalar::Timestamp(common::UnixMicros v) { return String(common::FormatIso8601(v)); }

JsonScalar JsonScalar::Integer(int64_t v) {
  JsonScalar s;
  s.kind = Kind::kNumber;
  s.json = common::JsonWriter().Int(v).str();
  s.text = s.json;
  s.number = static_cast<double>(v);
  return s;
}

JsonScalar JsonScalar::Double(double v) {
  JsonScalar s;
  s.kind = Kind::kNumber;
  s.json = common::JsonWriter().Double(v).str();
  s.text = s.json;
  s.number = v;
  return s;
}

JsonScalar JsonScalar::Boolean(bool v) {
  JsonScalar s;
  s.kind = Kind::kBoolean;
  s.json = v ? "true" : "false";
  s.text = s.json;
  s.boolean = v;
  return s;
}

std::optional<JsonScalar> JsonScalar::Parse(std::string_view json) {
  simdjson::dom::parser parser;
  element value;
  if (parser.parse(json.data(), json.size()).get(value) != simdjson::SUCCESS) return std::nullopt;
  return ScalarFromElement(value);
}

std::optional<JsonScalar> ScalarFromElement(element value) {
  JsonScalar s;
  switch (value.type()) {
    case element_type::STRING:
      s.kind = JsonScalar::Kind::kString;
      s.text = std::string(value.get_string().value_unsafe());
      s.json = simdjson::minify(value);
      s.micros = common::ParseIso8601(s.text);
      return s;
    case element_type::DOUBLE:
    case element_type::INT64:
    case element_type::UINT64:
      s.kind = JsonScalar::Kind::kNumber;
      s.number = value.get_double().value_unsafe();
      s.json = simdjson::minify(value);
      s.text = s.json;
      return s;
    case element_type::BOOL:
      s.kind = JsonScalar::Kind::kBoolean;
      s.boolean = value.get_bool().value_unsafe();
      s.json = s.boolean ? "true" : "false";
      s.text = s.json;
      return s;
    default:
      return std::nullopt;
  }
}

}  // namespace timestore::partition
