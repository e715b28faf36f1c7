// S3ObjectStore and PartitionCache against s3rver behind a FaultProxy: server errors, dropped and
// stalled connections, truncated and corrupted bodies. Every test scripts the proxy, runs one
// store call, and checks the outcome, the number of requests the proxy saw, and the bytes.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/partition_cache.h"
#include "storage/s3_object_store.h"
#include "storage/sha256_hasher.h"
#include "storage/storage_test_files.h"
#include "testing/fault_proxy.h"
#include "testing/test_env.h"

namespace timestore::storage {
namespace {

namespace fs = std::filesystem;
using common::StatusCode;
using ::testing::AllOf;
using testing::Fault;
using testing::FaultAction;
using ::testing::Ge;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Lt;

constexpr char kBucket[] = "timestore-test";
constexpr int kMaxAttempts = 4;

// `size` reproducible pseudo-random bytes.
std::string Bytes(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xFF);
  return out;
}

class S3FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    proxy_ = testing::FaultProxy::Start(testing::S3Endpoint());
    ASSERT_NE(proxy_, nullptr);
    store_ = OpenStore(Options());
    ASSERT_NE(store_, nullptr);
  }

  // Through the proxy; quick retries; a stall is noticed after 1 s (curl's low-speed time has
  // whole-second granularity); files above 64 KiB go in 32 KiB parts.
  S3Options Options() const {
    S3Options options;
    options.endpoint = proxy_->url();
    options.bucket = kBucket;
    options.prefix = prefix_;
    options.access_key_id = "S3RVER";
    options.secret_access_key = "S3RVER";
    options.max_attempts = kMaxAttempts;
    options.retry_base_delay = std::chrono::milliseconds(5);
    options.connect_timeout = std::chrono::milliseconds(1000);
    options.low_speed_timeout = std::chrono::milliseconds(1000);
    options.multipart_threshold_bytes = 64 << 10;
    options.multipart_part_bytes = 32 << 10;
    options.staging_dir = (dir_.path() / "staging").string();
    return options;
  }

  static std::unique_ptr<S3ObjectStore> OpenStore(const S3Options& options) {
    auto store = S3ObjectStore::Open(options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // A store with no pooled connection, so that its next request opens a new one. (curl silently
  // resends a request once when a *reused* connection closes before any answer, which would hide
  // one dropped connection from the store's own retries.)
  void ReopenStore(const S3Options& options) {
    store_ = OpenStore(options);
    ASSERT_NE(store_, nullptr);
  }

  std::string Source(const std::string& bytes) {
    const fs::path path = dir_.path() / "src" / ("source-" + std::to_string(++files_));
    WriteFile(path, bytes);
    return path.string();
  }

  // Uploads without faults, then forgets the requests it took.
  void PutClean(const std::string& key, const std::string& bytes) {
    common::Status s = store_->PutFile(key, Source(bytes), {});
    ASSERT_TRUE(s.ok()) << s.ToString();
    proxy_->Reset();
  }

  // The object as a clean download sees it ("" with a failure when that fails).
  std::string Download(const std::string& key) {
    const fs::path dest = dir_.path() / "check" / ("copy-" + std::to_string(++files_));
    common::Status s = store_->GetFile(key, dest.string());
    EXPECT_TRUE(s.ok()) << s.ToString();
    return s.ok() ? ReadFile(dest) : std::string();
  }

  // Requests seen with `method` whose target contains `part`.
  int CountMatching(std::string_view method, std::string_view part) const {
    int n = 0;
    for (const testing::ProxiedRequest& r : proxy_->Requests()) {
      if (r.method == method && r.target.find(part) != std::string::npos) ++n;
    }
    return n;
  }

  testing::TempDir dir_;
  std::string prefix_ = testing::UniqueName("s3f") + "/";
  std::unique_ptr<testing::FaultProxy> proxy_;
  std::unique_ptr<S3ObjectStore> store_;
  int files_ = 0;
};

TEST_F(S3FaultTest, PutServerErrorsAreRetriedAndObjectIsIntact) {
  const std::string bytes = Bytes(20000, 1);
  proxy_->Enqueue(Fault::On("PUT", FaultAction::kRespond503));
  proxy_->Enqueue(Fault::On("PUT", FaultAction::kRespondSlowDown));
  proxy_->Enqueue(Fault::On("PUT", FaultAction::kRespond500));

  common::Status s = store_->PutFile("a/obj", Source(bytes), {});

  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(proxy_->PendingFaults(), 0u);
  EXPECT_EQ(proxy_->RequestCount("PUT"), 4);  // three refused attempts, then the upload
  const std::string stored = Download("a/obj");
  EXPECT_EQ(stored.size(), bytes.size());
  EXPECT_EQ(Sha256Hex(stored), Sha256Hex(bytes));
}

TEST_F(S3FaultTest, Get503IsRetriedAndSucceeds) {
  const std::string bytes = Bytes(5000, 2);
  PutClean("a/obj", bytes);
  proxy_->Enqueue(Fault::On("GET", FaultAction::kRespond503));
  const fs::path dest = dir_.path() / "out" / "obj";

  common::Status s = store_->GetFile("a/obj", dest.string());

  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(proxy_->RequestCount("GET"), 2);
  EXPECT_EQ(ReadFile(dest), bytes);
}

TEST_F(S3FaultTest, GetAccessDeniedFailsAtOnceWithoutRetry) {
  PutClean("a/obj", "secret");
  proxy_->Enqueue(Fault::On("GET", FaultAction::kRespond403));
  const fs::path dest = dir_.path() / "out" / "obj";

  common::Status s = store_->GetFile("a/obj", dest.string());

  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied) << s.ToString();
  EXPECT_THAT(s.message(), AllOf(HasSubstr("access denied"), HasSubstr("AccessDenied"),
                                 HasSubstr("HTTP 403"), HasSubstr("a/obj")));
  EXPECT_EQ(proxy_->RequestCount(), 1);
  EXPECT_FALSE(fs::exists(dest));
  EXPECT_THAT(FilesUnder(dir_.path() / "out"), IsEmpty());
}

