// DatasetCache: dataset rows for the read path (the query routes, the SQL views, the access check),
// so that a query that finds nothing changed costs no catalog round trip. It stays correct across
// processes (DESIGN invariant 5): a trigger on `datasets` NOTIFYs every committed change of a row
// (channel kDatasetChannel, payload "<schema>/<dataset id>"), and DatasetChangeListener erases the
// row's entry when the notification arrives. Commits made through this process's repositories
// erase it synchronously right after COMMIT, so this process reads its own writes at once; another
// process's commit is seen once its notification arrived (PostgreSQL delivers it right after the
// commit; on one machine well under a millisecond).
//
// The cache answers only while enabled: the listener enables it once its LISTEN is in place and
// disables (and empties) it as soon as the connection breaks, so no change can slip by unseen. As a
// last line of defence an entry is also dropped after `max_age`. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "catalog/types.h"

namespace timestore::catalog {

inline constexpr std::string_view kDatasetChannel = "timestore_dataset_changed";

class DatasetCache {
 public:
  using Clock = std::chrono::steady_clock;
  explicit DatasetCache(std::chrono::milliseconds max_age = std::chrono::seconds(10))
      : max_age_(max_age) {}

  // The cached row named `name` (its slug or its id), when enabled and present.
  std::optional<Dataset> Find(std::string_view name) const;

  // Read before a catalog read; Put keeps the row only if nothing was invalidated since.
  uint64_t generation() const;
  void Put(const Dataset& dataset, uint64_t generation_before_read);

  // Drops the entry of `id` (a change committed or notified).
  void Invalidate(const DatasetId& id);
  // Turns the cache on or off; both empty it.
  void SetEnabled(bool enabled);
  bool enabled() const;

 private:
  struct Entry {
    Dataset dataset;
    Clock::time_point stored;
  };
  void EraseLocked(const std::string& id);

  const std::chrono::milliseconds max_age_;
  mutable std::mutex mu_;
  bool enabled_ = false;                             // guarded by mu_
  uint64_t generation_ = 0;                          // guarded by mu_; bumped by every invalidation
  std::map<std::string, Entry, std::less<>> by_id_;  // guarded by mu_
  std::map<std::string, std::string, std::less<>> id_by_slug_;  // guarded by mu_
};

}  // namespace timestore::catalog
