#include "storage/s3_object_store.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/time.h"
#include "observability/metrics.h"
#include "storage/sha256_hasher.h"
#include "storage/storage_test_files.h"
#include "testing/subprocess.h"
#include "testing/test_env.h"

namespace timestore::storage {
namespace {

namespace fs = std::filesystem;
using common::StatusCode;
using ::testing::AnyOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kBucket[] = "timestore-test";

std::vector<std::string> Keys(const std::vector<ObjectInfo>& objects) {
  std::vector<std::string> keys;
  keys.reserve(objects.size());
  for (const ObjectInfo& o : objects) keys.push_back(o.key);
  return keys;
}

// Options for the fixture's server, under a prefix no other test uses; quick retries.
S3Options TestOptions(const fs::path& staging) {
  S3Options options;
  options.endpoint = testing::S3Endpoint();
  options.bucket = kBucket;
  options.prefix = testing::UniqueName("s3t") + "/";
  options.access_key_id = "S3RVER";
  options.secret_access_key = "S3RVER";
  options.max_attempts = 2;
  options.retry_base_delay = std::chrono::milliseconds(10);
  options.staging_dir = staging.string();
  return options;
}

class S3ObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_ = TestOptions(dir_.path() / "staging");
    store_ = OpenStore(options_);
    ASSERT_NE(store_, nullptr);
  }

