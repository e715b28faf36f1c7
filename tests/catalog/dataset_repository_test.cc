#include "catalog/dataset_repository.h"

#include <set>

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

}  // namespace
}  // namespace timestore::catalog
