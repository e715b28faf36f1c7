#include "storage/partition_cache.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <latch>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "observability/metrics.h"
#include "storage/local_object_store.h"
#include "storage/sha256_hasher.h"
#include "storage/storage_test_files.h"
#include "testing/eventually.h"
#include "testing/test_env.h"

namespace timestore::storage {
namespace {

namespace fs = std::filesystem;
using common::StatusCode;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// The "remote" store seen by the cache: forwards to another store, counts downloads, and can hold
// them back (until a condition holds) or corrupt them.
class CountingObjectStore final : public ObjectStore {
 public:
  explicit CountingObjectStore(ObjectStore& inner)
      : ObjectStore(ObjectStoreMetrics(), observability::Logger()), inner_(inner) {}

  std::atomic<int> get_calls{0};
  std::atomic<int> downloads_to_corrupt{0};  // the next N successful downloads get a byte appended
  // When set, a download waits until it returns true (e.g. until every concurrent caller has
  // joined the download). Set before the downloads start.
  std::function<bool()> hold_until;

  std::optional<std::string> LocalPath(std::string_view) const override { return std::nullopt; }
  std::string StagingDirectory() const override { return inner_.StagingDirectory(); }
  std::string Describe() const override { return "counting:" + inner_.Describe(); }
  common::Status CheckAvailable() override { return inner_.CheckAvailable(); }

 protected:
  common::Status DoPutFile(std::string_view key, const std::string& local_path,
                           const PutOptions& options, int64_t&) override {
    return inner_.PutFile(key, local_path, options);
  }
  common::Status DoGetFile(std::string_view key, const std::string& dest_path, int64_t&) override {
    ++get_calls;
    if (hold_until) {
      EXPECT_TRUE(testing::Eventually(hold_until, std::chrono::seconds(10)));
    }
    common::Status s = inner_.GetFile(key, dest_path);
    if (s.ok() && downloads_to_corrupt.fetch_sub(1) > 0) {
      WriteFile(dest_path, ReadFile(dest_path) + "X");
    }
    return s;
  }
  common::Status DoDelete(std::string_view key) override { return inner_.Delete(key); }
  common::Result<std::vector<ObjectInfo>> DoList(std::string_view prefix) override {
    return inner_.List(prefix);
  }
  common::Result<std::optional<ObjectInfo>> DoStat(std::string_view key) override {
    return inner_.Stat(key);
  }

 private:
  ObjectStore& inner_;
};

constexpr char kTarget[] = "target-a";

class PartitionCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto local = LocalObjectStore::Open((dir_.path() / "remote").string());
    ASSERT_TRUE(local.ok()) << local.status().ToString();
    local_ = std::move(local).value();
    remote_ = std::make_unique<CountingObjectStore>(*local_);
    cache_dir_ = dir_.path() / "cache";
  }

  void Put(const std::string& key, const std::string& bytes) {
    const fs::path source = dir_.path() / "src" / ("put-" + std::to_string(++sources_));
    WriteFile(source, bytes);
    common::Status s = local_->PutFile(key, source.string(), {});
    ASSERT_TRUE(s.ok()) << key << ": " << s.ToString();
  }

  std::unique_ptr<PartitionCache> OpenCache(int64_t max_bytes = 1 << 20) {
    auto cache = PartitionCache::Open({cache_dir_.string(), max_bytes}, &metrics_);
    EXPECT_TRUE(cache.ok()) << cache.status().ToString();
    return cache.ok() ? std::move(cache).value() : nullptr;
  }

  CachedFile MustFetch(PartitionCache& cache, const std::string& key,
                       std::optional<std::string> sha256 = {}) {
    auto file = cache.Fetch(*remote_, kTarget, key, std::move(sha256));
    EXPECT_TRUE(file.ok()) << key << ": " << file.status().ToString();
    return file.ok() ? std::move(file).value() : CachedFile();
  }

  fs::path CachePath(const std::string& key) const { return cache_dir_ / kTarget / key; }

  double Counter(const std::string& name) { return metrics_.GetCounter(name, "").value(); }

  testing::TempDir dir_;
  observability::MetricsRegistry metrics_;
  std::unique_ptr<LocalObjectStore> local_;
  std::unique_ptr<CountingObjectStore> remote_;
  fs::path cache_dir_;
  int sources_ = 0;
};