  std::unique_ptr<S3ObjectStore> OpenStore(const S3Options& options) {
    auto store = S3ObjectStore::Open(options, &metrics_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  std::string Source(const std::string& bytes) {
    const fs::path path = dir_.path() / "src" / ("source-" + std::to_string(++files_));
    WriteFile(path, bytes);
    return path.string();
  }

  void Put(const std::string& key, const std::string& bytes, const PutOptions& options = {}) {
    common::Status s = store_->PutFile(key, Source(bytes), options);
    ASSERT_TRUE(s.ok()) << key << ": " << s.ToString();
  }

  std::string Get(const std::string& key) {
    const fs::path dest = dir_.path() / "out" / ("get-" + std::to_string(++files_));
    common::Status s = store_->GetFile(key, dest.string());
    EXPECT_TRUE(s.ok()) << key << ": " << s.ToString();
    return ReadFile(dest);
  }

  testing::TempDir dir_;
  observability::MetricsRegistry metrics_;
  S3Options options_;
  std::unique_ptr<S3ObjectStore> store_;
  int files_ = 0;
};

TEST(S3ObjectStoreOpenTest, RejectsBadOptionsAndDescribesWithoutSecrets) {
  S3Options options;
  options.bucket = "b";
  options.access_key_id = "AKIDEXAMPLE";
  options.secret_access_key = "very-secret";
  options.session_token = "token-secret";
  options.prefix = "tenant/a";
  auto store = S3ObjectStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->Describe(), "s3://b/tenant/a");
  EXPECT_EQ((*store)->LocalPath("x"), std::nullopt);

  S3Options no_bucket = options;
  no_bucket.bucket.clear();
  auto failed = S3ObjectStore::Open(no_bucket);
  EXPECT_EQ(failed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(failed.status().message(), HasSubstr("bucket"));

  S3Options bad_endpoint = options;
  bad_endpoint.endpoint = "ftp://example.com";
  failed = S3ObjectStore::Open(bad_endpoint);
  EXPECT_EQ(failed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(failed.status().message(), HasSubstr("endpoint"));
  EXPECT_THAT(failed.status().message(), Not(HasSubstr("very-secret")));

  S3Options no_secret = options;
  no_secret.secret_access_key.clear();
  EXPECT_EQ(S3ObjectStore::Open(no_secret).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(S3ObjectStoreTest, PutGetStatListDeleteRoundTripWithUnusualKeys) {
  const common::UnixMicros before = common::NowMicros() - 5'000'000;
  const std::vector<std::string> keys = {
      "cpu/region=eu/window=2024-01-01/part-1.parquet",
      "dir with space/a b.txt",
      "plus/a+b=c(x)!*.txt",
      "top",
      "unicode/données-日本.bin",
  };
  for (size_t i = 0; i < keys.size(); ++i) Put(keys[i], "bytes of " + std::to_string(i));
  Put("empty", "");
  // '&' and '\'' round-trip through the path; they stay out of the listing because the test
  // server escapes them twice in ListObjectsV2 XML (real S3 escapes once, as the parser expects).
  Put("amp/a&b'c", "ampersand");
  EXPECT_EQ(Get("amp/a&b'c"), "ampersand");
  ASSERT_TRUE(store_->Delete("amp/a&b'c").ok());

  for (size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(Get(keys[i]), "bytes of " + std::to_string(i));
  EXPECT_EQ(Get("empty"), "");

  auto stat = store_->Stat(keys[2]);
  ASSERT_TRUE(stat.ok()) << stat.status().ToString();
  ASSERT_TRUE(stat->has_value());
  EXPECT_EQ((*stat)->key, keys[2]);
  EXPECT_EQ((*stat)->size_bytes, 10);  // "bytes of 2"
  EXPECT_GT((*stat)->modified_at, before);
  EXPECT_LT((*stat)->modified_at, common::NowMicros() + 5'000'000);

  auto all = store_->List("");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_THAT(Keys(*all), ElementsAre(keys[0], keys[1], "empty", keys[2], keys[3], keys[4]));
  EXPECT_EQ((*all)[0].size_bytes, 10);
  EXPECT_GT((*all)[0].modified_at, before);

  auto plus = store_->List("plus/a+");
  ASSERT_TRUE(plus.ok()) << plus.status().ToString();
  EXPECT_THAT(Keys(*plus), ElementsAre(keys[2]));
  auto unicode = store_->List("unicode/donn");
  ASSERT_TRUE(unicode.ok()) << unicode.status().ToString();
  EXPECT_THAT(Keys(*unicode), ElementsAre(keys[4]));

  for (const std::string& key : keys) {
    common::Status s = store_->Delete(key);
    EXPECT_TRUE(s.ok()) << key << ": " << s.ToString();
  }
  ASSERT_TRUE(store_->Delete("empty").ok());
  auto after = store_->List("");
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_THAT(*after, IsEmpty());
  auto gone = store_->Stat(keys[0]);
  ASSERT_TRUE(gone.ok()) << gone.status().ToString();
  EXPECT_FALSE(gone->has_value());
}

TEST_F(S3ObjectStoreTest, PutWithWrongSha256IsRefusedAndLeavesNothing) {
  PutOptions options;
  options.sha256_hex = Sha256Hex("other bytes");
  common::Status s = store_->PutFile("a/b", Source("bytes"), options);
  EXPECT_EQ(s.code(), StatusCode::kInternal) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("checksum mismatch"));
  auto stat = store_->Stat("a/b");
  ASSERT_TRUE(stat.ok()) << stat.status().ToString();
  EXPECT_FALSE(stat->has_value());

  options.sha256_hex = "not-hex";
  EXPECT_EQ(store_->PutFile("a/b", Source("bytes"), options).code(), StatusCode::kInvalidArgument);

  options.sha256_hex = Sha256Hex("bytes");
  Put("a/b", "bytes", options);
  EXPECT_EQ(Get("a/b"), "bytes");
}

TEST_F(S3ObjectStoreTest, PutExistingKeyReturnsAlreadyExistsAndKeepsTheObject) {
  Put("k", "first");
  common::Status s = store_->PutFile("k", Source("second"), {});
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists) << s.ToString();
  EXPECT_EQ(Get("k"), "first");
}

TEST_F(S3ObjectStoreTest, PutRejectsInvalidKeysAndMissingSources) {
  EXPECT_EQ(store_->PutFile("/abs", Source("x"), {}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->PutFile("a/.tmp-x", Source("x"), {}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->PutFile("a", (dir_.path() / "missing").string(), {}).code(),
            StatusCode::kNotFound);
}

TEST_F(S3ObjectStoreTest, ListPaginatesWithContinuationTokens) {
  S3Options options = options_;
  options.max_keys_per_page = 2;
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  for (const char* key : {"p/e", "p/a", "p/c", "p/d", "p/b", "q"}) Put(key, key);
  auto listed = store->List("p/");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_THAT(Keys(*listed), ElementsAre("p/a", "p/b", "p/c", "p/d", "p/e"));
  EXPECT_EQ((*listed)[0].size_bytes, 3);
}

TEST_F(S3ObjectStoreTest, MultipartUploadRoundTripsByteExact) {
  S3Options options = options_;
  options.multipart_threshold_bytes = 5 << 20;
  options.multipart_part_bytes = 5 << 20;
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);

  std::string bytes(12 * (1 << 20) + 12345, '\0');
  std::mt19937_64 rng(42);
  for (char& c : bytes) c = static_cast<char>(rng());
  const std::string sha = Sha256Hex(bytes);
  PutOptions put;
  put.sha256_hex = sha;
  common::Status s = store->PutFile("big/object.bin", Source(bytes), put);
  ASSERT_TRUE(s.ok()) << s.ToString();

  auto stat = store->Stat("big/object.bin");
  ASSERT_TRUE(stat.ok()) << stat.status().ToString();
  ASSERT_TRUE(stat->has_value());
  EXPECT_EQ((*stat)->size_bytes, static_cast<int64_t>(bytes.size()));

  const fs::path dest = dir_.path() / "out" / "big.bin";
  s = store->GetFile("big/object.bin", dest.string());
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto got = Sha256File(dest.string());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, sha);
  EXPECT_EQ(fs::file_size(dest), bytes.size());
}

TEST_F(S3ObjectStoreTest, GetMissingKeyReturnsNotFoundAndLeavesNoFile) {
  const fs::path out = dir_.path() / "out";
  common::Status s = store_->GetFile("no/such/key", (out / "dest").string());
  EXPECT_EQ(s.code(), StatusCode::kNotFound) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("no/such/key"));
  EXPECT_THAT(FilesUnder(out), IsEmpty());
}

TEST_F(S3ObjectStoreTest, GetRefusesBytesThatDoNotMatchTheStoredSha256) {
  // An object written by someone else whose x-amz-meta-sha256 does not describe its bytes.
  const std::string source = Source("tampered bytes");
  auto [rc, output] = testing::RunCommand(
      {"/usr/bin/curl", "-sS", "-f", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user",
       "S3RVER:S3RVER", "-T", source, "-H", "x-amz-content-sha256: " + Sha256Hex("tampered bytes"),
       "-H", "x-amz-meta-sha256: " + Sha256Hex("original bytes"),
       options_.endpoint + "/" + kBucket + "/" + options_.prefix + "bad"});
  ASSERT_EQ(rc, 0) << output;

  const fs::path out = dir_.path() / "out";
  common::Status s = store_->GetFile("bad", (out / "dest").string());
  EXPECT_EQ(s.code(), StatusCode::kInternal) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("checksum mismatch"));
  EXPECT_THAT(FilesUnder(out), IsEmpty());
}

TEST_F(S3ObjectStoreTest, ConcurrentPutsAndGetsOfDistinctKeysSucceed) {
  std::vector<std::string> sources;
  sources.reserve(8);
  for (int i = 0; i < 8; ++i) sources.push_back(Source("object " + std::to_string(i)));
  std::vector<common::Status> results(sources.size());
  {
    std::vector<std::jthread> threads;
    for (size_t i = 0; i < sources.size(); ++i) {
      threads.emplace_back([&, i] {
        const std::string key = "c/" + std::to_string(i);
        results[i] = store_->PutFile(key, sources[i], {});
        if (results[i].ok()) {
          const std::string dest = (dir_.path() / "out" / ("c" + std::to_string(i))).string();
          results[i] = store_->GetFile(key, dest);
        }
      });
    }
  }
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_TRUE(results[i].ok()) << i << ": " << results[i].ToString();
    EXPECT_EQ(ReadFile(dir_.path() / "out" / ("c" + std::to_string(i))),
              "object " + std::to_string(i));
  }
  auto listed = store_->List("c/");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(listed->size(), sources.size());
}

TEST_F(S3ObjectStoreTest, GetReplacesAnExistingDestinationFile) {
  Put("k", "new contents");
  const fs::path dest = dir_.path() / "out" / "dest";
  WriteFile(dest, "old");
  ASSERT_TRUE(store_->GetFile("k", dest.string()).ok());
  EXPECT_EQ(ReadFile(dest), "new contents");
  EXPECT_THAT(FilesUnder(dest.parent_path()), ElementsAre("dest"));
}

TEST_F(S3ObjectStoreTest, DeleteIsIdempotent) {
  Put("d/k", "x");
  EXPECT_TRUE(store_->Delete("d/k").ok());
  common::Status again = store_->Delete("d/k");
  EXPECT_TRUE(again.ok()) << again.ToString();
  EXPECT_TRUE(store_->Delete("never/existed").ok());
}

TEST_F(S3ObjectStoreTest, MovePutRemovesTheSourceAndCopyKeepsIt) {
  const std::string moved = Source("moved");
  PutOptions move;
  move.move = true;
  ASSERT_TRUE(store_->PutFile("m", moved, move).ok());
  EXPECT_FALSE(fs::exists(moved));
  EXPECT_EQ(Get("m"), "moved");

  const std::string copied = Source("copied");
  ASSERT_TRUE(store_->PutFile("c", copied, {}).ok());
  EXPECT_TRUE(fs::exists(copied));

  // A failed move leaves the source in place.
  const std::string kept = Source("kept");
  EXPECT_EQ(store_->PutFile("m", kept, move).code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(fs::exists(kept));
}

TEST_F(S3ObjectStoreTest, WrongSecretIsRejectedNamingTheSignature) {
  S3Options options = options_;
  options.secret_access_key = "not-the-secret";
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);

  common::Status check = store->CheckBucket();
  EXPECT_EQ(check.code(), StatusCode::kUnavailable) << check.ToString();
  EXPECT_THAT(check.message(), HasSubstr("SignatureDoesNotMatch"));
  EXPECT_THAT(check.message(), Not(HasSubstr("not-the-secret")));

  common::Status put = store->PutFile("k", Source("x"), {});
  EXPECT_THAT(put.code(), AnyOf(StatusCode::kUnavailable, StatusCode::kPermissionDenied))
      << put.ToString();
  EXPECT_THAT(put.message(), HasSubstr("SignatureDoesNotMatch"));
  EXPECT_THAT(put.message(), Not(HasSubstr("not-the-secret")));

  auto list = store->List("");
  EXPECT_EQ(list.status().code(), StatusCode::kUnavailable) << list.status().ToString();
  auto stat = store->Stat("k");
  EXPECT_EQ(stat.status().code(), StatusCode::kUnavailable) << stat.status().ToString();
}

TEST_F(S3ObjectStoreTest, CheckBucketReportsMissingBucketAndUnknownKey) {
  EXPECT_TRUE(store_->CheckBucket().ok());

  S3Options missing = options_;
  missing.bucket = "no-such-bucket-" + testing::UniqueName("b").substr(0, 20);
  std::replace(missing.bucket.begin(), missing.bucket.end(), '_', '-');
  auto store = OpenStore(missing);
  ASSERT_NE(store, nullptr);
  common::Status check = store->CheckBucket();
  EXPECT_EQ(check.code(), StatusCode::kUnavailable) << check.ToString();
  EXPECT_THAT(check.message(), HasSubstr("bucket '" + missing.bucket + "' does not exist"));
  // A HEAD has no error body; Stat still tells a missing bucket from a missing object.
  auto stat = store->Stat("k");
  EXPECT_EQ(stat.status().code(), StatusCode::kUnavailable) << stat.status().ToString();
  EXPECT_THAT(stat.status().message(), HasSubstr("does not exist"));
  common::Status del = store->Delete("k");
  EXPECT_EQ(del.code(), StatusCode::kUnavailable) << del.ToString();

  S3Options unknown_key = options_;
  unknown_key.access_key_id = "NOSUCHKEY";
  store = OpenStore(unknown_key);
  ASSERT_NE(store, nullptr);
  check = store->CheckBucket();
  EXPECT_EQ(check.code(), StatusCode::kUnavailable) << check.ToString();
  EXPECT_THAT(check.message(), HasSubstr("credentials rejected"));
  EXPECT_THAT(check.message(), HasSubstr("InvalidAccessKeyId"));
}

TEST_F(S3ObjectStoreTest, UnreachableEndpointIsUnavailableAfterQuickRetries) {
  S3Options options = options_;
  options.endpoint = "http://127.0.0.1:1";
  options.max_attempts = 3;
  options.connect_timeout = std::chrono::milliseconds(500);
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  const auto started = std::chrono::steady_clock::now();
  common::Status check = store->CheckBucket();
  auto stat = store->Stat("k");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_EQ(check.code(), StatusCode::kUnavailable) << check.ToString();
  EXPECT_THAT(check.message(), HasSubstr("unreachable"));
  EXPECT_THAT(check.message(), HasSubstr("127.0.0.1:1"));
  EXPECT_EQ(stat.status().code(), StatusCode::kUnavailable) << stat.status().ToString();
  const std::string source = Source("x");
  PutOptions move;
  move.move = true;
  EXPECT_EQ(store->PutFile("k", source, move).code(), StatusCode::kUnavailable);
  EXPECT_TRUE(fs::exists(source));
}

TEST_F(S3ObjectStoreTest, SessionTokenIsSignedWithoutBreakingRequests) {
  S3Options options = options_;
  options.session_token = "FwoGZXIvYXdzE+session/token==";
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CheckBucket().ok());
  ASSERT_TRUE(store->PutFile("t", Source("token"), {}).ok());
  const fs::path dest = dir_.path() / "out" / "t";
  ASSERT_TRUE(store->GetFile("t", dest.string()).ok());
  EXPECT_EQ(ReadFile(dest), "token");
}

