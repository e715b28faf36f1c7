#include "common/json_describe.h"

#include "common/json_writer.h"

namespace timestore::common {

using simdjson::dom::element;
using simdjson::dom::element_type;

std::string_view JsonTypeName(element_type type) {
  switch (type) {
    case element_type::ARRAY:
      return "array";
    case element_type::OBJECT:
      return "object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      return "number";
    case element_type::STRING:
      return "string";
    case element_type::BOOL:
      return "boolean";
    case element_type::NULL_VALUE:
      return "null";
  }
  return "value";
}

std::string DescribeJson(element value) {
  std::string out(JsonTypeName(value.type()));
  switch (value.type()) {
    case element_type::STRING: {
      std::string_view s = value.get_string().value_unsafe();
      out += ' ';
      AppendJsonString(out, s.size() > kMaxQuotedBytes
                                ? std::string(s.substr(0, kMaxQuotedBytes)) + "..."
                                : std::string(s));
      break;
    }
    case element_type::INT64:
      out += " " + std::to_string(value.get_int64().value_unsafe());
      break;
    case element_type::UINT64:
      out += " " + std::to_string(value.get_uint64().value_unsafe());
      break;
    case element_type::DOUBLE: {
      JsonWriter w;
      w.Double(value.get_double().value_unsafe());
      out += " " + w.str();
      break;
    }
    case element_type::BOOL:
      out += value.get_bool().value_unsafe() ? " true" : " false";
      break;
    default:
      break;
  }
  return out;
}

Status ExpectedJson(std::string_view where, std::string_view what, element got) {
  return InvalidArgument(std::string(where) + ": expected " + std::string(what) + ", got " +
                         DescribeJson(got));
}

}  // namespace timestore::common
