#include "catalog/job_repository.h"

#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "catalog_fixture.h"
#include "testing/eventually.h"

namespace timestore::catalog {
namespace {

using common::StatusCode;
using std::chrono::milliseconds;

class JobRepositoryTest : public CatalogTest {
 protected:
  Job Enqueue(const std::string& kind, std::optional<std::string> dedupe = std::nullopt,
              int max_attempts = 5) {
    NewJob j;
    j.kind = kind;
    j.payload_json = R"({"n":1})";
    j.dedupe_key = std::move(dedupe);
    j.max_attempts = max_attempts;
    auto r = catalog_->jobs().Enqueue(j);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->job : Job{};
  }
};

TEST_F(JobRepositoryTest, EnqueueClaimCompleteLifecycle) {
  Job queued = Enqueue("compaction");
  EXPECT_EQ(queued.status, JobStatus::kPending);
  EXPECT_EQ(queued.attempts, 0);
  auto claimed = catalog_->jobs().Claim("worker-a", milliseconds(60000));
  ASSERT_TRUE(claimed.ok() && claimed->has_value()) << claimed.status().ToString();
  EXPECT_EQ((*claimed)->id, queued.id);
  EXPECT_EQ((*claimed)->status, JobStatus::kRunning);
  EXPECT_EQ((*claimed)->attempts, 1);
  EXPECT_EQ((*claimed)->lease_owner, "worker-a");
  EXPECT_EQ((*claimed)->payload_json, R"({"n": 1})");
  EXPECT_FALSE(catalog_->jobs().Claim("worker-b", milliseconds(60000))->has_value());

  EXPECT_TRUE(catalog_->jobs().Heartbeat(queued.id, "worker-a", milliseconds(60000)).ok());
  EXPECT_TRUE(catalog_->jobs().SaveProgress(queued.id, "worker-a", R"({"chunk":3})").ok());
  auto done = catalog_->jobs().Complete(queued.id, "worker-a", R"({"merged":4})");
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->status, JobStatus::kSucceeded);
  EXPECT_EQ(done->result_json, R"({"merged": 4})");
  EXPECT_EQ(done->progress_json, R"({"chunk": 3})");
  EXPECT_TRUE(done->finished_at.has_value());
  EXPECT_FALSE(done->lease_owner.has_value());
}

TEST_F(JobRepositoryTest, DedupeKeyReturnsTheActiveJobAndAllowsANewOneAfterItFinishes) {
  Job first = Enqueue("retention", "retention:ds-1");
  NewJob dup;
  dup.kind = "retention";
  dup.dedupe_key = "retention:ds-1";
  auto again = catalog_->jobs().Enqueue(dup);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->job.id, first.id);

  auto claimed = catalog_->jobs().Claim("w", milliseconds(60000));
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  EXPECT_FALSE(catalog_->jobs().Enqueue(dup)->created);  // running still counts
  ASSERT_TRUE(catalog_->jobs().Complete(first.id, "w", "{}").ok());
  auto after = catalog_->jobs().Enqueue(dup);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->created);
  EXPECT_NE(after->job.id, first.id);
}

TEST_F(JobRepositoryTest, TwoClaimersNeverClaimTheSameJob) {
  constexpr int kJobs = 40;
  for (int i = 0; i < kJobs; ++i) Enqueue("export");
  std::mutex mu;
  std::multiset<std::string> claimed;
  auto claimer = [&](const std::string& owner) {
    while (true) {
      auto job = catalog_->jobs().Claim(owner, milliseconds(60000));
      ASSERT_TRUE(job.ok()) << job.status().ToString();
      if (!job->has_value()) return;
      {
        std::lock_guard lock(mu);
        claimed.insert((*job)->id.value());
      }
      ASSERT_TRUE(catalog_->jobs().Complete((*job)->id, owner, "{}").ok());
    }
  };
  std::thread a(claimer, "a");
  std::thread b(claimer, "b");
  a.join();
  b.join();
  EXPECT_EQ(claimed.size(), static_cast<size_t>(kJobs));
  for (const auto& id : claimed) EXPECT_EQ(claimed.count(id), 1u) << id;
}

TEST_F(JobRepositoryTest, ExpiredLeaseIsClaimableAgainAndTheOldOwnerLosesIt) {
  Job job = Enqueue("compaction");
  auto first = catalog_->jobs().Claim("dead-worker", milliseconds(50));
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_FALSE(catalog_->jobs().Claim("other", milliseconds(60000))->has_value());
  // The lease expires on PostgreSQL's clock: poll until the job can be claimed.
  common::Result<std::optional<Job>> second = std::optional<Job>();
  testing::Eventually(
      [&] {
        second = catalog_->jobs().Claim("other", milliseconds(60000));
        return !second.ok() || second->has_value();
      },
      milliseconds(5000));
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ((*second)->id, job.id);
  EXPECT_EQ((*second)->attempts, 2);
  EXPECT_EQ((*second)->lease_owner, "other");
  EXPECT_EQ(catalog_->jobs().Heartbeat(job.id, "dead-worker", milliseconds(1000)).code(),
            StatusCode::kConflict);
  EXPECT_EQ(catalog_->jobs().Complete(job.id, "dead-worker", "{}").status().code(),
            StatusCode::kConflict);
  EXPECT_TRUE(catalog_->jobs().Complete(job.id, "other", "{}").ok());
}