TEST_F(S3ObjectStoreTest, StagingDirectoryIsCreatedOnDemand) {
  const std::string staging = store_->StagingDirectory();
  EXPECT_EQ(staging, options_.staging_dir);
  EXPECT_TRUE(fs::is_directory(staging));
  EXPECT_EQ(store_->Describe(), std::string("s3://") + kBucket + "/" +
                                    options_.prefix.substr(0, options_.prefix.size() - 1));
}

TEST_F(S3ObjectStoreTest, OperationsAreCountedInMetrics) {
  Put("metric", "x");
  EXPECT_EQ(Get("metric"), "x");
  EXPECT_EQ(store_->GetFile("missing", (dir_.path() / "o").string()).code(), StatusCode::kNotFound);
  const std::string text = metrics_.RenderPrometheus();
  EXPECT_THAT(
      text, HasSubstr(R"(timestore_storage_operations_total{store="s3",op="put",outcome="ok"} 1)"));
  EXPECT_THAT(
      text, HasSubstr(R"(timestore_storage_operations_total{store="s3",op="get",outcome="ok"} 1)"));
  EXPECT_THAT(
      text,
      HasSubstr(R"(timestore_storage_operations_total{store="s3",op="get",outcome="error"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(timestore_storage_bytes_total{store="s3",op="put"} 1)"));
}

}  // namespace
}  // namespace timestore::storage