TEST_F(PartitionCacheTest, FetchDownloadsOnceThenServesHits) {
  Put("ds/window=2024-01-01/part-1.duckdb", "partition bytes");
  auto cache = OpenCache();
  ASSERT_TRUE(cache);

  std::string first_path;
  {
    CachedFile file = MustFetch(*cache, "ds/window=2024-01-01/part-1.duckdb");
    EXPECT_FALSE(file.was_cached());
    EXPECT_EQ(file.path(), CachePath("ds/window=2024-01-01/part-1.duckdb").string());
    EXPECT_EQ(file.size_bytes(), 15);
    EXPECT_EQ(ReadFile(file.path()), "partition bytes");
    first_path = file.path();
  }
  CachedFile again = MustFetch(*cache, "ds/window=2024-01-01/part-1.duckdb");
  EXPECT_TRUE(again.was_cached());
  EXPECT_EQ(again.path(), first_path);
  EXPECT_EQ(ReadFile(again.path()), "partition bytes");
  EXPECT_EQ(remote_->get_calls, 1);
  EXPECT_EQ(cache->file_count(), 1u);
  EXPECT_EQ(cache->total_bytes(), 15);
  EXPECT_THAT(FilesUnder(cache_dir_), ElementsAre("target-a/ds/window=2024-01-01/part-1.duckdb"));
}

TEST_F(PartitionCacheTest, EqualKeysOfDifferentStoresDoNotCollide) {
  auto other_local = LocalObjectStore::Open((dir_.path() / "remote-b").string());
  ASSERT_TRUE(other_local.ok());
  const fs::path source = dir_.path() / "src" / "b";
  WriteFile(source, "from b");
  ASSERT_TRUE((*other_local)->PutFile("ds/part", source.string(), {}).ok());
  Put("ds/part", "from a");
  auto cache = OpenCache();
  ASSERT_TRUE(cache);

  CachedFile a = MustFetch(*cache, "ds/part");
  auto b = cache->Fetch(**other_local, "target-b", "ds/part");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_NE(a.path(), b->path());
  EXPECT_EQ(ReadFile(a.path()), "from a");
  EXPECT_EQ(ReadFile(b->path()), "from b");
}

TEST_F(PartitionCacheTest, ConcurrentFetchesOfOneColdKeyDownloadOnce) {
  Put("ds/part-1", "shared download");
  auto cache = OpenCache();
  ASSERT_TRUE(cache);
  constexpr int kThreads = 8;
  // Every caller counts a miss before it starts or joins the download: hold the download until
  // all have, so they all share it.
  remote_->hold_until = [&] { return Counter("timestore_cache_misses_total") == kThreads; };
  std::vector<std::optional<common::Result<CachedFile>>> results(kThreads);
  std::latch start(kThreads);
  {
    std::vector<std::jthread> threads;
    threads.reserve(kThreads);
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        results[i].emplace(cache->Fetch(*remote_, kTarget, "ds/part-1"));
      });
    }
  }

  EXPECT_EQ(remote_->get_calls, 1);
  for (const auto& result : results) {
    ASSERT_TRUE(result.has_value() && result->ok()) << result->status().ToString();
    EXPECT_EQ((*result)->path(), CachePath("ds/part-1").string());
    EXPECT_EQ(ReadFile((*result)->path()), "shared download");
  }
  EXPECT_EQ(Counter("timestore_cache_hits_total"), 0);
  EXPECT_EQ(Counter("timestore_cache_misses_total"), kThreads);
  EXPECT_EQ(cache->file_count(), 1u);
}

TEST_F(PartitionCacheTest, ConcurrentFetchesOfAMissingKeyShareTheError) {
  auto cache = OpenCache();
  ASSERT_TRUE(cache);
  constexpr int kThreads = 4;
  remote_->hold_until = [&] { return Counter("timestore_cache_misses_total") == kThreads; };
  std::vector<common::Status> statuses(kThreads);
  std::latch start(kThreads);
  {
    std::vector<std::jthread> threads;
    threads.reserve(kThreads);
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        statuses[i] = cache->Fetch(*remote_, kTarget, "ds/absent").status();
      });
    }
  }
  EXPECT_EQ(remote_->get_calls, 1);
  for (const common::Status& s : statuses) EXPECT_EQ(s.code(), StatusCode::kNotFound);
}

TEST_F(PartitionCacheTest, EvictsLeastRecentlyUsedUnpinnedFilesAboveMaxBytes) {
  Put("a", "0123456789");
  Put("b", "0123456789");
  Put("c", "0123456789");
  auto cache = OpenCache(/*max_bytes=*/25);
  ASSERT_TRUE(cache);

  MustFetch(*cache, "a");
  MustFetch(*cache, "b");
  EXPECT_TRUE(MustFetch(*cache, "a").was_cached());  // a is now more recent than b
  MustFetch(*cache, "c");                            // 30 bytes > 25: b goes

  EXPECT_THAT(FilesUnder(cache_dir_), ElementsAre("target-a/a", "target-a/c"));
  EXPECT_EQ(cache->total_bytes(), 20);
  EXPECT_EQ(cache->file_count(), 2u);
  EXPECT_EQ(Counter("timestore_cache_evictions_total"), 1);
  EXPECT_FALSE(MustFetch(*cache, "b").was_cached());  // downloaded again
  EXPECT_EQ(remote_->get_calls, 4);
}

