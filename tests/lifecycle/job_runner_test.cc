// The lifecycle machinery with scripted operations against the real job table: results and
// failures (retried with backoff, or terminal), lease renewal and loss, workers, the scheduler and
// the admin facade.
#include "lifecycle/job_runner.h"

#include <atomic>
#include <functional>
#include <map>
#include <thread>
#include <variant>

#include <gtest/gtest.h>

#include "catalog/catalog_fixture.h"
#include "lifecycle/lifecycle_service.h"
#include "lifecycle/scheduler.h"
#include "testing/eventually.h"
#include "testing/fake_clock.h"

namespace timestore::lifecycle {
namespace {

using namespace std::chrono_literals;

// An operation whose behaviour the test sets: an answer, a failure, or a wait.
class ScriptedOperation : public Operation {
 public:
  explicit ScriptedOperation(std::string kind) : kind_(std::move(kind)) {}
  std::string_view kind() const override { return kind_; }
  common::Result<std::string> Run(JobContext& context) const override {
    ++runs;
    seen_now = context.now();
    if (hold_until) {
      EXPECT_TRUE(testing::Eventually(hold_until, 30s));
    }
    if (!error.ok()) return error;
    TS_RETURN_IF_ERROR(context.save_progress(R"({"step":1})"));
    return std::string(R"({"done":true,"attempt":)") + std::to_string(context.job.attempts) + "}";
  }

  mutable std::atomic<int> runs{0};
  mutable std::atomic<common::UnixMicros> seen_now{0};  // context.now() of the last run
  common::Status error;
  std::function<bool()> hold_until;  // when set, a run lasts until it returns true

 private:
  std::string kind_;
};

class JobRunnerTest : public catalog::CatalogTest {
 protected:
  void SetUp() override {
    CatalogTest::SetUp();
    auto op = std::make_unique<ScriptedOperation>("compaction");
    compaction_ = op.get();
    operations_.Add(std::move(op));
    auto sweep = std::make_unique<ScriptedOperation>("sweep");
    sweep_ = sweep.get();
    operations_.Add(std::move(sweep));
    RunnerOptions o;
    o.lease = 300ms;
    o.retry_base_delay = 50ms;
    runner_ = std::make_unique<JobRunner>(*catalog_, stores_, nullptr, options_, operations_, o);
  }

  catalog::Job Enqueue(const std::string& kind, std::optional<catalog::DatasetId> dataset = {},
                       int max_attempts = 3) {
    catalog::NewJob job;
    job.kind = kind;
    job.dataset_id = std::move(dataset);
    job.max_attempts = max_attempts;
    auto e = catalog_->jobs().Enqueue(job);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e->job;
  }

  // Claims and runs the next job as `owner`, polling until one is due (run_at and lease expiry are
  // on PostgreSQL's clock); the last answer when none is within 5 s.
  common::Result<std::optional<catalog::Job>> RunWhenDue(const std::string& owner) {
    common::Result<std::optional<catalog::Job>> ran = std::optional<catalog::Job>();
    testing::Eventually(
        [&] {
          ran = runner_->RunNext(owner);
          return !ran.ok() || ran->has_value();
        },
        5s);
    return ran;
  }

