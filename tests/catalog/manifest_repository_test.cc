#include "catalog/manifest_repository.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "catalog_fixture.h"

namespace timestore::catalog {
namespace {

using common::StatusCode;

class ManifestRepositoryTest : public CatalogTest {
 protected:
  common::Result<CommitResult> Add(const Dataset& d, std::vector<NewPartition> parts,
                                   std::optional<int64_t> expected = std::nullopt) {
    VersionCommit c;
    c.dataset_id = d.id;
    c.expected_version = expected;
    c.add = std::move(parts);
    c.actor = "tester";
    c.schema_version = 1;
    return catalog_->manifests().Commit(c);
  }
};

TEST_F(ManifestRepositoryTest, CommitAddsPartitionsAndRecordsTotals) {
  Dataset d = MakeDataset("cpu");
  auto r = Add(d, {MakePartition(0, 10, 5), MakePartition(20, 30, 7)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->version.version, 1);
  EXPECT_EQ(r->version.parent_version, 0);
  EXPECT_EQ(r->version.kind, VersionKind::kIngest);
  EXPECT_EQ(r->version.partitions_added, 2);
  EXPECT_EQ(r->version.rows_added, 12);
  EXPECT_EQ(r->version.partition_count, 2);
  EXPECT_EQ(r->version.total_rows, 12);
  EXPECT_EQ(r->version.total_bytes, 1200);
  EXPECT_EQ(r->version.actor, "tester");
  ASSERT_EQ(r->added.size(), 2u);
  EXPECT_EQ(r->added[0].added_in_version, 1);
  EXPECT_EQ(r->added[0].id.value().rfind("part-", 0), 0u);
  EXPECT_EQ(r->added[0].start_time, 0);
  EXPECT_EQ(r->added[0].end_time, 10'000'000);
  EXPECT_EQ(catalog_->datasets().GetBySlug("cpu")->current_version, 1);

  auto second = Add(d, {MakePartition(40, 50, 3)});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->version.version, 2);
  EXPECT_EQ(second->version.total_rows, 15);
  EXPECT_EQ(second->version.partition_count, 3);
}

TEST_F(ManifestRepositoryTest, PartitionFieldsRoundTripWithMicrosecondTimes) {
  Dataset d = MakeDataset("precise");
  NewPartition p = MakePartition(0, 1);
  p.start_time = -1'234'567;  // before the epoch, with microseconds
  p.end_time = 1'700'000'000'123'456;
  p.partition_key_json = R"({"region": "eu-west-1"})";
  p.attributes_json = R"({"source": "agent"})";
  p.column_statistics_json = R"({"v": {"max": 2.5, "min": 1, "nullCount": 0}})";
  p.format = WriteFormat::kDuckdb;
  ASSERT_TRUE(Add(d, {p}).ok());
  auto live = catalog_->manifests().ListLivePartitions(d.id, std::nullopt, std::nullopt);
  ASSERT_TRUE(live.ok());
  ASSERT_EQ(live->size(), 1u);
  const Partition& got = live->front();
  EXPECT_EQ(got.start_time, p.start_time);
  EXPECT_EQ(got.end_time, p.end_time);
  EXPECT_EQ(got.object_key.value(), p.object_key.value());
  EXPECT_EQ(got.format, WriteFormat::kDuckdb);
  EXPECT_EQ(got.partition_key_json, R"({"region": "eu-west-1"})");
  EXPECT_EQ(got.attributes_json, R"({"source": "agent"})");
  EXPECT_EQ(got.column_statistics_json, R"({"v": {"max": 2.5, "min": 1, "nullCount": 0}})");
  EXPECT_EQ(got.checksum_sha256, p.checksum_sha256);
  EXPECT_EQ(got.storage_target_id, target_.id);
  EXPECT_EQ(got.window_start, p.window_start);
}

TEST_F(ManifestRepositoryTest, SwapCommitRemovesAndAddsAndOlderVersionsStayReadable) {
  Dataset d = MakeDataset("compact");
  auto v1 = Add(d, {MakePartition(0, 10, 5), MakePartition(11, 20, 5)});
  ASSERT_TRUE(v1.ok());
  VersionCommit swap;
  swap.dataset_id = d.id;
  swap.kind = VersionKind::kCompaction;
  swap.remove = {v1->added[0].id, v1->added[1].id};
  swap.add = {MakePartition(0, 20, 10)};
  auto v2 = catalog_->manifests().Commit(swap);
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  EXPECT_EQ(v2->version.partitions_removed, 2);
  EXPECT_EQ(v2->version.rows_removed, 10);
  EXPECT_EQ(v2->version.partition_count, 1);
  EXPECT_EQ(v2->version.total_rows, 10);

  auto now = catalog_->manifests().ListLivePartitions(d.id, std::nullopt, std::nullopt);
  ASSERT_TRUE(now.ok());
  ASSERT_EQ(now->size(), 1u);
  EXPECT_EQ(now->front().id, v2->added[0].id);
  auto then = catalog_->manifests().ListLivePartitions(d.id, 1, std::nullopt);
  ASSERT_TRUE(then.ok());
  ASSERT_EQ(then->size(), 2u);
  EXPECT_EQ(then->at(0).removed_in_version, 2);
  EXPECT_EQ(catalog_->manifests().ListLivePartitions(d.id, 3, std::nullopt).status().code(),
            StatusCode::kNotFound);
  auto history = catalog_->manifests().ListVersions(d.id, 10, std::nullopt);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ(history->at(0).version, 2);
  EXPECT_EQ(history->at(0).kind, VersionKind::kCompaction);
  EXPECT_EQ(catalog_->manifests().GetVersion(d.id, 1)->total_rows, 10);
}

TEST_F(ManifestRepositoryTest, RemovingAPartitionThatIsNoLongerLiveIsConflictAndChangesNothing) {
  Dataset d = MakeDataset("race");
  auto v1 = Add(d, {MakePartition(0, 10), MakePartition(11, 20)});
  ASSERT_TRUE(v1.ok());
  VersionCommit first;
  first.dataset_id = d.id;
  first.kind = VersionKind::kRetention;
  first.remove = {v1->added[0].id};
  ASSERT_TRUE(catalog_->manifests().Commit(first).ok());

  // A compaction planned against version 1 tries to swap both inputs.
  VersionCommit stale;
  stale.dataset_id = d.id;
  stale.kind = VersionKind::kCompaction;
  stale.remove = {v1->added[0].id, v1->added[1].id};
  stale.add = {MakePartition(0, 20, 20)};
  auto r = catalog_->manifests().Commit(stale);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kConflict);
  EXPECT_EQ(catalog_->datasets().GetBySlug("race")->current_version, 2);
  auto live = catalog_->manifests().ListLivePartitions(d.id, std::nullopt, std::nullopt);
  ASSERT_EQ(live->size(), 1u);
  EXPECT_EQ(live->front().id, v1->added[1].id);
}

TEST_F(ManifestRepositoryTest, ConcurrentCommitsAtTheSameExpectedVersionOneWinsOtherRetries) {
  Dataset d = MakeDataset("occ");
  ASSERT_TRUE(Add(d, {MakePartition(0, 1)}).ok());
  constexpr int kWriters = 6;
  std::atomic<int> won{0};
  std::atomic<int> conflicts{0};
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] {
      auto r = Add(d, {MakePartition(100 + i, 101 + i)}, /*expected=*/1);
      if (r.ok()) {
        ++won;
      } else if (r.status().code() == StatusCode::kConflict) {
        ++conflicts;
      } else {
        ADD_FAILURE() << r.status().ToString();
      }
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(conflicts.load(), kWriters - 1);
  // A loser re-reads the current version and retries: it succeeds.
  const int64_t current = catalog_->datasets().GetBySlug("occ")->current_version;
  EXPECT_EQ(current, 2);
  auto retried = Add(d, {MakePartition(500, 501)}, current);
  ASSERT_TRUE(retried.ok()) << retried.status().ToString();
  EXPECT_EQ(retried->version.version, 3);
  EXPECT_EQ(retried->version.partition_count, 3);
}

TEST_F(ManifestRepositoryTest, ConcurrentUnconditionalCommitsAllLandWithoutLostUpdates) {
  Dataset d = MakeDataset("adds");
  constexpr int kWriters = 8;
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] { EXPECT_TRUE(Add(d, {MakePartition(i, i + 1, 3)}).ok()); });
  }
  for (auto& w : writers) w.join();
  auto ds = catalog_->datasets().GetBySlug("adds");
  EXPECT_EQ(ds->current_version, kWriters);
  auto v = catalog_->manifests().GetVersion(d.id, kWriters);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->total_rows, 3 * kWriters);
  EXPECT_EQ(v->partition_count, kWriters);
}

