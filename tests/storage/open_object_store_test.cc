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

TEST(OpenObjectStoreTest, S3KindIsUnavailableUntilRemoteStorageIsBuilt) {
  auto store = OpenObjectStore("s3", R"({"bucket":"timestore-data"})");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store.status().message(),
            "S3 storage targets need the remote storage support (not built yet)");
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
