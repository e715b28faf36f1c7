#include "storage/open_object_store.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/json_writer.h"
#include "storage/storage_test_files.h"
#include "testing/test_env.h"

namespace timestore::storage {
namespace {

using common::StatusCode;
using ::testing::HasSubstr;

std::string LocalConfig(const std::string& root) {
  common::JsonWriter w;
  w.BeginObject().Key("root").String(root).EndObject();
  return w.str();
}

TEST(OpenObjectStoreTest, LocalKindOpensAStoreAtTheConfiguredRoot) {
  testing::TempDir dir;
  const std::string root = (dir.path() / "data" / "timestore").string();
  auto store = OpenObjectStore("local", LocalConfig(root));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->Describe(), "local:" + root);
  EXPECT_EQ((*store)->LocalPath("a/b"), root + "/a/b");

  WriteFile(dir.path() / "src", "payload");
  ASSERT_TRUE((*store)->PutFile("a/b", (dir.path() / "src").string(), {}).ok());
  EXPECT_EQ(ReadFile(root + "/a/b"), "payload");
}

TEST(OpenObjectStoreTest, UnknownMembersOfTheConfigAreIgnored) {
  testing::TempDir dir;
  const std::string root = dir.path().string();
  auto store = OpenObjectStore("local", R"({"future":1,"root":")" + root + R"("})");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->Describe(), "local:" + root);
}

TEST(OpenObjectStoreTest, BadLocalConfigsAreInvalidArgumentNamingTheProblem) {
  struct Case {
    std::string json;
    std::string why;
  };
  for (const Case& c : {Case{"", "not valid JSON"}, Case{"{\"root\":", "not valid JSON"},
                        Case{"[]", "must be a JSON object"}, Case{"{}", "\"root\" is missing"},
                        Case{R"({"root":7})", "\"root\" must be a string"},
                        Case{R"({"root":"data/ts"})", "must be an absolute path"},
                        Case{R"({"root":""})", "must be an absolute path"}}) {
    auto store = OpenObjectStore("local", c.json);
    ASSERT_FALSE(store.ok()) << c.json;
    EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument) << c.json;
    EXPECT_THAT(store.status().message(), HasSubstr(c.why)) << c.json;
  }
}

TEST(OpenObjectStoreTest, S3ConfigOverridesTheDefaultsAndNeverShowsSecrets) {
  S3Options defaults;
  defaults.access_key_id = "S3RVER";
  defaults.secret_access_key = "default-secret";
  defaults.endpoint = "http://127.0.0.1:9";
  auto store = OpenObjectStore(
      "s3", R"({"bucket":"from-target","prefix":"p","region":"eu-west-1"})", defaults);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->Describe().find("default-secret"), std::string::npos);
  EXPECT_NE((*store)->Describe().find("from-target"), std::string::npos);
  EXPECT_FALSE((*store)->LocalPath("a").has_value());
}

TEST(OpenObjectStoreTest, S3ConfigWithoutCredentialsOrWithWrongTypesIsInvalid) {
  auto missing = OpenObjectStore("s3", R"({"bucket":"b"})");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  S3Options defaults;
  defaults.access_key_id = "k";
  defaults.secret_access_key = "s";
  auto wrong = OpenObjectStore("s3", R"({"bucket":"b","forcePathStyle":"yes"})", defaults);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().message(),
            "s3 storage target config: \"forcePathStyle\" must be a boolean");
  EXPECT_EQ(OpenObjectStore("s3", "[1]", defaults).status().code(), StatusCode::kInvalidArgument);
}

TEST(OpenObjectStoreTest, UnknownKindIsInvalidArgument) {
  auto store = OpenObjectStore("gcs", "{}");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(store.status().message(), HasSubstr("'gcs'"));
}

TEST(OpenObjectStoreTest, LocalRootThatCannotBeCreatedIsUnavailable) {
  testing::TempDir dir;
  WriteFile(dir.path() / "file", "x");
  auto store = OpenObjectStore("local", LocalConfig((dir.path() / "file" / "root").string()));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace timestore::storage