TEST_F(JobRepositoryTest, FailureRetriesWithBackoffThenFailsTerminallyAndCanBeRescheduled) {
  Job job = Enqueue("export", std::nullopt, /*max_attempts=*/2);
  auto c1 = catalog_->jobs().Claim("w", milliseconds(60000));
  ASSERT_TRUE(c1.ok() && c1->has_value());
  auto f1 = catalog_->jobs().Fail(job.id, "w", "disk full", milliseconds(60000));
  ASSERT_TRUE(f1.ok()) << f1.status().ToString();
  EXPECT_EQ(f1->status, JobStatus::kPending);
  EXPECT_EQ(f1->error, "disk full");
  // The backoff keeps it from being claimed at once.
  EXPECT_FALSE(catalog_->jobs().Claim("w", milliseconds(60000))->has_value());

  EXPECT_EQ(catalog_->jobs().Reschedule(job.id).status().code(), StatusCode::kFailedPrecondition);
  // Make it due now (as time passing would) and fail it again: attempts exhausted.
  {
    auto lease = catalog_->pool().Acquire();
    ASSERT_TRUE(lease.ok());
    ASSERT_TRUE((*lease)
                    ->Exec("UPDATE lifecycle_jobs SET run_at = now() WHERE id = $1",
                           PgParams().Add(job.id.value()))
                    .ok());
  }
  auto c2 = catalog_->jobs().Claim("w", milliseconds(60000));
  ASSERT_TRUE(c2.ok() && c2->has_value());
  EXPECT_EQ((*c2)->attempts, 2);
  auto f2 = catalog_->jobs().Fail(job.id, "w", "disk still full", milliseconds(0));
  ASSERT_TRUE(f2.ok());
  EXPECT_EQ(f2->status, JobStatus::kFailed);
  EXPECT_EQ(f2->error, "disk still full");
  EXPECT_FALSE(catalog_->jobs().Claim("w", milliseconds(60000))->has_value());

  auto again = catalog_->jobs().Reschedule(job.id);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->status, JobStatus::kPending);
  EXPECT_EQ(again->attempts, 0);
  EXPECT_TRUE(catalog_->jobs().Claim("w", milliseconds(60000))->has_value());
  EXPECT_EQ(catalog_->jobs().Reschedule(JobId("job-none")).status().code(), StatusCode::kNotFound);
}

TEST_F(JobRepositoryTest, FailureWithoutRetryDelayIsTerminalAtOnce) {
  NewJob nj;
  nj.kind = "export";
  nj.max_attempts = 5;
  ASSERT_TRUE(catalog_->jobs().Enqueue(nj).ok());
  auto claimed = catalog_->jobs().Claim("w", milliseconds(60000));
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  auto failed = catalog_->jobs().Fail((*claimed)->id, "w", "bad payload", std::nullopt);
  ASSERT_TRUE(failed.ok()) << failed.status().ToString();
  EXPECT_EQ(failed->status, JobStatus::kFailed);
  EXPECT_EQ(failed->attempts, 1);
  EXPECT_EQ(failed->error, "bad payload");
  EXPECT_TRUE(failed->finished_at.has_value());
  auto again = catalog_->jobs().Claim("w", milliseconds(60000));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());
}

TEST_F(JobRepositoryTest, ClaimHonoursKindsAndRunAt) {
  Enqueue("retention");
  NewJob later;
  later.kind = "compaction";
  later.run_at = common::NowMicros() + 3'600'000'000LL;
  ASSERT_TRUE(catalog_->jobs().Enqueue(later).ok());
  EXPECT_FALSE(catalog_->jobs().Claim("w", milliseconds(1000), {"compaction"})->has_value());
  auto r = catalog_->jobs().Claim("w", milliseconds(1000), {"retention", "export"});
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->kind, "retention");
  ListJobsOptions o;
  o.status = JobStatus::kPending;
  auto pending = catalog_->jobs().List(o);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ(pending->front().kind, "compaction");
}

TEST_F(CatalogTest, AuditEventsAreRecordedListedWithFiltersAndExpired) {
  Dataset d = MakeDataset("audited");
  auto& audit = catalog_->audit();
  for (int i = 0; i < 5; ++i) {
    AuditEvent e;
    e.actor = "alice";
    e.scopes = {"timestore:write"};
    e.dataset_id = d.id;
    e.dataset_slug = d.slug;
    e.action = i % 2 == 0 ? "ingest" : "query";
    e.success = i != 3;
    e.metadata_json = R"({"rows":)" + std::to_string(i) + "}";
    ASSERT_TRUE(audit.Record(e).ok());
  }
  AuditEvent old;
  old.action = "ingest";
  old.occurred_at = common::NowMicros() - 10LL * 24 * 3600 * 1'000'000;
  ASSERT_TRUE(audit.Record(old).ok());

  ListAuditOptions o;
  o.dataset_id = d.id;
  auto all = audit.List(o);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 5u);
  EXPECT_GT(all->at(0).id, all->at(1).id);
  EXPECT_EQ(all->at(0).scopes, std::vector<std::string>{"timestore:write"});

  o.actions = {"query"};
  EXPECT_EQ(audit.List(o)->size(), 2u);
  o.success = false;
  EXPECT_EQ(audit.List(o)->size(), 1u);

  ListAuditOptions page;
  page.dataset_id = d.id;
  page.limit = 2;
  auto p1 = audit.List(page);
  page.before_id = p1->back().id;
  auto p2 = audit.List(page);
  ASSERT_EQ(p2->size(), 2u);
  EXPECT_LT(p2->front().id, p1->back().id);

  auto deleted = audit.DeleteOlderThan(common::NowMicros() - 7LL * 24 * 3600 * 1'000'000, 100);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 1);
}

}  // namespace
}  // namespace timestore::catalog
