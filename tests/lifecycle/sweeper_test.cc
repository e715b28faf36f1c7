// The sweeper against the real catalog and storage (local directory and the S3 test server): files
// of removed partitions stay through the grace period and go after it (once), orphans of failed
// writes go once older than the orphan age, live files and exports are never touched, and a sweep
// interrupted between deleting and marking completes on the next run.
#include "lifecycle/sweeper.h"

#include <fstream>
#include <set>

#include "catalog/pg_pool.h"
#include "lifecycle/retention.h"
#include "lifecycle_service_fixture.h"

namespace timestore::lifecycle {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kHour = 3600;
constexpr int64_t kMinuteMicros = 60'000'000;
constexpr int64_t kHourMicros = 60 * kMinuteMicros;

common::UnixMicros Micros(int64_t second) { return (kT0 + second) * 1'000'000; }

std::vector<int64_t> FourDays() {
  std::vector<int64_t> out;
  for (int64_t day = 0; day < 4; ++day) {
    for (int64_t at : {int64_t{0}, 12 * kHour, kDay - 1}) out.push_back(day * kDay + at);
  }
  return out;
}

struct SweepCounts {
  int64_t files = -1;
  int64_t bytes = -1;
  int64_t orphans = -1;
  std::set<std::string> keys;
};

class SweeperTest : public LifecycleServiceTest {
 protected:
  // Ingests FourDays() into `slug` and runs retention with `policy` so that days 0 and 1 go.
  // Returns the removed partitions.
  std::vector<catalog::Partition> IngestAndExpire(const std::string& slug,
                                                  const std::string& policy) {
    catalog::Dataset d = Ingest(slug, FourDays());
    EXPECT_TRUE(PutRetentionPolicy(*catalog_, d.id, policy, "test").ok());
    auto ran = RunJob(RetentionOperation(), d.id, Micros(4 * kDay + 12 * kHour));
    EXPECT_TRUE(ran.ok()) << ran.status().ToString();
    auto changes = catalog_->manifests().ListPartitionChanges(d.id, 1, 2);
    EXPECT_TRUE(changes.ok());
    std::vector<catalog::Partition> removed;
    for (const catalog::Partition& p : changes.value()) {
      if (p.removed_in_version == 2) removed.push_back(p);
    }
    EXPECT_EQ(removed.size(), 2u);
    dataset_ = d;
    return removed;
  }

  SweepCounts Sweep(common::UnixMicros now,
                    const std::optional<catalog::DatasetId>& dataset = std::nullopt,
                    const SweepOperation& op = SweepOperation()) {
    auto result = RunJob(op, dataset, now);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    SweepCounts c;
    if (!result.ok()) return c;
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    EXPECT_EQ(parser.parse(*result).get(doc), simdjson::SUCCESS) << *result;
    c.files = doc["filesDeleted"].get_int64().value();
    c.bytes = doc["bytesDeleted"].get_int64().value();
    c.orphans = doc["orphansDeleted"].get_int64().value();
    const simdjson::dom::array items = doc["keys"].get_array().value();
    for (simdjson::dom::element k : items) {
      c.keys.insert(std::string(k.get_string().value()));
    }
    return c;
  }

  std::optional<common::UnixMicros> FileDeletedAt(const catalog::PartitionId& id) {
    auto lease = catalog_->pool().Acquire();
    EXPECT_TRUE(lease.ok());
    auto res = (*lease)->Exec(
        "SELECT (extract(epoch from file_deleted_at) * 1000000)::bigint FROM dataset_partitions "
        "WHERE id = $1",
        catalog::PgParams().Add(id.value()));
    EXPECT_TRUE(res.ok() && res->rows() == 1);
    return res->GetOptionalInt64(0, 0);
  }

  // Publishes a small file under `key` directly on the default store (no partition row).
  void PutObject(const std::string& key) {
    const auto path = scratch_.path() / "object.bin";
    std::ofstream(path) << "not referenced by anything";
    ASSERT_TRUE(Store().PutFile(key, path.string(), {}).ok()) << key;
  }

