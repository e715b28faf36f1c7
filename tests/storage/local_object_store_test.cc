#include "storage/local_object_store.h"

#include <atomic>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "common/time.h"
#include "observability/metrics.h"
#include "storage/sha256_hasher.h"
#include "storage/storage_test_files.h"
#include "testing/test_env.h"

namespace timestore::storage {
namespace {

namespace fs = std::filesystem;
using common::StatusCode;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> Keys(const std::vector<ObjectInfo>& objects) {
  std::vector<std::string> keys;
  for (const ObjectInfo& o : objects) keys.push_back(o.key);
  return keys;
}

class LocalObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.path() / "store";
    auto store = LocalObjectStore::Open(root_.string(), &metrics_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }

  // A source file outside the store with `bytes`.
  std::string Source(const std::string& name, const std::string& bytes) {
    const fs::path path = dir_.path() / "src" / name;
    WriteFile(path, bytes);
    return path.string();
  }

  void Put(const std::string& key, const std::string& bytes, PutOptions options = {}) {
    common::Status s =
        store_->PutFile(key, Source("put-" + std::to_string(++sources_), bytes), options);
    ASSERT_TRUE(s.ok()) << key << ": " << s.ToString();
  }

  std::string Get(const std::string& key) {
    const fs::path dest = dir_.path() / "out" / ("get-" + std::to_string(++sources_));
    common::Status s = store_->GetFile(key, dest.string());
    EXPECT_TRUE(s.ok()) << key << ": " << s.ToString();
    return ReadFile(dest);
  }

