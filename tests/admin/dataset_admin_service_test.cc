// DatasetAdminService against a real catalog (the throwaway PostgreSQL): create replays, If-Match
// preconditions, archive, storage target assignment; no HTTP involved.
#include "admin/dataset_admin_service.h"

#include <gtest/gtest.h>

#include "catalog/catalog_fixture.h"

namespace timestore::admin {
namespace {

using common::StatusCode;

class DatasetAdminServiceTest : public catalog::CatalogTest {
 protected:
  catalog::NewDataset Definition(const std::string& slug) {
    catalog::NewDataset d;
    d.slug = slug;
    d.name = "CPU";
    d.partition_key_columns = {"host"};
    return d;
  }

  DatasetAdminService& service() {
    if (!service_) service_ = std::make_unique<DatasetAdminService>(*catalog_);
    return *service_;
  }

 private:
  std::unique_ptr<DatasetAdminService> service_;
};

TEST_F(DatasetAdminServiceTest, CreateReplayOfTheSameDefinitionAnswersTheExistingDataset) {
  auto first = service().Create(Definition("cpu"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->created);
  auto replay = service().Create(Definition("cpu"));
  ASSERT_TRUE(replay.ok()) << replay.status().ToString();
  EXPECT_FALSE(replay->created);
  EXPECT_EQ(replay->dataset.id, first->dataset.id);
  EXPECT_EQ(replay->dataset.ETag(), first->dataset.ETag());

  catalog::NewDataset other = Definition("cpu");
  other.name = "Another CPU";
  EXPECT_EQ(service().Create(other).status().code(), StatusCode::kAlreadyExists);
}

TEST_F(DatasetAdminServiceTest, CreateWithAnUnknownStorageTargetNamesTheField) {
  catalog::NewDataset d = Definition("cpu");
  d.default_storage_target_id = catalog::StorageTargetId("st-nope");
  auto created = service().Create(d);
  ASSERT_EQ(created.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(created.status().message(),
            "defaultStorageTargetId: storage target 'st-nope' not found");
  EXPECT_FALSE(catalog_->datasets().FindBySlug("cpu")->has_value());
}

TEST_F(DatasetAdminServiceTest, IfMatchWithAStaleETagIsAFailedPreconditionAndChangesNothing) {
  const catalog::Dataset d = MakeDataset("cpu");
  catalog::DatasetPatch rename;
  rename.name = "Renamed";
  auto changed = service().Update(std::string("cpu"), rename, IfMatch({d.ETag()}));
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_EQ(changed->name, "Renamed");
  EXPECT_NE(changed->ETag(), d.ETag());

  catalog::DatasetPatch again;
  again.name = "Stale";
  auto stale = service().Update(std::string("cpu"), again, IfMatch({d.ETag()}));
  ASSERT_EQ(stale.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(stale.status().message().find(changed->ETag()), std::string::npos)
      << stale.status().message();
  // A dataset resolved before another change came: the compare-and-set on its revision refuses.
  auto raced = service().Update(d, again, IfMatch({d.ETag()}));
  EXPECT_EQ(raced.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(catalog_->datasets().GetBySlug("cpu")->name, "Renamed");

  // "*" and no precondition both apply the change.
  EXPECT_TRUE(service().Update(std::string("cpu"), again, IfMatch({"*"})).ok());
  again.name = "Last";
  EXPECT_EQ(service().Update(d.id.value(), again, std::nullopt)->name, "Last");
}

TEST_F(DatasetAdminServiceTest, ArchiveIsIdempotent) {
  MakeDataset("cpu");
  auto archived = service().Archive(std::string("cpu"));
  ASSERT_TRUE(archived.ok()) << archived.status().ToString();
  EXPECT_EQ(archived->status, catalog::DatasetStatus::kArchived);
  auto again = service().Archive(std::string("cpu"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->revision, archived->revision);  // nothing written the second time
  EXPECT_EQ(service().Archive(std::string("nope")).status().code(), StatusCode::kNotFound);
}

TEST_F(DatasetAdminServiceTest, AssignStorageTargetChecksTheTargetFirst) {
  MakeDataset("cpu");
  EXPECT_EQ(service()
                .AssignStorageTarget(std::string("nope"), catalog::StorageTargetId("st-nope"),
                                     std::nullopt)
                .status()
                .code(),
            StatusCode::kNotFound);
  auto assigned = service().AssignStorageTarget(std::string("cpu"), target_.id, std::nullopt);
  ASSERT_TRUE(assigned.ok()) << assigned.status().ToString();
  EXPECT_EQ(assigned->default_storage_target_id, target_.id);
}

}  // namespace
}  // namespace timestore::admin