  storage::ObjectStoreRegistry stores_;
  LifecycleOptions options_;
  OperationSet operations_;
  ScriptedOperation* compaction_ = nullptr;
  ScriptedOperation* sweep_ = nullptr;
  std::unique_ptr<JobRunner> runner_;
};

TEST_F(JobRunnerTest, ASuccessfulJobStoresItsResultAndProgress) {
  const catalog::Job job = Enqueue("compaction");
  auto ran = runner_->RunNext("w1");
  ASSERT_TRUE(ran.ok() && ran->has_value()) << ran.status().ToString();
  EXPECT_EQ((*ran)->id, job.id);
  EXPECT_EQ((*ran)->status, catalog::JobStatus::kSucceeded);
  EXPECT_EQ((*ran)->result_json, R"({"done": true, "attempt": 1})");
  EXPECT_EQ((*ran)->progress_json, R"({"step": 1})");
  EXPECT_FALSE(runner_->RunNext("w1")->has_value());  // nothing else is due
}

TEST_F(JobRunnerTest, ARetryableFailureIsRetriedWithBackoffThenFailsTerminally) {
  compaction_->error = common::Unavailable("store unreachable");
  const catalog::Job job = Enqueue("compaction", {}, /*max_attempts=*/2);
  auto first = runner_->RunNext("w1");
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ((*first)->status, catalog::JobStatus::kPending);
  EXPECT_NE((*first)->error->find("store unreachable"), std::string::npos);
  EXPECT_GT((*first)->run_at, common::NowMicros());  // backoff
  EXPECT_FALSE(runner_->RunNext("w1")->has_value());
  auto second = RunWhenDue("w1");
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ((*second)->status, catalog::JobStatus::kFailed);
  EXPECT_EQ((*second)->attempts, 2);
  // Rescheduled, it runs again and now succeeds.
  compaction_->error = common::Status::Ok();
  ASSERT_TRUE(catalog_->jobs().Reschedule(job.id).ok());
  auto third = runner_->RunNext("w1");
  ASSERT_TRUE(third.ok() && third->has_value());
  EXPECT_EQ((*third)->status, catalog::JobStatus::kSucceeded);
}

TEST_F(JobRunnerTest, APermanentFailureOrAnUnknownKindFailsAtOnce) {
  compaction_->error = common::InvalidArgument("timeRange.start: not a time");
  Enqueue("compaction", {}, 5);
  auto ran = runner_->RunNext("w1");
  ASSERT_TRUE(ran.ok() && ran->has_value());
  EXPECT_EQ((*ran)->status, catalog::JobStatus::kFailed);
  EXPECT_EQ((*ran)->attempts, 1);

  const catalog::Job unknown = Enqueue("defragment");
  auto claimed = catalog_->jobs().ClaimJob(unknown.id, "w1", 1s);
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  auto failed = runner_->Run(**claimed, "w1");
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->status, catalog::JobStatus::kFailed);
  EXPECT_NE(failed->error->find("unknown job kind 'defragment'"), std::string::npos);
}

TEST_F(JobRunnerTest, TheLeaseIsRenewedWhileALongJobRuns) {
  Enqueue("compaction");
  std::atomic<bool> stolen{false};
  std::atomic<bool> thief_done{false};
  compaction_->hold_until = [&] { return thief_done.load(); };  // the job outlasts the thief
  std::thread thief([&] {
    for (int i = 0; i < 10; ++i) {
      // Real elapsed time: the lease (300 ms on PostgreSQL's clock) would expire twice over in
      // these 800 ms without the runner renewing it.
      std::this_thread::sleep_for(80ms);
      auto c = catalog_->jobs().Claim("thief", 1s);
      if (c.ok() && c->has_value()) stolen = true;
    }
    thief_done = true;
  });
  auto ran = runner_->RunNext("w1");
  thief.join();
  ASSERT_TRUE(ran.ok() && ran->has_value()) << ran.status().ToString();
  EXPECT_EQ((*ran)->status, catalog::JobStatus::kSucceeded);
  EXPECT_FALSE(stolen.load());
}

TEST_F(JobRunnerTest, AWorkerThatLostItsLeaseStopsAndCannotStoreAResult) {
  const catalog::Job job = Enqueue("compaction");
  auto claimed = catalog_->jobs().Claim("slow", 100ms);  // a worker that then stalls
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  // Another worker takes the job over once the lease has expired, and finishes it.
  auto taken = RunWhenDue("w2");
  ASSERT_TRUE(taken.ok() && taken->has_value());
  EXPECT_EQ((*taken)->status, catalog::JobStatus::kSucceeded);
  EXPECT_EQ((*taken)->attempts, 2);
  // The first worker comes back: its result is refused.
  auto late = runner_->Run(**claimed, "slow");
  EXPECT_EQ(late.status().code(), common::StatusCode::kConflict);
  EXPECT_EQ(catalog_->jobs().Get(job.id)->lease_owner, std::nullopt);
}

TEST_F(JobRunnerTest, WorkersRunDueJobsUntilStopped) {
  for (int i = 0; i < 4; ++i) Enqueue("compaction");
  WorkerPoolOptions o;
  o.workers = 2;
  o.poll_interval = 50ms;
  {
    WorkerPool pool(*runner_, o);
    pool.Start();
    EXPECT_TRUE(testing::Eventually([&] { return compaction_->runs >= 4; }, 10s));
  }
  EXPECT_EQ(compaction_->runs.load(), 4);
  catalog::ListJobsOptions list;
  list.status = catalog::JobStatus::kSucceeded;
  EXPECT_EQ(catalog_->jobs().List(list)->size(), 4u);
}

TEST_F(JobRunnerTest, OperationsAndIdleWorkersFollowTheRunnersClock) {
  testing::FakeClock clock(common::NowMicros());
  RunnerOptions ro;
  ro.lease = 300ms;
  JobRunner runner(*catalog_, stores_, nullptr, options_, operations_, ro, nullptr, clock);
  WorkerPoolOptions o;
  o.workers = 1;
  o.poll_interval = 1h;
  WorkerPool pool(runner, o);
  pool.Start();
  // The worker found nothing due and now waits an hour of the fake clock.
  ASSERT_TRUE(testing::Eventually([&] { return clock.waiters() == 1; }, 10s));
  Enqueue("compaction");
  EXPECT_FALSE(testing::Eventually([&] { return compaction_->runs > 0; }, 50ms));
  clock.Advance(1h);
  ASSERT_TRUE(testing::Eventually([&] { return compaction_->runs == 1; }, 10s));
  EXPECT_EQ(compaction_->seen_now.load(), clock.Now());
  pool.Stop();
}

TEST_F(JobRunnerTest, TheSchedulerEnqueuesEachDatasetOnceAndPicksUpNewDatasets) {
  const catalog::Dataset a = MakeDataset("alpha");
  SchedulerOptions o;
  o.interval = 3600s;
  o.jitter = 0s;
  o.operations = {"compaction"};
  Scheduler scheduler(*catalog_, o);
  auto pass = [&] {
    auto created = scheduler.EnqueueDue();
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? *created : -1;
  };
  EXPECT_EQ(pass(), 2);  // alpha's compaction + the sweep
  EXPECT_EQ(pass(), 0);  // pending: not again
  const catalog::Dataset b = MakeDataset("beta");
  EXPECT_EQ(pass(), 1);  // the new dataset
  // Once run, a job is not scheduled again within the interval.
  for (auto ran = runner_->RunNext("w1"); ran.ok() && ran->has_value();
       ran = runner_->RunNext("w1")) {
  }
  EXPECT_EQ(pass(), 0);
  catalog::ListJobsOptions list;
  list.kind = "compaction";
  EXPECT_EQ(catalog_->jobs().List(list)->size(), 2u);
}

TEST_F(JobRunnerTest, InlineRunsReportEachOperationAndQueuedRunsJoinPendingJobs) {
  const catalog::Dataset d = MakeDataset("gamma");
  LifecycleService service(*catalog_, *runner_, operations_, options_);
  RunRequest inline_run;
  inline_run.dataset_slug = "gamma";
  inline_run.operations = {"compaction"};
  auto answer = service.Run(inline_run);
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  const auto* report = std::get_if<RunReport>(&*answer);
  ASSERT_NE(report, nullptr);
  EXPECT_TRUE(report->all_succeeded());
  EXPECT_EQ(report->dataset.id, d.id);
  EXPECT_EQ(report->dataset.slug, "gamma");
  ASSERT_EQ(report->operations.size(), 1u);
  EXPECT_EQ(report->operations[0].operation, "compaction");
  ASSERT_TRUE(report->operations[0].run.has_value() && report->operations[0].run->ok());
  const catalog::Job& done = **report->operations[0].run;
  EXPECT_EQ(done.status, catalog::JobStatus::kSucceeded);
  EXPECT_EQ(done.result_json, R"({"done": true, "attempt": 1})");

  RunRequest queued = inline_run;
  queued.queue = true;
  queued.dataset_slug.reset();
  queued.dataset_id = d.id.value();
  auto first = service.Run(queued);
  auto second = service.Run(queued);
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_TRUE(std::holds_alternative<QueuedRun>(*first));
  ASSERT_TRUE(std::holds_alternative<QueuedRun>(*second));
  EXPECT_TRUE(std::get<QueuedRun>(*first).jobs.at(0).created);
  EXPECT_FALSE(std::get<QueuedRun>(*second).jobs.at(0).created);

  auto status = service.Status(d.id, 10);
  ASSERT_TRUE(status.ok());
  std::map<std::string, int64_t> compaction_totals;
  for (const catalog::JobTotals& t : status->totals) {
    if (t.kind == "compaction") compaction_totals[t.status] = t.count;
  }
  EXPECT_EQ(compaction_totals, (std::map<std::string, int64_t>{{"pending", 1}, {"succeeded", 1}}));

  RunRequest bad = inline_run;
  bad.operations = {"defragment"};
  EXPECT_EQ(service.Run(bad).status().code(), common::StatusCode::kInvalidArgument);
  RunRequest missing;
  missing.dataset_slug = "nope";
  EXPECT_EQ(service.Run(missing).status().code(), common::StatusCode::kNotFound);
}

}  // namespace
}  // namespace timestore::lifecycle