TEST_F(PartitionCacheTest, PinnedFileIsNeverEvictedAndGoesAfterReleaseWhenOverBudget) {
  Put("a", "0123456789");
  Put("b", "0123456789");
  auto cache = OpenCache(/*max_bytes=*/15);
  ASSERT_TRUE(cache);

  CachedFile a = MustFetch(*cache, "a");
  CachedFile b = MustFetch(*cache, "b");  // 20 bytes > 15, but both are pinned
  EXPECT_EQ(ReadFile(a.path()), "0123456789");
  EXPECT_EQ(ReadFile(b.path()), "0123456789");
  EXPECT_EQ(cache->total_bytes(), 20);

  CachedFile moved = std::move(a);  // still pinned through the moved-to handle
  EXPECT_TRUE(fs::exists(CachePath("a")));
  moved = CachedFile();  // released: a is the least recent unpinned file and goes
  EXPECT_FALSE(fs::exists(CachePath("a")));
  EXPECT_TRUE(fs::exists(b.path()));
  EXPECT_EQ(cache->total_bytes(), 10);
}

TEST_F(PartitionCacheTest, FileLargerThanMaxBytesIsReturnedAndEvictedOnRelease) {
  Put("big", "0123456789");
  auto cache = OpenCache(/*max_bytes=*/5);
  ASSERT_TRUE(cache);
  {
    CachedFile big = MustFetch(*cache, "big");
    EXPECT_EQ(ReadFile(big.path()), "0123456789");
    EXPECT_EQ(cache->total_bytes(), 10);
  }
  EXPECT_EQ(cache->total_bytes(), 0);
  EXPECT_THAT(FilesUnder(cache_dir_), IsEmpty());
  EXPECT_EQ(metrics_.GetGauge("timestore_cache_bytes", "").value(), 0);
}

TEST_F(PartitionCacheTest, ReopenFindsCachedFilesAndRemovesLeftoverTempFiles) {
  Put("ds/part-1", "one");
  Put("ds/part-2", "two!");
  {
    auto cache = OpenCache();
    ASSERT_TRUE(cache);
    MustFetch(*cache, "ds/part-1");
    MustFetch(*cache, "ds/part-2");
  }
  WriteFile(cache_dir_ / ".tmp-123-abc", "interrupted download");
  WriteFile(cache_dir_ / kTarget / "ds" / ".tmp-9-x", "interrupted store download");

  auto cache = OpenCache();
  ASSERT_TRUE(cache);
  EXPECT_EQ(cache->file_count(), 2u);
  EXPECT_EQ(cache->total_bytes(), 7);
  EXPECT_THAT(FilesUnder(cache_dir_), ElementsAre("target-a/ds/part-1", "target-a/ds/part-2"));
  CachedFile one = MustFetch(*cache, "ds/part-1");
  EXPECT_TRUE(one.was_cached());
  EXPECT_EQ(ReadFile(one.path()), "one");
  EXPECT_TRUE(MustFetch(*cache, "ds/part-2").was_cached());
  EXPECT_EQ(remote_->get_calls, 2);  // only the first cache downloaded
}

TEST_F(PartitionCacheTest, ReopenWithSmallerMaxBytesEvictsOldestFilesFirst) {
  Put("old", "0123456789");
  Put("new", "0123456789");
  {
    auto cache = OpenCache();
    ASSERT_TRUE(cache);
    MustFetch(*cache, "new");
    MustFetch(*cache, "old");
  }
  const auto now = fs::file_time_type::clock::now();
  fs::last_write_time(CachePath("old"), now - std::chrono::hours(2));
  fs::last_write_time(CachePath("new"), now - std::chrono::hours(1));

  auto cache = OpenCache(/*max_bytes=*/10);
  ASSERT_TRUE(cache);
  EXPECT_THAT(FilesUnder(cache_dir_), ElementsAre("target-a/new"));
  EXPECT_EQ(cache->total_bytes(), 10);
}

TEST_F(PartitionCacheTest, ChecksumMismatchIsRetriedOnce) {
  Put("ds/part", "checked bytes");
  auto cache = OpenCache();
  ASSERT_TRUE(cache);
  remote_->downloads_to_corrupt = 1;

  std::string expected = Sha256Hex("checked bytes");
  for (char& c : expected) c = static_cast<char>(std::toupper(c));  // either case
  CachedFile file = MustFetch(*cache, "ds/part", expected);
  EXPECT_EQ(ReadFile(file.path()), "checked bytes");
  EXPECT_EQ(remote_->get_calls, 2);
  EXPECT_THAT(FilesUnder(cache_dir_), ElementsAre("target-a/ds/part"));
}

