#include "catalog/dataset_cache.h"

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "catalog/catalog.h"
#include "catalog/catalog_fixture.h"
#include "testing/eventually.h"

namespace timestore::catalog {
namespace {

using std::chrono::seconds;

Dataset Named(const std::string& id, const std::string& slug, int64_t version) {
  Dataset d;
  d.id = DatasetId(id);
  d.slug = slug;
  d.current_version = version;
  return d;
}

TEST(DatasetCacheTest, AnswersOnlyWhileEnabledAndByIdOrSlug) {
  DatasetCache cache;
  cache.Put(Named("ds-1", "cpu", 1), cache.generation());
  EXPECT_FALSE(cache.Find("cpu").has_value());  // disabled: nothing kept
  cache.SetEnabled(true);
  cache.Put(Named("ds-1", "cpu", 1), cache.generation());
  ASSERT_TRUE(cache.Find("cpu").has_value());
  EXPECT_EQ(cache.Find("ds-1")->slug, "cpu");
  cache.SetEnabled(false);
  EXPECT_FALSE(cache.Find("cpu").has_value());
  cache.SetEnabled(true);
  EXPECT_FALSE(cache.Find("cpu").has_value());  // emptied by the switch
}

TEST(DatasetCacheTest, ARowReadBeforeAnInvalidationIsNotKept) {
  DatasetCache cache;
  cache.SetEnabled(true);
  const uint64_t before_read = cache.generation();
  cache.Invalidate(DatasetId("ds-1"));  // a commit lands while the row is being read
  cache.Put(Named("ds-1", "cpu", 1), before_read);
  EXPECT_FALSE(cache.Find("cpu").has_value());
  cache.Put(Named("ds-1", "cpu", 2), cache.generation());
  EXPECT_EQ(cache.Find("cpu")->current_version, 2);
  cache.Invalidate(DatasetId("ds-1"));
  EXPECT_FALSE(cache.Find("cpu").has_value());
  EXPECT_FALSE(cache.Find("ds-1").has_value());
}

TEST(DatasetCacheTest, EntriesExpire) {
  DatasetCache cache(std::chrono::milliseconds(0));
  cache.SetEnabled(true);
  cache.Put(Named("ds-1", "cpu", 1), cache.generation());
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_FALSE(cache.Find("cpu").has_value());
}

// Two catalogs on one schema stand for two timestore processes sharing PostgreSQL.
class DatasetCacheAcrossProcessesTest : public CatalogTest {
 protected:
  void SetUp() override {
    CatalogTest::SetUp();
    other_ = std::make_unique<Catalog>(TestCatalogOptions(schema_));
    catalog_->StartDatasetCache();
    other_->StartDatasetCache();
    ASSERT_TRUE(testing::Eventually(
        [&] { return catalog_->dataset_cache().enabled() && other_->dataset_cache().enabled(); },
        seconds(10)));
  }

  common::Status AddPartition(Catalog& catalog, const Dataset& d) {
    VersionCommit c;
    c.dataset_id = d.id;
    c.add = {MakePartition(0, 10, 5)};
    c.actor = "tester";
    c.schema_version = 1;
    return catalog.manifests().Commit(c).status();
  }

  // Reads `slug` through the cache until it stays cached (the notification of the dataset's
  // creation may arrive after the first read and drop it once).
  static bool Cached(Catalog& catalog, const std::string& slug) {
    return testing::Eventually(
        [&] {
          return catalog.datasets().GetBySlugCached(slug).ok() &&
                 catalog.dataset_cache().Find(slug).has_value();
        },
        seconds(5));
  }

  std::unique_ptr<Catalog> other_;
};

TEST_F(DatasetCacheAcrossProcessesTest, AProcessReadsItsOwnCommitAtOnceAndAnothersSoonAfter) {
  const Dataset d = MakeDataset("cpu");
  // Both processes have the row cached at version 0.
  ASSERT_TRUE(Cached(*catalog_, "cpu"));
  ASSERT_TRUE(Cached(*other_, "cpu"));
  ASSERT_EQ(other_->datasets().GetBySlugCached("cpu")->current_version, 0);

  ASSERT_TRUE(AddPartition(*catalog_, d).ok());
  EXPECT_EQ(catalog_->datasets().GetBySlugCached("cpu")->current_version, 1);
  EXPECT_TRUE(testing::Eventually(
      [&] { return other_->datasets().GetBySlugCached("cpu")->current_version == 1; }, seconds(5)));

  // A change of the definition made by the other process, by id this time.
  DatasetPatch patch;
  patch.name = "renamed";
  ASSERT_TRUE(other_->datasets().Update(d.id, patch).ok());
  EXPECT_EQ((*other_->datasets().FindByIdOrSlugCached(d.id.value()))->name, "renamed");
  EXPECT_TRUE(testing::Eventually(
      [&] { return (*catalog_->datasets().FindByIdOrSlugCached("cpu"))->name == "renamed"; },
      seconds(5)));
}

TEST_F(DatasetCacheAcrossProcessesTest, AChangeMadeOutsideTimestoreIsSeenToo) {
  const Dataset d = MakeDataset("cpu");
  ASSERT_EQ(catalog_->datasets().GetBySlugCached("cpu")->name, "Dataset cpu");
  auto lease = catalog_->pool().Acquire();
  ASSERT_TRUE(lease.ok());
  ASSERT_TRUE((*lease)->ExecScript("UPDATE datasets SET name = 'by hand'").ok());
  EXPECT_TRUE(testing::Eventually(
      [&] { return catalog_->datasets().GetBySlugCached("cpu")->name == "by hand"; }, seconds(5)));
}

TEST_F(DatasetCacheAcrossProcessesTest, ALostListenerDisablesTheCacheUntilItListensAgain) {
  const Dataset d = MakeDataset("cpu");
  ASSERT_TRUE(Cached(*catalog_, "cpu"));
  auto lease = other_->pool().Acquire();
  ASSERT_TRUE(lease.ok());
  // Cut the listening connections of this schema's processes.
  ASSERT_TRUE((*lease)
                  ->ExecScript("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE application_name = 'timestore listener " +
                               schema_ + "'")
                  .ok());
  EXPECT_TRUE(
      testing::Eventually([&] { return !catalog_->dataset_cache().enabled(); }, seconds(5)));
  // While it is cut off nothing is cached: a change is read from PostgreSQL right away.
  (*lease)->ExecScript("UPDATE datasets SET name = 'while deaf'").ok();
  EXPECT_EQ(catalog_->datasets().GetBySlugCached("cpu")->name, "while deaf");
  EXPECT_TRUE(
      testing::Eventually([&] { return catalog_->dataset_cache().enabled(); }, seconds(10)));
  ASSERT_TRUE(AddPartition(*other_, d).ok());
  EXPECT_TRUE(testing::Eventually(
      [&] { return catalog_->datasets().GetBySlugCached("cpu")->current_version == 1; },
      seconds(5)));
}

}  // namespace
}  // namespace timestore::catalog