  std::vector<int64_t> Values(int64_t from_day) {
    std::vector<int64_t> out;
    for (int64_t v : FourDays()) {
      if (v >= from_day * kDay) out.push_back(v);
    }
    return out;
  }

  catalog::Dataset dataset_;
};

TEST_P(SweeperTest, RemovedFilesStayThroughTheGraceThenGoOnce) {
  std::vector<catalog::Partition> removed =
      IngestAndExpire("cpu", R"({"rules":{"maxAgeHours":48},"deleteGraceMinutes":10})");
  std::set<std::string> removed_keys;
  int64_t removed_bytes = 0;
  for (const auto& p : removed) {
    removed_keys.insert(p.object_key.value());
    removed_bytes += p.file_size_bytes;
  }
  const common::UnixMicros real_now = common::NowMicros();

  // Right after retention, and past the default grace (5 min) but inside the dataset's (10 min):
  // nothing is deleted.
  for (common::UnixMicros now : {real_now, real_now + 6 * kMinuteMicros}) {
    SweepCounts c = Sweep(now, dataset_.id);
    EXPECT_EQ(c.files, 0);
    EXPECT_EQ(c.orphans, 0);
    for (const auto& p : removed) {
      EXPECT_TRUE(Exists(p.object_key.value())) << p.object_key.value();
      EXPECT_FALSE(FileDeletedAt(p.id).has_value());
    }
  }
  EXPECT_EQ(QueryValues("cpu", 1), Values(0));

  // Past the grace: the files go, from the store and the catalog's point of view.
  const common::UnixMicros later = real_now + 11 * kMinuteMicros;
  SweepCounts c = Sweep(later);
  EXPECT_EQ(c.files, 2);
  EXPECT_EQ(c.bytes, removed_bytes);
  EXPECT_EQ(c.orphans, 0);
  EXPECT_EQ(c.keys, removed_keys);
  for (const auto& p : removed) {
    EXPECT_FALSE(Exists(p.object_key.value())) << p.object_key.value();
    EXPECT_EQ(FileDeletedAt(p.id), later);
  }
  // Live files are untouched and the current version still answers everything it holds.
  for (const auto& p : Live(dataset_.id))
    EXPECT_TRUE(Exists(p.object_key.value())) << p.object_key.value();
  EXPECT_EQ(QueryValues("cpu"), Values(2));

  // A second sweep finds nothing to do.
  c = Sweep(later + kMinuteMicros);
  EXPECT_EQ(c.files, 0);
  EXPECT_EQ(c.orphans, 0);
  EXPECT_TRUE(c.keys.empty());
}

TEST_P(SweeperTest, PolicyWithoutGraceUsesTheSweepGraceOption) {
  options_.sweep_grace = 60s;
  std::vector<catalog::Partition> removed =
      IngestAndExpire("mem", R"({"rules":{"maxAgeHours":48}})");
  const common::UnixMicros real_now = common::NowMicros();
  EXPECT_EQ(Sweep(real_now + 30'000'000).files, 0);
  for (const auto& p : removed) EXPECT_TRUE(Exists(p.object_key.value()));
  EXPECT_EQ(Sweep(real_now + 90'000'000).files, 2);
  for (const auto& p : removed) EXPECT_FALSE(Exists(p.object_key.value()));
}

TEST_P(SweeperTest, OrphansGoOnceOlderThanTheOrphanAgeLiveFilesAndExportsNever) {
  catalog::Dataset cpu = Ingest("cpu", {0, kDay});
  catalog::Dataset mem = Ingest("mem", {0});
  const std::string orphan_cpu = "cpu/window=20240101T000000Z/part-orphan1.parquet";
  const std::string orphan_mem = "mem/host=a/window=20240101T000000Z/part-orphan2.duckdb";
  const std::string export_key = "exports/cpu/export-1.parquet";
  const std::string odd_key = "cpu/notes.txt";  // not shaped like a partition file
  for (const std::string& key : {orphan_cpu, orphan_mem, export_key, odd_key}) PutObject(key);
  std::vector<std::string> live_keys;
  for (const auto& p : Live(cpu.id)) live_keys.push_back(p.object_key.value());
  for (const auto& p : Live(mem.id)) live_keys.push_back(p.object_key.value());
  ASSERT_EQ(live_keys.size(), 3u);

  // Younger than the orphan age (1 h): a write in flight looks like this; kept.
  const common::UnixMicros real_now = common::NowMicros();
  SweepCounts c = Sweep(real_now + 30 * kMinuteMicros);
  EXPECT_EQ(c.orphans, 0);
  EXPECT_TRUE(Exists(orphan_cpu));
  EXPECT_TRUE(Exists(orphan_mem));

  // A sweep of one dataset only touches that dataset's keys.
  c = Sweep(real_now + 2 * kHourMicros, mem.id);
  EXPECT_EQ(c.orphans, 1);
  EXPECT_EQ(c.keys, (std::set<std::string>{orphan_mem}));
  EXPECT_TRUE(Exists(orphan_cpu));
  EXPECT_FALSE(Exists(orphan_mem));

  // Every dataset: the remaining orphan goes; live files, exports and other keys stay.
  c = Sweep(real_now + 2 * kHourMicros);
  EXPECT_EQ(c.orphans, 1);
  EXPECT_EQ(c.files, 0);
  EXPECT_EQ(c.keys, (std::set<std::string>{orphan_cpu}));
  EXPECT_GT(c.bytes, 0);
  EXPECT_FALSE(Exists(orphan_cpu));
  EXPECT_TRUE(Exists(export_key));
  EXPECT_TRUE(Exists(odd_key));
  for (const std::string& key : live_keys) EXPECT_TRUE(Exists(key)) << key;
  EXPECT_EQ(QueryValues("cpu"), (std::vector<int64_t>{0, kDay}));
  EXPECT_EQ(QueryValues("mem"), (std::vector<int64_t>{0}));
  EXPECT_EQ(Sweep(real_now + 3 * kHourMicros).orphans, 0);
}

TEST_P(SweeperTest, SweepInterruptedBeforeMarkingCompletesOnTheNextRun) {
  std::vector<catalog::Partition> removed =
      IngestAndExpire("cpu", R"({"rules":{"maxAgeHours":48},"deleteGraceMinutes":0})");
  const common::UnixMicros now = common::NowMicros() + 1'000'000;

  // Crash after the deletes, before the marks.
  SweepOperation crashing([] { return common::Unavailable("crash"); });
  auto crashed = RunJob(crashing, std::nullopt, now);
  EXPECT_EQ(crashed.status().code(), common::StatusCode::kUnavailable);
  for (const auto& p : removed) {
    EXPECT_FALSE(Exists(p.object_key.value()));
    EXPECT_FALSE(FileDeletedAt(p.id).has_value());
  }

  SweepCounts c = Sweep(now);
  EXPECT_EQ(c.files, 2);
  for (const auto& p : removed) EXPECT_EQ(FileDeletedAt(p.id), now);
  EXPECT_EQ(Sweep(now).files, 0);
  EXPECT_EQ(QueryValues("cpu"), Values(2));
}

TEST_P(SweeperTest, UnknownDatasetFailsAndALostLeaseStopsTheSweep) {
  auto unknown = RunJob(SweepOperation(), catalog::DatasetId("ds-missing"), Micros(0));
  EXPECT_EQ(unknown.status().code(), common::StatusCode::kNotFound);

  IngestAndExpire("cpu", R"({"rules":{"maxAgeHours":48},"deleteGraceMinutes":0})");
  auto lost = RunJob(SweepOperation(), std::nullopt, common::NowMicros() + 1'000'000,
                     [] { return common::Conflict("lease lost"); });
  EXPECT_EQ(lost.status().code(), common::StatusCode::kConflict);
}

INSTANTIATE_TEST_SUITE_P(Drivers, SweeperTest, ::testing::Values(Driver::kLocal, Driver::kS3),
                         DriverName);

}  // namespace
}  // namespace timestore::lifecycle
