// JsonWriter: appends compact JSON to a std::string, escaping strings and placing commas itself.
// It checks nesting with assertions (misuse is a programmer error). Not thread-safe; cheap to
// create. Large responses write into the buffer and drain it with TakeBuffer() between chunks.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace timestore::common {

// Appends `s` to `out` as a quoted JSON string (RFC 8259 escaping; invalid UTF-8 bytes become
// U+FFFD).
void AppendJsonString(std::string& out, std::string_view s);

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Uint(uint64_t value);
  JsonWriter& Double(double value);  // NaN and infinities are written as null
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // Writes `json` verbatim as one value; the caller guarantees it is valid JSON.
  JsonWriter& Raw(std::string_view json);

  const std::string& str() const { return out_; }
  // Moves the bytes written so far out of the writer; nesting state is kept.
  std::string TakeBuffer();

 private:
  void BeforeValue();

  std::string out_;
  // One entry per open container: true once it has a member (a comma is needed before the next).
  std::vector<bool> has_member_;
  bool after_key_ = false;
};

}  // namespace timestore::common
