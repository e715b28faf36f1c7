#include "catalog/dataset_repository.h"

#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "catalog_fixture.h"

namespace timestore::catalog {
namespace {

using common::StatusCode;

class DatasetRepositoryTest : public CatalogTest {};

TEST_F(DatasetRepositoryTest, CreateThenFindBySlugAndIdReturnsTheDefinition) {
  NewDataset d;
  d.slug = "cpu";
  d.name = "CPU usage";
  d.description = "per host";
  d.partition_key_columns = {"region", "dc"};
  d.write_format = WriteFormat::kDuckdb;
  d.read_scopes = {"team:read"};
  d.default_storage_target_id = target_.id;
  auto created = catalog_->datasets().Create(d);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->id.value().rfind("ds-", 0), 0u);
  EXPECT_EQ(created->current_version, 0);
  EXPECT_EQ(created->timestamp_column, "timestamp");
  EXPECT_EQ(created->partition_window_seconds, 86400);
  EXPECT_FALSE(created->current_schema_version.has_value());

  auto by_slug = catalog_->datasets().GetBySlug("cpu");
  ASSERT_TRUE(by_slug.ok());
  EXPECT_EQ(by_slug->id, created->id);
  EXPECT_EQ(by_slug->name, "CPU usage");
  EXPECT_EQ(by_slug->description, "per host");
  EXPECT_EQ(by_slug->partition_key_columns, (std::vector<std::string>{"region", "dc"}));
  EXPECT_EQ(by_slug->write_format, WriteFormat::kDuckdb);
  EXPECT_EQ(by_slug->read_scopes, std::vector<std::string>{"team:read"});
  EXPECT_EQ(by_slug->default_storage_target_id, target_.id);
  EXPECT_EQ(by_slug->ETag(), "\"" + created->id.value() + ".1\"");