  testing::TempDir dir_;
  fs::path root_;
  observability::MetricsRegistry metrics_;
  std::unique_ptr<LocalObjectStore> store_;
  int sources_ = 0;
};

TEST_F(LocalObjectStoreTest, PutGetStatListDeleteRoundTripWithNestedKeys) {
  const common::UnixMicros before = common::NowMicros() - 2'000'000;
  Put("cpu/region=eu/window=2024-01-01/part-1.parquet", "first");
  Put("cpu/region=us/window=2024-01-01/part-2.parquet", "second!");
  Put("top", "");

  EXPECT_EQ(Get("cpu/region=eu/window=2024-01-01/part-1.parquet"), "first");
  EXPECT_EQ(Get("cpu/region=us/window=2024-01-01/part-2.parquet"), "second!");
  EXPECT_EQ(Get("top"), "");

  auto stat = store_->Stat("cpu/region=us/window=2024-01-01/part-2.parquet");
  ASSERT_TRUE(stat.ok() && stat->has_value()) << stat.status().ToString();
  EXPECT_EQ((*stat)->key, "cpu/region=us/window=2024-01-01/part-2.parquet");
  EXPECT_EQ((*stat)->size_bytes, 7);
  EXPECT_GE((*stat)->modified_at, before);
  EXPECT_LE((*stat)->modified_at, common::NowMicros() + 2'000'000);

  auto all = store_->List("");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_THAT(Keys(*all), ElementsAre("cpu/region=eu/window=2024-01-01/part-1.parquet",
                                      "cpu/region=us/window=2024-01-01/part-2.parquet", "top"));
  EXPECT_EQ((*all)[1], **stat);
  EXPECT_EQ((*all)[2].size_bytes, 0);

  ASSERT_TRUE(store_->Delete("cpu/region=eu/window=2024-01-01/part-1.parquet").ok());
  auto gone = store_->Stat("cpu/region=eu/window=2024-01-01/part-1.parquet");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  EXPECT_THAT(Keys(*store_->List("")),
              ElementsAre("cpu/region=us/window=2024-01-01/part-2.parquet", "top"));
}

TEST_F(LocalObjectStoreTest, ListByPrefixIsSortedAndExcludesStagingAndTemporaryFiles) {
  for (const std::string key : {"b/2", "a/y/1", "a/x/2", "a/x/10", "ab", "a/x/1", "c"}) {
    Put(key, key);
  }
  // What writers and interrupted puts leave behind is never an object.
  WriteFile(fs::path(store_->StagingDirectory()) / "part-staged.parquet", "staged");
  WriteFile(root_ / "a" / "x" / ".tmp-999-abc", "partial");
  WriteFile(root_ / ".tmp-1-2", "partial");

  EXPECT_THAT(Keys(*store_->List("")),
              ElementsAre("a/x/1", "a/x/10", "a/x/2", "a/y/1", "ab", "b/2", "c"));
  EXPECT_THAT(Keys(*store_->List("a/")), ElementsAre("a/x/1", "a/x/10", "a/x/2", "a/y/1"));
  EXPECT_THAT(Keys(*store_->List("a")), ElementsAre("a/x/1", "a/x/10", "a/x/2", "a/y/1", "ab"));
  EXPECT_THAT(Keys(*store_->List("a/x/1")), ElementsAre("a/x/1", "a/x/10"));
  EXPECT_THAT(Keys(*store_->List("a/x/")), ElementsAre("a/x/1", "a/x/10", "a/x/2"));
  EXPECT_TRUE(store_->List("a/z/")->empty());
  EXPECT_TRUE(store_->List("nothing/here").ok());
  EXPECT_TRUE(store_->List("nothing/here")->empty());
  EXPECT_TRUE(store_->List(".tmp-").value().empty());
}

TEST_F(LocalObjectStoreTest, ListRejectsPrefixesThatCouldLeaveTheRoot) {
  for (const std::string prefix : {"/etc", "../", "a/../../b", "a//b"}) {
    auto listed = store_->List(prefix);
    ASSERT_FALSE(listed.ok()) << prefix;
    EXPECT_EQ(listed.status().code(), StatusCode::kInvalidArgument) << prefix;
  }
}

TEST_F(LocalObjectStoreTest, PutWithMoveConsumesTheSource) {
  const fs::path staged = fs::path(store_->StagingDirectory()) / "part-1.duckdb";
  WriteFile(staged, "duckdb bytes");
  struct stat before {};
  ASSERT_EQ(::stat(staged.c_str(), &before), 0);
  PutOptions options;
  options.move = true;
  options.sha256_hex = Sha256Hex("duckdb bytes");
  ASSERT_TRUE(store_->PutFile("ds/part-1.duckdb", staged.string(), options).ok());

  EXPECT_FALSE(fs::exists(staged));
  EXPECT_EQ(ReadFile(root_ / "ds" / "part-1.duckdb"), "duckdb bytes");
  struct stat after {};
  ASSERT_EQ(::stat((root_ / "ds" / "part-1.duckdb").c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino) << "a same-filesystem move is a rename, not a copy";
  EXPECT_THAT(FilesUnder(root_), ElementsAre("ds/part-1.duckdb"));
}

TEST_F(LocalObjectStoreTest, PutWithMoveFromAnotherFilesystemCopiesAndConsumesTheSource) {
  // /dev/shm is a tmpfs on Linux; skip where it is missing or shares the store's filesystem.
  struct stat shm {};
  struct stat root {};
  if (::stat("/dev/shm", &shm) != 0 || ::stat(root_.c_str(), &root) != 0 ||
      shm.st_dev == root.st_dev || ::access("/dev/shm", W_OK) != 0) {
    GTEST_SKIP() << "no second filesystem at /dev/shm";
  }
  const fs::path source = fs::path("/dev/shm") / ("timestore-test-" + testing::UniqueName("mv"));
  WriteFile(source, "from tmpfs");
  PutOptions options;
  options.move = true;
  options.sha256_hex = Sha256Hex("from tmpfs");
  common::Status s = store_->PutFile("x/moved", source.string(), options);
  std::error_code ec;
  const bool source_left = fs::exists(source);
  fs::remove(source, ec);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_FALSE(source_left);
  EXPECT_EQ(Get("x/moved"), "from tmpfs");
  EXPECT_THAT(FilesUnder(root_), ElementsAre("x/moved"));
}

TEST_F(LocalObjectStoreTest, PutWithCopyKeepsTheSource) {
  const std::string source = Source("keep", "kept bytes");
  ASSERT_TRUE(store_->PutFile("k/v", source, {}).ok());
  EXPECT_EQ(ReadFile(source), "kept bytes");
  EXPECT_EQ(Get("k/v"), "kept bytes");
  EXPECT_EQ(*store_->LocalPath("k/v"), (root_ / "k" / "v").string());
  EXPECT_EQ(ReadFile(*store_->LocalPath("k/v")), "kept bytes");
}

TEST_F(LocalObjectStoreTest, PutOfSeveralMiBWithChecksumStoresTheExactBytes) {
  std::string bytes(3 * 1024 * 1024 + 17, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 131) ^ (i >> 9));
  PutOptions options;
  options.sha256_hex = Sha256Hex(bytes);
  for (char& c : *options.sha256_hex) c = static_cast<char>(std::toupper(c));  // either case
  Put("big/file", bytes, options);
  EXPECT_EQ(*Sha256File(*store_->LocalPath("big/file")), Sha256Hex(bytes));
  EXPECT_EQ(Get("big/file"), bytes);
  EXPECT_EQ(store_->Stat("big/file").value()->size_bytes, static_cast<int64_t>(bytes.size()));
}

TEST_F(LocalObjectStoreTest, PutWithChecksumMismatchFailsAndLeavesNothing) {
  for (const bool move : {false, true}) {
    SCOPED_TRACE(move ? "move" : "copy");
    const fs::path source = fs::path(store_->StagingDirectory()) / "part.parquet";
    WriteFile(source, "actual bytes");
    PutOptions options;
    options.move = move;
    options.sha256_hex = Sha256Hex("expected bytes");
    common::Status s = store_->PutFile("ds/part.parquet", source.string(), options);
    EXPECT_EQ(s.code(), StatusCode::kInternal);
    EXPECT_THAT(s.message(), HasSubstr("checksum mismatch"));
    EXPECT_THAT(s.message(), HasSubstr(Sha256Hex("actual bytes")));
    EXPECT_FALSE(store_->Stat("ds/part.parquet")->has_value());
    EXPECT_EQ(ReadFile(source), "actual bytes") << "a failed put leaves the source";
    EXPECT_THAT(FilesUnder(root_), ElementsAre(".tmp-staging/part.parquet"));
    fs::remove(source);
  }
}

TEST_F(LocalObjectStoreTest, PutWithMalformedChecksumIsInvalidArgument) {
  PutOptions options;
  options.sha256_hex = "not-a-digest";
  common::Status s = store_->PutFile("k", Source("s", "x"), options);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(store_->Stat("k")->has_value());
}

TEST_F(LocalObjectStoreTest, PutExistingKeyIsAlreadyExistsAndKeepsTheFirstObject) {
  Put("ds/part-1", "first");
  for (const bool move : {false, true}) {
    SCOPED_TRACE(move ? "move" : "copy");
    const fs::path source = fs::path(store_->StagingDirectory()) / "second";
    WriteFile(source, "second");
    PutOptions options;
    options.move = move;
    common::Status s = store_->PutFile("ds/part-1", source.string(), options);
    EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
    EXPECT_THAT(s.message(), HasSubstr("'ds/part-1' already exists"));
    EXPECT_EQ(Get("ds/part-1"), "first");
    EXPECT_EQ(ReadFile(source), "second") << "a failed move leaves the source";
    fs::remove(source);
  }
  EXPECT_THAT(FilesUnder(root_), ElementsAre("ds/part-1"));
}

TEST_F(LocalObjectStoreTest, ConcurrentPutsOfTheSameKeyLetExactlyOneSucceed) {
  constexpr int kThreads = 8;
  for (int round = 0; round < 10; ++round) {
    const std::string key = "race/round-" + std::to_string(round);
    std::vector<std::string> sources;
    for (int t = 0; t < kThreads; ++t) {
      const fs::path path = fs::path(store_->StagingDirectory()) / ("r" + std::to_string(t));
      WriteFile(path, "writer " + std::to_string(t) + std::string(64 * 1024, 'x'));
      sources.push_back(path.string());
    }
    std::atomic<int> ok{0};
    std::atomic<int> exists{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        while (!go.load()) std::this_thread::yield();
        PutOptions options;
        options.move = t % 2 == 0;  // renames and copies race each other
        common::Status s = store_->PutFile(key, sources[t], options);
        if (s.ok()) {
          ++ok;
        } else if (s.code() == StatusCode::kAlreadyExists) {
          ++exists;
        } else {
          ADD_FAILURE() << s.ToString();
        }
      });
    }
    go = true;
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 1);
    EXPECT_EQ(exists.load(), kThreads - 1);
    const std::string stored = ReadFile(*store_->LocalPath(key));
    EXPECT_THAT(stored, ::testing::StartsWith("writer "));
    EXPECT_EQ(stored.size(), std::string("writer 0").size() + 64 * 1024);
    for (const std::string& s : sources) fs::remove(s);
  }
  std::set<std::string> expected;
  for (int round = 0; round < 10; ++round) expected.insert("race/round-" + std::to_string(round));
  EXPECT_EQ(FilesUnder(root_), expected) << "no temporary files are left";
}