TEST_F(ManifestRepositoryTest, ReusedObjectKeyIsRejected) {
  Dataset d = MakeDataset("keys");
  NewPartition p = MakePartition(0, 1);
  ASSERT_TRUE(Add(d, {p}).ok());
  auto again = Add(d, {p});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kConflict);
  EXPECT_EQ(catalog_->datasets().GetBySlug("keys")->current_version, 1);
}

TEST_F(ManifestRepositoryTest, TimeRangeSelectsOverlappingPartitionsHalfOpen) {
  Dataset d = MakeDataset("ranges");
  ASSERT_TRUE(Add(d, {MakePartition(0, 9), MakePartition(10, 19), MakePartition(20, 29)}).ok());
  auto pick = [&](int64_t start_s, int64_t end_s) {
    auto r = catalog_->manifests().ListLivePartitions(
        d.id, std::nullopt, TimeRange{start_s * 1'000'000, end_s * 1'000'000});
    EXPECT_TRUE(r.ok());
    std::vector<int64_t> starts;
    for (const auto& p : *r) starts.push_back(p.start_time / 1'000'000);
    return starts;
  };
  EXPECT_EQ(pick(10, 20), (std::vector<int64_t>{10}));  // end exclusive: 20 not included
  EXPECT_EQ(pick(9, 10), (std::vector<int64_t>{0}));    // 9 is the first partition's max
  EXPECT_EQ(pick(5, 25), (std::vector<int64_t>{0, 10, 20}));
  EXPECT_TRUE(pick(30, 40).empty());
}