  auto by_id = catalog_->datasets().FindById(created->id);
  ASSERT_TRUE(by_id.ok() && by_id->has_value());
  EXPECT_EQ((*by_id)->slug, "cpu");
}

TEST_F(DatasetRepositoryTest, DuplicateSlugIsAlreadyExists) {
  MakeDataset("dup");
  NewDataset d;
  d.slug = "dup";
  auto again = catalog_->datasets().Create(d);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(again.status().message(), "dataset 'dup' already exists");
}

TEST_F(DatasetRepositoryTest, InvalidSlugsAreRejected) {
  for (const std::string& slug : std::vector<std::string>{"", "Upper", "-lead", "has space", "a/b",
                                                          std::string(65, 'a'), "é"}) {
    NewDataset d;
    d.slug = slug;
    auto r = catalog_->datasets().Create(d);
    ASSERT_FALSE(r.ok()) << slug;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << slug;
  }
  EXPECT_TRUE(IsValidDatasetSlug(std::string(64, 'a')));
  EXPECT_TRUE(IsValidDatasetSlug("0_a-b"));
}

TEST_F(DatasetRepositoryTest, UnknownStorageTargetIsNotFound) {
  NewDataset d;
  d.slug = "orphan";
  d.default_storage_target_id = StorageTargetId("st-missing");
  auto r = catalog_->datasets().Create(d);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

TEST_F(DatasetRepositoryTest, GetBySlugOfUnknownDatasetIsNotFound) {
  auto r = catalog_->datasets().GetBySlug("nope");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "dataset 'nope' not found");
}

TEST_F(DatasetRepositoryTest, PaginationVisitsEveryDatasetOnceAtEveryPageSize) {
  std::set<std::string> all;
  for (int i = 0; i < 7; ++i) {
    const std::string slug = "ds-" + std::to_string(i);
    MakeDataset(slug);
    all.insert(slug);
  }
  for (int limit : {1, 2, 3, 6, 7, 8}) {
    std::set<std::string> seen;
    std::optional<std::string> cursor;
    int pages = 0;
    do {
      ListDatasetsOptions o;
      o.limit = limit;
      o.cursor = cursor;
      auto page = catalog_->datasets().List(o);
      ASSERT_TRUE(page.ok()) << page.status().ToString();
      ASSERT_LE(static_cast<int>(page->items.size()), limit);
      for (const auto& d : page->items) EXPECT_TRUE(seen.insert(d.slug).second) << d.slug;
      // A cursor is returned exactly when something follows: never an empty last page.
      if (page->next_cursor) {
        EXPECT_EQ(static_cast<int>(page->items.size()), limit);
      }
      cursor = page->next_cursor;
      ++pages;
    } while (cursor && pages < 20);
    EXPECT_EQ(seen, all) << "limit " << limit;
    EXPECT_EQ(pages, (7 + limit - 1) / limit) << "limit " << limit;
  }
}

TEST_F(DatasetRepositoryTest, ListFiltersBySearchAndStatusAndValidatesLimit) {
  MakeDataset("cpu-usage");
  MakeDataset("memory");
  ListDatasetsOptions o;
  o.search = "CPU";
  auto page = catalog_->datasets().List(o);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].slug, "cpu-usage");

  o = {};
  o.status = DatasetStatus::kArchived;
  EXPECT_TRUE(catalog_->datasets().List(o)->items.empty());

  o = {};
  o.limit = 0;
  EXPECT_EQ(catalog_->datasets().List(o).status().code(), StatusCode::kInvalidArgument);
  o.limit = 10;
  o.cursor = "'; DROP TABLE datasets; --";
  EXPECT_EQ(catalog_->datasets().List(o).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(DatasetRepositoryTest, SchemaVersionsAreAddedInOrderAndIdenticalSchemaIsReused) {
  Dataset d = MakeDataset("metrics");
  const std::vector<ColumnDef> v1 = {{"timestamp", ColumnType::kTimestamp},
                                     {"host", ColumnType::kString},
                                     {"value", ColumnType::kDouble}};
  auto first = catalog_->datasets().AddSchemaVersion(d.id, v1, 0);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->version, 1);
  EXPECT_EQ(first->columns, v1);

  auto same = catalog_->datasets().AddSchemaVersion(d.id, v1, 1);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->version, 1);

  std::vector<ColumnDef> v2 = v1;
  v2.push_back({"ok", ColumnType::kBoolean});
  v2.push_back({"count", ColumnType::kInteger});
  auto second = catalog_->datasets().AddSchemaVersion(d.id, v2, 1);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->version, 2);
  EXPECT_EQ(second->columns, v2);
  EXPECT_EQ(catalog_->datasets().GetBySlug("metrics")->current_schema_version, 2);

  auto all = catalog_->datasets().ListSchemaVersions(d.id);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].columns, v1);
  EXPECT_EQ((*all)[1].columns, v2);
  auto found = catalog_->datasets().FindSchemaVersion(d.id, 1);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->columns, v1);
  EXPECT_FALSE(catalog_->datasets().FindSchemaVersion(d.id, 3)->has_value());
}

TEST_F(DatasetRepositoryTest, StaleExpectedSchemaVersionIsConflict) {
  Dataset d = MakeDataset("evolving");
  ASSERT_TRUE(catalog_->datasets().AddSchemaVersion(d.id, {{"a", ColumnType::kString}}, 0).ok());
  auto stale = catalog_->datasets().AddSchemaVersion(d.id, {{"b", ColumnType::kString}}, 0);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), StatusCode::kConflict);
  auto missing = catalog_->datasets().AddSchemaVersion(DatasetId("ds-missing"),
                                                       {{"a", ColumnType::kString}}, std::nullopt);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST_F(DatasetRepositoryTest, StorageTargetEnsureDefaultIsIdempotentAndMovesTheDefault) {
  auto again = catalog_->storage_targets().EnsureDefault("local-test", StorageKind::kLocal,
                                                         R"({"root":"/tmp/x"})");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->id, target_.id);
  auto s3 =
      catalog_->storage_targets().EnsureDefault("s3-bucket", StorageKind::kS3, R"({"bucket":"b"})");
  ASSERT_TRUE(s3.ok());
  EXPECT_TRUE(s3->is_default);
  auto def = catalog_->storage_targets().FindDefault();
  ASSERT_TRUE(def.ok() && def->has_value());
  EXPECT_EQ((*def)->id, s3->id);
  auto list = catalog_->storage_targets().List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_FALSE(catalog_->storage_targets().Get(target_.id)->is_default);
  EXPECT_EQ(catalog_->storage_targets().Get(StorageTargetId("st-x")).status().code(),
            StatusCode::kNotFound);
}