TEST_F(LocalObjectStoreTest, InvalidKeysAreRejectedByEveryOperation) {
  const std::string source = Source("s", "x");
  for (const std::string& key :
       std::vector<std::string>{"", "/abs", "a/../b", "a//b", "a/", ".", "a\\b", ".tmp-staging/x",
                                std::string(1025, 'a'), std::string("a\0b", 3)}) {
    SCOPED_TRACE(key);
    EXPECT_EQ(store_->PutFile(key, source, {}).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(store_->GetFile(key, (dir_.path() / "out").string()).code(),
              StatusCode::kInvalidArgument);
    EXPECT_EQ(store_->Delete(key).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(store_->Stat(key).status().code(), StatusCode::kInvalidArgument);
    EXPECT_FALSE(store_->LocalPath(key).has_value());
  }
  EXPECT_TRUE(FilesUnder(root_).empty());
  EXPECT_FALSE(fs::exists(dir_.path() / "b")) << "'a/../b' must not escape the root";
}

TEST_F(LocalObjectStoreTest, DeleteIsIdempotent) {
  Put("d/1", "x");
  EXPECT_TRUE(store_->Delete("d/1").ok());
  EXPECT_FALSE(fs::exists(root_ / "d" / "1"));
  EXPECT_TRUE(store_->Delete("d/1").ok());
  EXPECT_TRUE(store_->Delete("never/was/here").ok());
  EXPECT_TRUE(store_->Delete("d").ok()) << "a key prefix is not an object";
  EXPECT_TRUE(store_->List("")->empty());
}

TEST_F(LocalObjectStoreTest, GetMissingKeyIsNotFoundAndWritesNothing) {
  Put("present/x", "x");
  const fs::path dest = dir_.path() / "out" / "missing";
  for (const std::string key : {"absent", "present/absent", "present", "present/x/y"}) {
    common::Status s = store_->GetFile(key, dest.string());
    EXPECT_EQ(s.code(), StatusCode::kNotFound) << key;
    EXPECT_THAT(s.message(), HasSubstr("'" + key + "'"));
  }
  EXPECT_FALSE(fs::exists(dest));
  EXPECT_TRUE(!fs::exists(dest.parent_path()) || fs::is_empty(dest.parent_path()));
}

TEST_F(LocalObjectStoreTest, GetReplacesAnExistingDestinationAndCreatesItsDirectory) {
  Put("obj", "new contents");
  const fs::path dest = dir_.path() / "cache" / "deep" / "obj";
  ASSERT_TRUE(store_->GetFile("obj", dest.string()).ok());
  EXPECT_EQ(ReadFile(dest), "new contents");
  WriteFile(dest, "stale contents that are longer");
  ASSERT_TRUE(store_->GetFile("obj", dest.string()).ok());
  EXPECT_EQ(ReadFile(dest), "new contents");
  EXPECT_THAT(FilesUnder(dir_.path() / "cache"), ElementsAre("deep/obj"));
}

TEST_F(LocalObjectStoreTest, StatOfMissingKeyOrKeyPrefixIsNothing) {
  Put("a/b", "x");
  for (const std::string key : {"missing", "a", "a/b/c"}) {
    auto stat = store_->Stat(key);
    ASSERT_TRUE(stat.ok()) << key << ": " << stat.status().ToString();
    EXPECT_FALSE(stat->has_value()) << key;
  }
}

TEST_F(LocalObjectStoreTest, PutMissingSourceIsNotFoundAndLeavesNothing) {
  for (const bool move : {false, true}) {
    PutOptions options;
    options.move = move;
    common::Status s = store_->PutFile("k/v", (dir_.path() / "nope").string(), options);
    EXPECT_EQ(s.code(), StatusCode::kNotFound);
    EXPECT_THAT(s.message(), HasSubstr("nope"));
  }
  EXPECT_TRUE(FilesUnder(root_).empty());
}

TEST_F(LocalObjectStoreTest, KeyBelowAnExistingObjectOrAboveOthersIsConflict) {
  Put("a/b", "x");
  common::Status below = store_->PutFile("a/b/c", Source("s1", "y"), {});
  EXPECT_EQ(below.code(), StatusCode::kConflict);
  EXPECT_THAT(below.message(), HasSubstr("'a/b'"));
  common::Status above = store_->PutFile("a", Source("s2", "z"), {});
  EXPECT_EQ(above.code(), StatusCode::kConflict);
  EXPECT_EQ(Get("a/b"), "x");
  EXPECT_THAT(FilesUnder(root_), ElementsAre("a/b"));
}

TEST_F(LocalObjectStoreTest, StagingDirectoryIsInsideTheRootAndRecreatedOnDemand) {
  const std::string staging = store_->StagingDirectory();
  EXPECT_EQ(fs::path(staging).parent_path(), root_);
  EXPECT_TRUE(fs::is_directory(staging));
  fs::remove_all(staging);
  EXPECT_EQ(store_->StagingDirectory(), staging);
  EXPECT_TRUE(fs::is_directory(staging));
}

TEST_F(LocalObjectStoreTest, ObjectsSurviveReopeningTheStore) {
  Put("keep/me", "durable");
  store_.reset();
  auto reopened = LocalObjectStore::Open(root_.string());
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_THAT(Keys(*(*reopened)->List("")), ElementsAre("keep/me"));
  EXPECT_EQ(ReadFile(*(*reopened)->LocalPath("keep/me")), "durable");
}

TEST_F(LocalObjectStoreTest, OperationsAreCountedInMetrics) {
  Put("m/1", "12345");
  Get("m/1");
  EXPECT_EQ(store_->GetFile("m/missing", (dir_.path() / "o").string()).code(),
            StatusCode::kNotFound);
  const std::string text = metrics_.RenderPrometheus();
  EXPECT_THAT(
      text,
      HasSubstr(R"(timestore_storage_operations_total{store="local",op="put",outcome="ok"} 1)"));
  EXPECT_THAT(
      text,
      HasSubstr(R"(timestore_storage_operations_total{store="local",op="get",outcome="ok"} 1)"));
  EXPECT_THAT(
      text,
      HasSubstr(R"(timestore_storage_operations_total{store="local",op="get",outcome="error"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(timestore_storage_bytes_total{store="local",op="put"} 5)"));
  EXPECT_THAT(text, HasSubstr(R"(timestore_storage_bytes_total{store="local",op="get"} 5)"));
}

TEST(LocalObjectStoreOpenTest, OpenCreatesAMissingRootWithItsStagingDirectory) {
  testing::TempDir dir;
  const fs::path root = dir.path() / "a" / "b" / "c";
  auto store = LocalObjectStore::Open(root.string() + "/");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_TRUE(fs::is_directory(root));
  EXPECT_EQ((*store)->root(), root.string());
  EXPECT_EQ((*store)->Describe(), "local:" + root.string());
  EXPECT_EQ((*store)->StagingDirectory(), (root / ".tmp-staging").string());
  EXPECT_TRUE(FilesUnder(root).empty()) << "the writability probe is removed";
}

TEST(LocalObjectStoreOpenTest, RootThatCannotBeCreatedIsUnavailable) {
  testing::TempDir dir;
  WriteFile(dir.path() / "file", "x");
  for (const fs::path& root : {dir.path() / "file", dir.path() / "file" / "below"}) {
    auto store = LocalObjectStore::Open(root.string());
    ASSERT_FALSE(store.ok()) << root;
    EXPECT_EQ(store.status().code(), StatusCode::kUnavailable) << root;
    EXPECT_THAT(store.status().message(), HasSubstr(root.string()));
  }
}

TEST(LocalObjectStoreOpenTest, EmptyRootIsInvalidArgument) {
  auto store = LocalObjectStore::Open("");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace timestore::storage