TEST_F(PartitionCacheTest, PersistentChecksumMismatchIsInternalAndCachesNothing) {
  Put("ds/part", "checked bytes");
  auto cache = OpenCache();
  ASSERT_TRUE(cache);
  remote_->downloads_to_corrupt = 100;

  auto file = cache->Fetch(*remote_, kTarget, "ds/part", Sha256Hex("checked bytes"));
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), StatusCode::kInternal) << file.status().ToString();
  EXPECT_EQ(remote_->get_calls, 2);
  EXPECT_EQ(cache->file_count(), 0u);
  EXPECT_EQ(cache->total_bytes(), 0);
  EXPECT_THAT(FilesUnder(cache_dir_), IsEmpty());

  remote_->downloads_to_corrupt = 0;  // the next Fetch tries again
  EXPECT_EQ(ReadFile(MustFetch(*cache, "ds/part", Sha256Hex("checked bytes")).path()),
            "checked bytes");
}

TEST_F(PartitionCacheTest, MissingKeyIsNotFoundAndALaterFetchTriesAgain) {
  auto cache = OpenCache();
  ASSERT_TRUE(cache);

  auto missing = cache->Fetch(*remote_, kTarget, "ds/late");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status().ToString();
  EXPECT_EQ(cache->file_count(), 0u);
  EXPECT_THAT(FilesUnder(cache_dir_), IsEmpty());

  Put("ds/late", "arrived");
  CachedFile file = MustFetch(*cache, "ds/late");
  EXPECT_FALSE(file.was_cached());
  EXPECT_EQ(ReadFile(file.path()), "arrived");
  EXPECT_EQ(remote_->get_calls, 2);
}

TEST_F(PartitionCacheTest, InsertThenFetchIsAHitAndKeepsTheSource) {
  auto cache = OpenCache();
  ASSERT_TRUE(cache);
  const fs::path source = dir_.path() / "written" / "part-9.duckdb";
  WriteFile(source, "freshly written");

  ASSERT_TRUE(cache->Insert(kTarget, "ds/part-9.duckdb", source.string()).ok());
  ASSERT_TRUE(cache->Insert(kTarget, "ds/part-9.duckdb", source.string()).ok());  // idempotent
  EXPECT_EQ(ReadFile(source), "freshly written");

  CachedFile file = MustFetch(*cache, "ds/part-9.duckdb");
  EXPECT_TRUE(file.was_cached());
  EXPECT_EQ(ReadFile(file.path()), "freshly written");
  EXPECT_EQ(remote_->get_calls, 0);
  EXPECT_EQ(cache->file_count(), 1u);
  EXPECT_EQ(cache->total_bytes(), 15);

  common::Status missing = cache->Insert(kTarget, "ds/other", (dir_.path() / "nope").string());
  EXPECT_EQ(missing.code(), StatusCode::kNotFound) << missing.ToString();
  EXPECT_THAT(FilesUnder(cache_dir_), ElementsAre("target-a/ds/part-9.duckdb"));
}

TEST_F(PartitionCacheTest, RejectsBadStoreIdsKeysAndChecksums) {
  Put("ds/part", "x");
  auto cache = OpenCache();
  ASSERT_TRUE(cache);
  EXPECT_EQ(cache->Fetch(*remote_, kTarget, "../escape").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(cache->Fetch(*remote_, "a/b", "ds/part").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(cache->Fetch(*remote_, "..", "ds/part").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(cache->Fetch(*remote_, "", "ds/part").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(cache->Fetch(*remote_, kTarget, "ds/part", "not-hex").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(cache->Insert(kTarget, "ds/.tmp-x", "/etc/hostname").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(remote_->get_calls, 0);
  EXPECT_EQ(PartitionCache::Open({"", 10}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(PartitionCache::Open({cache_dir_.string(), -1}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(PartitionCacheTest, RecordsHitsMissesBytesEvictionsAndDownloadTime) {
  Put("a", "0123456789");
  Put("b", "01234");
  auto cache = OpenCache(/*max_bytes=*/12);
  ASSERT_TRUE(cache);

  MustFetch(*cache, "a");
  MustFetch(*cache, "a");
  MustFetch(*cache, "b");  // 15 bytes > 12: a goes

  EXPECT_EQ(Counter("timestore_cache_hits_total"), 1);
  EXPECT_EQ(Counter("timestore_cache_misses_total"), 2);
  EXPECT_EQ(Counter("timestore_cache_bytes_downloaded_total"), 15);
  EXPECT_EQ(Counter("timestore_cache_evictions_total"), 1);
  EXPECT_EQ(metrics_.GetGauge("timestore_cache_bytes", "").value(), 5);
  EXPECT_EQ(metrics_.GetHistogram("timestore_cache_download_seconds", "").CumulativeCounts().back(),
            2u);
}

}  // namespace
}  // namespace timestore::storage
