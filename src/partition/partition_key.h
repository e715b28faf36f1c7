// PartitionKey: the partition-key values of a partition file (ingest's `partition.key`), one value
// from which both its stored JSON (`partition_key_json`) and its object-key path segments are
// made, so the two can never disagree. Names are kept in byte order. Plain value; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "partition/json_scalar.h"

namespace timestore::partition {

class PartitionKey {
 public:
  using Entry = std::pair<std::string, JsonScalar>;

  PartitionKey() = default;  // no key: "{}" and an empty path

  // Reads a stored `partition_key_json` (an object of strings, numbers and booleans).
  // kInvalidArgument for anything else, naming what is wrong.
  static common::Result<PartitionKey> FromJson(std::string_view json);

  // Sets `name` to `value`, replacing an earlier value of the same name.
  void Set(std::string name, JsonScalar value);

  // In byte order of the names.
  const std::vector<Entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }

  // The catalog's form: {"<name>":<value JSON>,...}, names in byte order.
  std::string Json() const;
  // The object-key form: "<name>=<value>/" per entry, each part encoded with
  // storage::EncodeKeySegment (a string value by its text, others by their JSON); empty for no
  // key.
  std::string PathSegments() const;

  friend bool operator==(const PartitionKey& a, const PartitionKey& b) {
    return a.entries_ == b.entries_;
  }

 private:
  std::vector<Entry> entries_;  // sorted by name, unique
};

}  // namespace timestore::partition