TEST_F(DatasetRepositoryTest, EnsureReplaysAnIdenticalDefinitionAndRefusesAnother) {
  NewDataset d;
  d.slug = "cpu";
  d.name = "CPU";
  d.read_scopes = {"a", "b"};
  d.metadata_json = R"({"team":"infra","tier":1})";
  auto first = catalog_->datasets().Ensure(d);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->created);
  d.metadata_json = R"({ "tier": 1, "team": "infra" })";  // the same JSON, written differently
  auto replay = catalog_->datasets().Ensure(d);
  ASSERT_TRUE(replay.ok()) << replay.status().ToString();
  EXPECT_FALSE(replay->created);
  EXPECT_EQ(replay->dataset.id, first->dataset.id);
  EXPECT_EQ(replay->dataset.revision, 1);

  d.description = "another definition";
  auto other = catalog_->datasets().Ensure(d);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), StatusCode::kAlreadyExists);
}

TEST_F(DatasetRepositoryTest, UpdateAppliesThePatchAndBumpsRevisionAndUpdatedAt) {
  NewDataset nd;
  nd.slug = "cpu";
  nd.description = "old";
  Dataset d = *catalog_->datasets().Create(nd);
  DatasetPatch patch;
  patch.name = "Renamed";
  patch.description = std::optional<std::string>();  // cleared
  patch.status = DatasetStatus::kArchived;
  patch.read_scopes = std::vector<std::string>{"r"};
  patch.write_scopes = std::vector<std::string>{"w1", "w2"};
  patch.partition_window_seconds = 3600;
  patch.write_format = WriteFormat::kDuckdb;
  patch.metadata_json = R"({"k":"v"})";
  patch.default_storage_target_id = std::optional<StorageTargetId>(target_.id);
  auto updated = catalog_->datasets().Update(d.id, patch, d.revision);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->revision, d.revision + 1);
  EXPECT_GE(updated->updated_at, d.updated_at);
  EXPECT_EQ(updated->name, "Renamed");
  EXPECT_FALSE(updated->description.has_value());
  EXPECT_EQ(updated->status, DatasetStatus::kArchived);
  EXPECT_EQ(updated->read_scopes, std::vector<std::string>{"r"});
  EXPECT_EQ(updated->write_scopes, (std::vector<std::string>{"w1", "w2"}));
  EXPECT_EQ(updated->partition_window_seconds, 3600);
  EXPECT_EQ(updated->write_format, WriteFormat::kDuckdb);
  EXPECT_EQ(updated->metadata_json, R"({"k": "v"})");
  EXPECT_EQ(updated->default_storage_target_id, target_.id);
  EXPECT_EQ(updated->slug, "cpu");
  EXPECT_NE(updated->ETag(), d.ETag());
  EXPECT_EQ(catalog_->datasets().GetBySlug("cpu")->ETag(), updated->ETag());

  DatasetPatch clear;
  clear.default_storage_target_id = std::optional<StorageTargetId>();
  auto cleared = catalog_->datasets().Update(d.id, clear);
  ASSERT_TRUE(cleared.ok()) << cleared.status().ToString();
  EXPECT_FALSE(cleared->default_storage_target_id.has_value());
  EXPECT_EQ(cleared->revision, d.revision + 2);
}

TEST_F(DatasetRepositoryTest, UpdateWithStaleRevisionIsFailedPreconditionAndChangesNothing) {
  Dataset d = MakeDataset("cpu");
  DatasetPatch patch;
  patch.name = "first";
  ASSERT_TRUE(catalog_->datasets().Update(d.id, patch, d.revision).ok());
  patch.name = "second";
  auto stale = catalog_->datasets().Update(d.id, patch, d.revision);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(catalog_->datasets().GetBySlug("cpu")->name, "first");
}