TEST_F(S3FaultTest, PutAccessDeniedFailsAtOnceWithoutRetry) {
  proxy_->Enqueue(Fault::On("PUT", FaultAction::kRespond403));

  common::Status s = store_->PutFile("a/obj", Source("bytes"), {});

  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied) << s.ToString();
  EXPECT_THAT(s.message(), AllOf(HasSubstr("access denied"), HasSubstr("AccessDenied")));
  EXPECT_EQ(proxy_->RequestCount("PUT"), 1);
  auto stat = store_->Stat("a/obj");
  ASSERT_TRUE(stat.ok()) << stat.status().ToString();
  EXPECT_FALSE(stat->has_value());
}

TEST_F(S3FaultTest, GetDroppedConnectionIsRetriedAndSucceeds) {
  const std::string bytes = Bytes(5000, 3);
  PutClean("a/obj", bytes);
  ReopenStore(Options());
  proxy_->Enqueue(Fault::On("GET", FaultAction::kDropConnection), 2);
  const fs::path dest = dir_.path() / "out" / "obj";

  common::Status s = store_->GetFile("a/obj", dest.string());

  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(proxy_->PendingFaults(), 0u);
  EXPECT_EQ(proxy_->RequestCount("GET"), 3);
  EXPECT_EQ(ReadFile(dest), bytes);
}

TEST_F(S3FaultTest, PutDroppedConnectionIsRetriedAndObjectIsIntact) {
  const std::string bytes = Bytes(30000, 4);
  // The PUT reuses the HEAD's connection: curl may resend it once by itself after the first drop,
  // the second drop always reaches the store's retry.
  proxy_->Enqueue(Fault::On("PUT", FaultAction::kDropConnection), 2);

  common::Status s = store_->PutFile("a/obj", Source(bytes), {});

  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(proxy_->PendingFaults(), 0u);
  EXPECT_EQ(proxy_->RequestCount("PUT"), 3);
  EXPECT_EQ(Download("a/obj"), bytes);
}

