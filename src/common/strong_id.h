// StrongId<Tag, T>: a value of T (an integer or a string) that only compares and converts with its
// own kind, so a DatasetId cannot be passed where a PartitionId is expected. Copyable, hashable.
#pragma once

#include <compare>
#include <functional>
#include <utility>

namespace timestore::common {

template <typename Tag, typename T>
class StrongId {
 public:
  using ValueType = T;
  StrongId() = default;
  explicit StrongId(T value) : value_(std::move(value)) {}
  const T& value() const { return value_; }
  auto operator<=>(const StrongId&) const = default;

 private:
  T value_{};
};

}  // namespace timestore::common

template <typename Tag, typename T>
struct std::hash<timestore::common::StrongId<Tag, T>> {
  size_t operator()(const timestore::common::StrongId<Tag, T>& id) const noexcept {
    return std::hash<T>{}(id.value());
  }
};