TEST_F(ManifestRepositoryTest, CommitToUnknownDatasetIsNotFoundAndEmptyCommitIsInvalid) {
  VersionCommit c;
  c.dataset_id = DatasetId("ds-none");
  c.add = {MakePartition(0, 1)};
  EXPECT_EQ(catalog_->manifests().Commit(c).status().code(), StatusCode::kNotFound);
  Dataset d = MakeDataset("empty");
  VersionCommit empty;
  empty.dataset_id = d.id;
  EXPECT_EQ(catalog_->manifests().Commit(empty).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ManifestRepositoryTest, IdempotencyKeyIsRecordedWithTheCommitAndAReplayWritesNothing) {
  Dataset d = MakeDataset("once");
  auto commit_with_key = [&](const std::string& key) {
    VersionCommit c;
    c.dataset_id = d.id;
    c.add = {MakePartition(0, 1, 4)};
    c.idempotency = {VersionCommit::Idempotency{key, "hash-1", 201, [](const CommitResult& r) {
                                                  return R"({"manifest":{"version":)" +
                                                         std::to_string(r.version.version) + "}}";
                                                }}};
    return catalog_->manifests().Commit(c);
  };
  auto first = commit_with_key("batch-42");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto replay = commit_with_key("batch-42");
  ASSERT_FALSE(replay.ok());
  EXPECT_EQ(replay.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(catalog_->datasets().GetBySlug("once")->current_version, 1);
  EXPECT_EQ(catalog_->manifests().ListLivePartitions(d.id, std::nullopt, std::nullopt)->size(), 1u);

  auto stored = catalog_->manifests().FindIngestionBatch(d.id, "batch-42");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->version, 1);
  EXPECT_EQ((*stored)->status_code, 201);
  EXPECT_EQ((*stored)->request_hash, "hash-1");
  EXPECT_EQ((*stored)->response_json, R"({"manifest":{"version":1}})");
  EXPECT_FALSE(catalog_->manifests().FindIngestionBatch(d.id, "other")->has_value());
}

TEST_F(ManifestRepositoryTest, ConcurrentCommitsWithTheSameIdempotencyKeyLandExactlyOnce) {
  Dataset d = MakeDataset("once-concurrent");
  constexpr int kWriters = 6;
  std::atomic<int> committed{0};
  std::atomic<int> duplicates{0};
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] {
      VersionCommit c;
      c.dataset_id = d.id;
      c.add = {MakePartition(i, i + 1)};
      c.idempotency = {VersionCommit::Idempotency{"same-key", std::nullopt, 201, nullptr}};
      auto r = catalog_->manifests().Commit(c);
      if (r.ok()) {
        ++committed;
      } else if (r.status().code() == StatusCode::kAlreadyExists) {
        ++duplicates;
      } else {
        ADD_FAILURE() << r.status().ToString();
      }
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(committed.load(), 1);
  EXPECT_EQ(duplicates.load(), kWriters - 1);
  EXPECT_EQ(catalog_->datasets().GetBySlug("once-concurrent")->current_version, 1);
}

TEST_F(ManifestRepositoryTest, GroupCommitRecordsEveryKeyAndOneUsedKeyFailsTheWholeCommit) {
  Dataset d = MakeDataset("group");
  auto answer = [](const std::string& who) {
    return [who](const CommitResult& r) {
      return who + ":" + std::to_string(r.version.version) + ":" + std::to_string(r.added.size());
    };
  };
  VersionCommit c;
  c.dataset_id = d.id;
  c.add = {MakePartition(0, 1), MakePartition(2, 3)};
  c.idempotency = {{"a", std::nullopt, 201, answer("a")}, {"b", std::nullopt, 201, answer("b")}};
  ASSERT_TRUE(catalog_->manifests().Commit(c).ok());
  EXPECT_EQ((*catalog_->manifests().FindIngestionBatch(d.id, "a"))->response_json, "a:1:2");
  EXPECT_EQ((*catalog_->manifests().FindIngestionBatch(d.id, "b"))->response_json, "b:1:2");

  VersionCommit again;
  again.dataset_id = d.id;
  again.add = {MakePartition(4, 5)};
  again.idempotency = {{"c", std::nullopt, 201, answer("c")},
                       {"b", std::nullopt, 201, answer("b")}};
  auto r = catalog_->manifests().Commit(again);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(r.status().message().find("'b'"), std::string::npos);
  EXPECT_FALSE(catalog_->manifests().FindIngestionBatch(d.id, "c")->has_value());
  EXPECT_EQ(catalog_->datasets().GetBySlug("group")->current_version, 1);
}

TEST_F(ManifestRepositoryTest, WriterChosenPartitionIdIsKeptAndSmallPartitionsAreCounted) {
  Dataset d = MakeDataset("ids");
  NewPartition small = MakePartition(0, 1, 10);  // 1000 bytes
  small.id = PartitionId("part-chosen-by-writer");
  NewPartition big = MakePartition(2, 3, 1000);  // 100000 bytes
  auto r = Add(d, {small, big});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->added[0].id.value(), "part-chosen-by-writer");
  EXPECT_EQ(r->added[1].id.value().rfind("part-", 0), 0u);
  EXPECT_EQ(*catalog_->manifests().CountSmallLivePartitions(d.id, 50'000), 1);
  EXPECT_EQ(*catalog_->manifests().CountSmallLivePartitions(d.id, 1'000'000), 2);
}

TEST_F(ManifestRepositoryTest, StandaloneIngestionBatchKeyIsUnique) {
  Dataset d = MakeDataset("standalone");
  IngestionBatch b;
  b.dataset_id = d.id;
  b.idempotency_key = "k";
  b.status_code = 200;
  b.response_json = R"({"rows":0})";
  EXPECT_TRUE(catalog_->manifests().RecordIngestionBatch(b).ok());
  EXPECT_EQ(catalog_->manifests().RecordIngestionBatch(b).code(), StatusCode::kAlreadyExists);
  // Keys are per dataset.
  Dataset other = MakeDataset("standalone-2");
  b.dataset_id = other.id;
  EXPECT_TRUE(catalog_->manifests().RecordIngestionBatch(b).ok());
}

}  // namespace
}  // namespace timestore::catalog