TEST_F(S3FaultTest, GetStalledResponseTimesOutAndIsRetried) {
  const std::string bytes = Bytes(5000, 5);
  PutClean("a/obj", bytes);
  proxy_->Enqueue(Fault::Stall("GET", std::chrono::seconds(10)));
  const fs::path dest = dir_.path() / "out" / "obj";

  const auto started = std::chrono::steady_clock::now();
  common::Status s = store_->GetFile("a/obj", dest.string());
  const auto elapsed = std::chrono::steady_clock::now() - started;

  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(proxy_->RequestCount("GET"), 2);
  EXPECT_EQ(ReadFile(dest), bytes);
  // Given up after the 1 s low-speed time, long before the stall ends.
  EXPECT_THAT(elapsed, AllOf(Ge(std::chrono::milliseconds(900)), Lt(std::chrono::seconds(5))));
}

TEST_F(S3FaultTest, GetDroppedEveryAttemptFailsUnavailableUnreachable) {
  PutClean("a/obj", "bytes");
  ReopenStore(Options());
  proxy_->Enqueue(Fault::On("GET", FaultAction::kDropConnection), kMaxAttempts);
  const fs::path dest = dir_.path() / "out" / "obj";

  common::Status s = store_->GetFile("a/obj", dest.string());

  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_THAT(s.message(), AllOf(HasSubstr("S3 endpoint " + proxy_->url() + " unreachable"),
                                 HasSubstr("Server returned nothing"), HasSubstr("a/obj")));
  EXPECT_EQ(proxy_->RequestCount("GET"), kMaxAttempts);
  EXPECT_EQ(proxy_->PendingFaults(), 0u);
  EXPECT_FALSE(fs::exists(dest));
}

TEST_F(S3FaultTest, GetStalledEveryAttemptFailsUnavailableTimedOut) {
  S3Options options = Options();
  options.max_attempts = 2;
  ReopenStore(options);
  PutClean("a/obj", "bytes");
  proxy_->Enqueue(Fault::Stall("GET", std::chrono::seconds(10)), 2);

  common::Status s = store_->GetFile("a/obj", (dir_.path() / "out" / "obj").string());

  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_THAT(s.message(),
              AllOf(HasSubstr("unreachable: Timeout was reached"), HasSubstr("too slow")));
  EXPECT_EQ(proxy_->RequestCount("GET"), 2);
}

TEST_F(S3FaultTest, GetPersistent503ExhaustsAttemptsUnavailable) {
  PutClean("a/obj", "bytes");
  proxy_->Enqueue(Fault::On("GET", FaultAction::kRespond503), kMaxAttempts + 1);
  const fs::path dest = dir_.path() / "out" / "obj";

  common::Status s = store_->GetFile("a/obj", dest.string());

  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_THAT(s.message(),
              AllOf(HasSubstr("failed after " + std::to_string(kMaxAttempts) + " attempts"),
                    HasSubstr("ServiceUnavailable"), HasSubstr("HTTP 503")));
  EXPECT_EQ(proxy_->RequestCount("GET"), kMaxAttempts);
  EXPECT_EQ(proxy_->PendingFaults(), 1u);
  EXPECT_FALSE(fs::exists(dest));
}

TEST_F(S3FaultTest, GetTruncatedBodyIsRetriedAndDestNeverPartial) {
  const std::string bytes = Bytes(200 << 10, 6);
  PutClean("a/obj", bytes);
  const fs::path dest = dir_.path() / "out" / "obj";
  proxy_->Enqueue(Fault::On("GET", FaultAction::kTruncateBody), 2);

  // Watches dest_path during the download: absent, or the whole object.
  std::atomic<bool> done{false};
  std::atomic<int> partial_seen{0};
  std::jthread watcher([&] {
    while (!done) {
      std::error_code ec;
      if (fs::exists(dest, ec) && ReadFile(dest) != bytes) ++partial_seen;
      std::this_thread::yield();
    }
  });
  common::Status s = store_->GetFile("a/obj", dest.string());
  done = true;
  watcher.join();

  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(proxy_->RequestCount("GET"), 3);
  EXPECT_EQ(partial_seen.load(), 0);
  EXPECT_EQ(ReadFile(dest), bytes);
  EXPECT_EQ(FilesUnder(dir_.path() / "out"), std::set<std::string>{"obj"});
}

