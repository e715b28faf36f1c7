// The lifecycle answers' JSON form, from typed results built by hand (no database): the shapes the
// admin API and `timestore lifecycle --once` promise, byte for byte, and escaping of every string.
#include "api/lifecycle_encoding.h"

#include <gtest/gtest.h>
#include <simdjson.h>

namespace timestore::api {
namespace {

catalog::Dataset Gamma() {
  catalog::Dataset d;
  d.id = catalog::DatasetId("ds-1");
  d.slug = "gamma";
  return d;
}

catalog::Job SucceededJob() {
  catalog::Job job;
  job.id = catalog::JobId("job-1");
  job.kind = "compaction";
  job.status = catalog::JobStatus::kSucceeded;
  job.result_json = R"({"done": true, "attempt": 1})";
  return job;
}

TEST(LifecycleEncodingTest, InlineRunReportsEachOperationInOrder) {
  lifecycle::RunReport report;
  report.dataset = Gamma();
  lifecycle::OperationOutcome ran{"compaction", catalog::JobId("job-1"), SucceededJob()};
  lifecycle::OperationOutcome taken{"retention", catalog::JobId("job-2"), std::nullopt};
  lifecycle::OperationOutcome broken{"export", catalog::JobId("job-3"),
                                     common::Result<catalog::Job>(common::Internal("boom"))};
  report.operations = {ran, taken, broken};
  const lifecycle::RunOutcome outcome(report);
  EXPECT_EQ(RunOutcomeHttpStatus(outcome), 200);
  EXPECT_EQ(RunOutcomeJson(outcome),
            R"({"status":"completed","report":{"datasetId":"ds-1","datasetSlug":"gamma",)"
            R"("operations":[{"operation":"compaction","jobId":"job-1","status":"succeeded",)"
            R"("result":{"done": true, "attempt": 1}},)"
            R"({"operation":"retention","jobId":"job-2","status":"claimed by a worker"},)"
            R"({"operation":"export","jobId":"job-3","status":"failed","error":")" +
                common::Internal("boom").ToString() + R"("}]}})");
  EXPECT_FALSE(report.all_succeeded());
}

TEST(LifecycleEncodingTest, QueuedRunAnswers202WithTheFirstJobAndWhetherEachWasCreated) {
  lifecycle::QueuedRun queued;
  queued.dataset = Gamma();
  catalog::EnqueueResult a{SucceededJob(), true};
  catalog::EnqueueResult b{SucceededJob(), false};
  b.job.id = catalog::JobId("job-2");
  b.job.kind = "retention";
  queued.jobs = {a, b};
  const lifecycle::RunOutcome outcome(queued);
  EXPECT_EQ(RunOutcomeHttpStatus(outcome), 202);
  EXPECT_EQ(RunOutcomeJson(outcome),
            R"({"status":"queued","jobId":"job-1","jobs":[)"
            R"({"jobId":"job-1","operation":"compaction","created":true},)"
            R"({"jobId":"job-2","operation":"retention","created":false}]})");
}

TEST(LifecycleEncodingTest, JobListingGroupsTotalsByKind) {
  lifecycle::JobListing listing;
  listing.totals = {
      {"sweep", "pending", 3}, {"compaction", "pending", 1}, {"compaction", "succeeded", 1}};
  EXPECT_EQ(JobListingJson(listing),
            R"({"jobs":[],"totals":{"compaction":{"pending":1,"succeeded":1},)"
            R"("sweep":{"pending":3}}})");
}

// `timestore lifecycle --once` prints this line for a dataset whose run could not start; a slug or
// message with quotes and backslashes must still make one valid JSON document.
TEST(LifecycleEncodingTest, RunFailureEscapesQuotesAndBackslashes) {
  const std::string slug = R"(we"ird\slug)";
  const common::Status status = common::NotFound("dataset '" + slug + "' not found");
  const std::string line = RunFailureJson(slug, status);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(line).get(doc), simdjson::SUCCESS) << line;
  EXPECT_EQ(doc["datasetSlug"].get_string().value(), slug);
  EXPECT_EQ(doc["error"].get_string().value(), status.ToString());
}

}  // namespace
}  // namespace timestore::api
