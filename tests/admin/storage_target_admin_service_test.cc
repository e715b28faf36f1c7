// StorageTargetAdminService against a real catalog: config validation, secrets kept across changes
// that leave them out, and the default target's protected name and config; no HTTP involved.
#include "admin/storage_target_admin_service.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include "catalog/catalog_fixture.h"

namespace timestore::admin {
namespace {

using common::StatusCode;

constexpr const char* kSecret = "SecretKeptAcrossPatches0001";

class StorageTargetAdminServiceTest : public catalog::CatalogTest {
 protected:
  StorageTargetAdminService& service() {
    if (!service_) {
      service_ = std::make_unique<StorageTargetAdminService>(
          *catalog_, stores_,
          [this](const catalog::StorageTargetId& id) { changed_.push_back(id); });
    }
    return *service_;
  }

  catalog::StorageTarget CreateS3(const std::string& name) {
    catalog::NewStorageTarget t;
    t.name = name;
    t.kind = catalog::StorageKind::kS3;
    t.config_json = std::string(R"({"bucket":"b","endpoint":"http://127.0.0.1:9",)") +
                    R"("accessKeyId":"AKID","secretAccessKey":")" + kSecret +
                    R"(","sessionToken":"tok","region":null})";
    auto created = service().Create(t);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? *created : catalog::StorageTarget{};
  }

  std::vector<catalog::StorageTargetId> changed_;

 private:
  storage::ObjectStoreRegistry stores_;
  std::unique_ptr<StorageTargetAdminService> service_;
};

TEST_F(StorageTargetAdminServiceTest, CreateDropsNullMembersAndRefusesUnknownOnes) {
  const catalog::StorageTarget t = CreateS3("cold");
  EXPECT_EQ(t.config_json.find("region"), std::string::npos) << t.config_json;
  catalog::NewStorageTarget bad;
  bad.name = "odd";
  bad.kind = catalog::StorageKind::kLocal;
  bad.config_json = R"({"root":"/tmp/x","bucket":"b"})";
  auto refused = service().Create(bad);
  ASSERT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.status().message(), "config.bucket: unknown member for a local storage target");
}

TEST_F(StorageTargetAdminServiceTest, AConfigChangeKeepsTheSecretsItLeavesOutAndNullRemovesOne) {
  const catalog::StorageTarget t = CreateS3("cold");
  StorageTargetChange change;
  change.config_json = R"({"bucket":"c","endpoint":"http://127.0.0.1:9","sessionToken":null})";
  auto updated = service().Update(t.id, change);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  simdjson::dom::parser parser;
  simdjson::dom::element config;
  ASSERT_EQ(parser.parse(updated->config_json).get(config), simdjson::SUCCESS);
  EXPECT_EQ(config["bucket"].get_string().value(), "c");
  EXPECT_NE(updated->config_json.find(kSecret), std::string::npos) << updated->config_json;
  EXPECT_NE(updated->config_json.find("AKID"), std::string::npos) << updated->config_json;
  EXPECT_EQ(updated->config_json.find("sessionToken"), std::string::npos) << updated->config_json;
  EXPECT_EQ(changed_, std::vector<catalog::StorageTargetId>{t.id});
}

TEST_F(StorageTargetAdminServiceTest, TheDefaultTargetKeepsItsNameAndConfig) {
  StorageTargetChange rename;
  rename.name = "other";
  EXPECT_EQ(service().Update(target_.id, rename).status().code(), StatusCode::kConflict);
  StorageTargetChange describe;
  describe.description = std::optional<std::string>("the local disk");
  auto described = service().Update(target_.id, describe);
  ASSERT_TRUE(described.ok()) << described.status().ToString();
  EXPECT_EQ(described->description, "the local disk");
  EXPECT_EQ(service().Update(target_.id, StorageTargetChange{}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(service().Update(catalog::StorageTargetId("st-nope"), rename).status().code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace timestore::admin