TEST_F(S3FaultTest, GetTruncatedEveryAttemptFailsAndKeepsOldDest) {
  PutClean("a/obj", Bytes(50000, 7));
  const fs::path dest = dir_.path() / "out" / "obj";
  WriteFile(dest, "the old file");
  proxy_->Enqueue(Fault::On("GET", FaultAction::kTruncateBody), kMaxAttempts);

  common::Status s = store_->GetFile("a/obj", dest.string());

  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("Transferred a partial file"));
  EXPECT_EQ(proxy_->RequestCount("GET"), kMaxAttempts);
  EXPECT_EQ(ReadFile(dest), "the old file");
  EXPECT_EQ(FilesUnder(dir_.path() / "out"), std::set<std::string>{"obj"});
}

TEST_F(S3FaultTest, GetCorruptedBodyFailsChecksumAndLeavesNothing) {
  PutClean("a/obj", Bytes(40000, 8));
  const fs::path dest = dir_.path() / "out" / "obj";
  proxy_->Enqueue(Fault::On("GET", FaultAction::kCorruptBody));

  common::Status s = store_->GetFile("a/obj", dest.string());

  EXPECT_EQ(s.code(), StatusCode::kInternal) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("checksum mismatch"));
  EXPECT_FALSE(fs::exists(dest));
  EXPECT_THAT(FilesUnder(dir_.path() / "out"), IsEmpty());
}

TEST_F(S3FaultTest, CacheFetchCorruptedOnceIsRetriedAndCached) {
  const std::string bytes = Bytes(40000, 9);
  PutClean("p/part.parquet", bytes);
  auto cache = PartitionCache::Open({.directory = (dir_.path() / "cache").string()});
  ASSERT_TRUE(cache.ok()) << cache.status().ToString();
  proxy_->Enqueue(Fault::On("GET", FaultAction::kCorruptBody));

  {
    auto file = (*cache)->Fetch(*store_, "s3", "p/part.parquet", Sha256Hex(bytes));

    ASSERT_TRUE(file.ok()) << file.status().ToString();
    EXPECT_EQ(ReadFile(file->path()), bytes);
    EXPECT_EQ(proxy_->RequestCount("GET"), 2);
    EXPECT_EQ(proxy_->PendingFaults(), 0u);
  }
  EXPECT_EQ(FilesUnder(dir_.path() / "cache"), std::set<std::string>{"s3/p/part.parquet"});
}

TEST_F(S3FaultTest, CacheFetchCorruptedTwiceFailsInternalAndCachesNothing) {
  const std::string bytes = Bytes(40000, 10);
  PutClean("p/part.parquet", bytes);
  auto cache = PartitionCache::Open({.directory = (dir_.path() / "cache").string()});
  ASSERT_TRUE(cache.ok()) << cache.status().ToString();
  proxy_->Enqueue(Fault::On("GET", FaultAction::kCorruptBody), 2);

  auto file = (*cache)->Fetch(*store_, "s3", "p/part.parquet", Sha256Hex(bytes));

  EXPECT_EQ(file.status().code(), StatusCode::kInternal) << file.status().ToString();
  EXPECT_THAT(file.status().message(), HasSubstr("checksum mismatch"));
  EXPECT_EQ(proxy_->RequestCount("GET"), 2);
  EXPECT_EQ((*cache)->file_count(), 0u);
  EXPECT_THAT(FilesUnder(dir_.path() / "cache"), IsEmpty());
}

TEST_F(S3FaultTest, MultipartUploadRetriesRefusedPartAndObjectIsIntact) {
  const std::string bytes = Bytes(100 << 10, 11);  // 4 parts of 32 KiB (the last one 4 KiB)
  proxy_->Enqueue(Fault::On("PUT", FaultAction::kRespond503, "partNumber=2&"));

  common::Status s = store_->PutFile("a/big", Source(bytes), {});

  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(proxy_->PendingFaults(), 0u);
  EXPECT_EQ(CountMatching("PUT", "partNumber=1&"), 1);
  EXPECT_EQ(CountMatching("PUT", "partNumber=2&"), 2);
  EXPECT_EQ(CountMatching("PUT", "partNumber=4&"), 1);
  EXPECT_EQ(CountMatching("POST", "uploadId="), 1);  // complete
  const std::string stored = Download("a/big");
  EXPECT_EQ(stored.size(), bytes.size());
  EXPECT_EQ(Sha256Hex(stored), Sha256Hex(bytes));
}

}  // namespace
}  // namespace timestore::storage