TEST_F(DatasetRepositoryTest, ConcurrentUpdatesWithTheSameRevisionHaveExactlyOneWinner) {
  Dataset d = MakeDataset("cpu");
  constexpr int kWriters = 6;
  std::vector<common::Result<Dataset>> results(kWriters, common::Internal("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      DatasetPatch patch;
      patch.name = "writer " + std::to_string(i);
      results[i] = catalog_->datasets().Update(d.id, patch, d.revision);
    });
  }
  for (auto& t : threads) t.join();
  int winners = 0;
  for (const auto& r : results) {
    if (r.ok()) {
      ++winners;
    } else {
      EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << r.status().ToString();
    }
  }
  EXPECT_EQ(winners, 1);
  EXPECT_EQ(catalog_->datasets().GetBySlug("cpu")->revision, d.revision + 1);
}

TEST_F(DatasetRepositoryTest, UpdateRejectsEmptyAndInvalidPatchesAndUnknownIds) {
  Dataset d = MakeDataset("cpu");
  EXPECT_EQ(catalog_->datasets().Update(d.id, {}).status().code(), StatusCode::kInvalidArgument);
  DatasetPatch window;
  window.partition_window_seconds = 0;
  EXPECT_EQ(catalog_->datasets().Update(d.id, window).status().code(),
            StatusCode::kInvalidArgument);
  DatasetPatch target;
  target.default_storage_target_id = std::optional<StorageTargetId>(StorageTargetId("st-nope"));
  EXPECT_EQ(catalog_->datasets().Update(d.id, target).status().code(), StatusCode::kNotFound);
  DatasetPatch name;
  name.name = "x";
  EXPECT_EQ(catalog_->datasets().Update(DatasetId("ds-nope"), name).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(catalog_->datasets().GetBySlug("cpu")->revision, d.revision);
}

TEST_F(DatasetRepositoryTest, StorageTargetCreateAndUpdate) {
  NewStorageTarget t;
  t.name = "archive";
  t.kind = StorageKind::kS3;
  t.description = "cold";
  t.config_json = R"({"bucket":"b","accessKeyId":"AK"})";
  auto created = catalog_->storage_targets().Create(t);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_FALSE(created->is_default);
  EXPECT_EQ(created->kind, StorageKind::kS3);
  EXPECT_EQ(created->description, "cold");
  EXPECT_EQ(catalog_->storage_targets().Create(t).status().code(), StatusCode::kAlreadyExists);

  StorageTargetPatch patch;
  patch.name = "archive-2";
  patch.description = std::optional<std::string>();
  patch.config_json = R"({"bucket":"c"})";
  auto updated = catalog_->storage_targets().Update(created->id, patch);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->name, "archive-2");
  EXPECT_FALSE(updated->description.has_value());
  EXPECT_EQ(updated->config_json, R"({"bucket": "c"})");
  EXPECT_GE(updated->updated_at, created->updated_at);

  StorageTargetPatch taken;
  taken.name = "local-test";
  EXPECT_EQ(catalog_->storage_targets().Update(created->id, taken).status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(catalog_->storage_targets().Update(created->id, {}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(catalog_->storage_targets().Update(StorageTargetId("st-x"), patch).status().code(),
            StatusCode::kNotFound);

  // Compare-and-set on updated_at: a patch computed from an older read is refused.
  StorageTargetPatch renamed;
  renamed.name = "archive-3";
  auto fresh = catalog_->storage_targets().Update(created->id, renamed, updated->updated_at);
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  EXPECT_GT(fresh->updated_at, updated->updated_at);
  renamed.name = "archive-4";
  EXPECT_EQ(
      catalog_->storage_targets().Update(created->id, renamed, updated->updated_at).status().code(),
      StatusCode::kConflict);
  EXPECT_EQ(catalog_->storage_targets().Get(created->id)->name, "archive-3");
  EXPECT_EQ(catalog_->storage_targets()
                .Update(StorageTargetId("st-x"), renamed, updated->updated_at)
                .status()
                .code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace timestore::catalog
