#include "query/manifest_cache.h"

#include <gtest/gtest.h>

#include "catalog/catalog_fixture.h"

namespace timestore::query {
namespace {

class ManifestCacheTest : public catalog::CatalogTest {
 protected:
  int64_t Commit(const catalog::DatasetId& id, std::vector<catalog::NewPartition> add,
                 std::vector<catalog::PartitionId> remove = {}) {
    catalog::VersionCommit c;
    c.dataset_id = id;
    c.add = std::move(add);
    c.remove = std::move(remove);
    c.kind = c.remove.empty() ? catalog::VersionKind::kIngest : catalog::VersionKind::kCompaction;
    auto r = catalog_->manifests().Commit(c);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->version.version : -1;
  }

  static std::vector<std::string> Ids(const ManifestSnapshot& s) {
    std::vector<std::string> out;
    for (const auto& e : s.partitions) out.push_back(e->partition.id.value());
    return out;
  }
  std::vector<std::string> LiveIds(const catalog::DatasetId& id, int64_t version) {
    auto live = catalog_->manifests().ListLivePartitions(id, version, std::nullopt);
    EXPECT_TRUE(live.ok());
    std::vector<std::string> out;
    for (const auto& p : *live) out.push_back(p.id.value());
    return out;
  }
};

TEST_F(ManifestCacheTest, CatchesUpIncrementallyAndMatchesTheCatalogAtEveryVersion) {
  const catalog::Dataset d = MakeDataset("cache");
  ManifestCache cache(catalog_->manifests());
  auto p1 = MakePartition(100, 200, 10, R"({"region":"eu"})");
  p1.column_statistics_json = R"({"usage":{"min":1.5,"max":9,"nullCount":2}})";
  Commit(d.id, {p1});
  auto v1 = cache.Get(d.id, 1);
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_EQ(cache.full_loads(), 1);
  ASSERT_EQ((*v1)->partitions.size(), 1u);
  const PartitionEntry& e = *(*v1)->partitions[0];
  EXPECT_EQ(e.statistics.at("usage").min->number, 1.5);
  EXPECT_EQ(e.statistics.at("usage").null_count, 2);
  EXPECT_EQ(e.key.at("region").text, "eu");

  Commit(d.id, {MakePartition(0, 50)});  // v2 adds one before it
  const int64_t v3 = Commit(d.id, {MakePartition(300, 400)});
  // v4 swaps the first partition for another (a compaction).
  Commit(d.id, {MakePartition(100, 200)}, {(*v1)->partitions[0]->partition.id});
  for (int64_t v : {int64_t{4}, v3, int64_t{2}}) {
    auto snap = cache.Get(d.id, v);
    ASSERT_TRUE(snap.ok());
    EXPECT_EQ(Ids(**snap), LiveIds(d.id, v)) << "version " << v;
  }
  // Each caught up from the newest older snapshot cached (v1), none read the whole manifest.
  EXPECT_EQ(cache.full_loads(), 1);
  EXPECT_EQ(cache.incremental_loads(), 3);
  // Cached now: no further loads.
  ASSERT_TRUE(cache.Get(d.id, 4).ok());
  EXPECT_EQ(cache.full_loads() + cache.incremental_loads(), 4);
  // Version 0 is the empty manifest.
  auto empty = cache.Get(d.id, 0);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE((*empty)->partitions.empty());
}

}  // namespace
}  // namespace timestore::query
