// TSBS "cpu-only" data, re-created per /work/shared/BENCH.md: a deterministic generator of the
// `cpu` dataset (10 tags fixed per host, 10 clamped random-walk fields, one row per host every 10 s
// from 2016-01-01T00:00:00Z) and the renderer of ingest request bodies. A TsbsCpuGenerator is used
// by one thread at a time; the free functions are pure and thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace timestore::bench {

inline constexpr size_t kTsbsTagCount = 10;
inline constexpr size_t kTsbsFieldCount = 10;
inline constexpr size_t kTsbsColumnCount = 1 + kTsbsTagCount + kTsbsFieldCount;  // timestamp first
inline constexpr int64_t kTsbsStartMicros = int64_t{1451606400} * 1000000;  // 2016-01-01T00:00:00Z
inline constexpr int64_t kTsbsIntervalMicros = int64_t{10} * 1000000;
inline constexpr uint64_t kTsbsTimestampsPerHour = 360;
inline constexpr uint64_t kTsbsDefaultSeed = 20160101;
inline constexpr double kTsbsFieldMin = 0;
inline constexpr double kTsbsFieldMax = 100;

// Column names in table order after `timestamp`: hostname first.
extern const std::array<std::string_view, kTsbsTagCount> kTsbsTagNames;
extern const std::array<std::string_view, kTsbsFieldCount> kTsbsFieldNames;

struct TsbsScale {
  uint32_t hosts = 100;  // >= 1
  uint32_t hours = 24;   // >= 1
  uint64_t timestamps() const { return uint64_t{hours} * kTsbsTimestampsPerHour; }
  uint64_t rows() const { return timestamps() * hosts; }
};

// Parses "HOSTS,HOURS", both integers >= 1; kInvalidArgument otherwise.
common::Result<TsbsScale> ParseTsbsScale(std::string_view text);

// The 10 tag values of one host, in kTsbsTagNames order (tags[0] is "host_<id>").
struct TsbsHost {
  std::array<std::string, kTsbsTagCount> tags;
};

// One row. Tags are not copied into rows: `host` indexes TsbsCpuGenerator::hosts().
struct TsbsRow {
  int64_t timestamp_micros;
  uint32_t host;
  std::array<double, kTsbsFieldCount> fields;  // kTsbsFieldNames order, each in [0, 100]
};

// Yields the rows of one scale in time order: every host (in id order) at t, then t + 10 s, ...
// Each host draws its tags and its walks from its own mt19937_64 streams derived from (seed, host
// id), so host h has the same tags and values at every scale with more than h hosts. Uniform and
// normal variates are computed from the engine's bits by this file (not by std:: distributions,
// whose algorithms are implementation-defined), so the output depends only on the seed and libm.
class TsbsCpuGenerator {
 public:
  explicit TsbsCpuGenerator(TsbsScale scale, uint64_t seed = kTsbsDefaultSeed);

  const TsbsScale& scale() const { return scale_; }
  uint64_t seed() const { return seed_; }
  const std::vector<TsbsHost>& hosts() const { return hosts_; }
  uint64_t rows_emitted() const { return next_row_; }
  bool done() const { return next_row_ >= scale_.rows(); }

  // Appends up to `max_rows` next rows to `*out`; returns how many (0 once done()).
  size_t Next(size_t max_rows, std::vector<TsbsRow>* out);
  // Every remaining row.
  std::vector<TsbsRow> TakeAll();

 private:
  struct Walk {
    std::mt19937_64 rng;
    std::array<double, kTsbsFieldCount> value;  // the value the next row shows, in [0, 100]
  };

  TsbsScale scale_;
  uint64_t seed_;
  std::vector<TsbsHost> hosts_;
  std::vector<Walk> walks_;  // one per host
  uint64_t next_row_ = 0;    // rows emitted so far; row r is host r % hosts at timestamp r / hosts
};

// Appends `micros` (since the Unix epoch, >= 0) as ISO-8601 UTC: "2016-01-01T00:00:10Z", with
// ".ffffff" only when there are sub-second digits.
void AppendIsoTimestamp(int64_t micros, std::string* out);

// Appends the shortest decimal text that parses back to exactly `value` (std::to_chars); finite
// values only (asserted).
void AppendShortestDouble(double value, std::string* out);

// The idempotency key is the body's first member, so that a pre-rendered body can be re-keyed in
// place: its value starts at this byte offset.
inline constexpr size_t kIngestBodyKeyOffset = 19;  // strlen("{\"idempotencyKey\":\"")

// Renders `rows` as the JSON body of POST /datasets/{slug}/ingest:
//   {"idempotencyKey":"<key>","datasetName":"<name>","schema":{"fields":[{"name":"timestamp",
//    "type":"timestamp"},{"name":"hostname","type":"string"},...,{"name":"usage_user",
//    "type":"double"},...]},"rows":[{"timestamp":"2016-01-01T00:00:00Z","hostname":"host_0",...},...]}
// `key` must need no JSON escaping (asserted). Every row's host must index `hosts` (asserted).
std::string RenderIngestBody(std::span<const TsbsRow> rows, const std::vector<TsbsHost>& hosts,
                             std::string_view key, std::string_view dataset_name = "cpu");

// Overwrites the idempotency key of a body made by RenderIngestBody with `key`, which must have the
// same length as the key it replaces (asserted).
void PatchIngestBodyKey(std::string* body, std::string_view key);

// FNV-1a 64-bit hash of `bytes`, continuing from `hash`; for determinism checks.
inline constexpr uint64_t kFnv1a64Offset = 0xcbf29ce484222325ULL;
uint64_t Fnv1a64(std::string_view bytes, uint64_t hash = kFnv1a64Offset);

}  // namespace timestore::bench
