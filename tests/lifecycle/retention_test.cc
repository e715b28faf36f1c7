// Retention through the real catalog, storage (local directory and the S3 test server) and query
// service: age and size rules remove exactly the planned partitions, queries lose exactly their
// rows, older versions still answer while the files exist, concurrent commits make the run
// re-plan, and policies are validated field by field.
#include "lifecycle/retention.h"

#include <algorithm>
#include <set>

#include "api/lifecycle_encoding.h"
#include "lifecycle_service_fixture.h"

namespace timestore::lifecycle {
namespace {

constexpr int64_t kHour = 3600;

common::UnixMicros Micros(int64_t second) { return (kT0 + second) * 1'000'000; }

// Four rows in each of days 0..3: at 00:00, 06:00, 12:00 and 23:59:59.
std::vector<int64_t> FourDays() {
  std::vector<int64_t> out;
  for (int64_t day = 0; day < 4; ++day) {
    for (int64_t at : {int64_t{0}, 6 * kHour, 12 * kHour, kDay - 1}) out.push_back(day * kDay + at);
  }
  return out;
}

std::set<std::string> PlannedIds(const RetentionPlan& plan) {
  std::set<std::string> ids;
  for (const RetentionCandidate& c : plan.remove) ids.insert(c.partition.id.value());
  return ids;
}

using RetentionTest = LifecycleServiceTest;

TEST_P(RetentionTest, AgeRemovesFullyExpiredPartitionsAndKeepsTheStraddlingOne) {
  catalog::Dataset d = Ingest("cpu", FourDays());
  ASSERT_EQ(Live(d.id).size(), 4u);
  ASSERT_TRUE(PutRetentionPolicy(*catalog_, d.id,
                                 R"({"rules":{"maxAgeHours":48},"deleteGraceMinutes":10})", "admin")
                  .ok());
  const std::vector<int64_t> before = QueryValues("cpu");
  ASSERT_EQ(before.size(), 16u);

  // Cut-off 2024-01-03T12:00Z: days 0 and 1 ended before it; day 2 straddles it and stays whole.
  const common::UnixMicros now = Micros(4 * kDay + 12 * kHour);
  auto stored = LoadRetentionPolicy(*catalog_, d.id, options_);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_FALSE(stored->is_default);
  auto plan = PlanRetention(*catalog_, d, stored->policy, now);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->version, 1);
  EXPECT_EQ(plan->age_cutoff, Micros(2 * kDay + 12 * kHour));
  ASSERT_EQ(plan->remove.size(), 2u);
  for (const RetentionCandidate& c : plan->remove) {
    EXPECT_EQ(c.reason, kRetentionReasonAge);
    EXPECT_LT(c.partition.end_time, Micros(2 * kDay));
  }
  EXPECT_EQ(plan->by_age, 2);
  EXPECT_EQ(plan->by_size, 0);
  EXPECT_EQ(plan->rows, 8);

  // The dry-run answer lists the same partitions.
  simdjson::dom::parser parser;
  simdjson::dom::element preview;
  ASSERT_EQ(parser.parse(api::RetentionPlanJson(*plan)).get(preview), simdjson::SUCCESS);
  EXPECT_EQ(preview["totals"]["partitions"].get_int64().value(), 2);
  EXPECT_EQ(preview["ageCutoff"].get_string().value(), Iso(2 * kDay + 12 * kHour));
  std::set<std::string> previewed;
  const simdjson::dom::array items = preview["partitions"].get_array().value();
  for (simdjson::dom::element p : items) {
    EXPECT_EQ(p["reason"].get_string().value(), "age");
    previewed.insert(std::string(p["id"].get_string().value()));
  }
  EXPECT_EQ(previewed, PlannedIds(*plan));

  RetentionOperation op;
  auto result = RunJob(op, d.id, now);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(*result, R"({"partitionsRemoved":2,"rowsRemoved":8,"bytesRemoved":)" +
                         std::to_string(plan->bytes) +
                         R"(,"byAge":2,"bySize":0,"version":2,)"
                         R"("policy":{"rules":{"maxAgeHours":48},"deleteGraceMinutes":10}})");

  // The run removed exactly the planned partitions, in one retention version.
  std::set<std::string> removed;
  auto changes = catalog_->manifests().ListPartitionChanges(d.id, 1, 2);
  ASSERT_TRUE(changes.ok());
  for (const catalog::Partition& p : *changes) {
    if (p.removed_in_version == 2) removed.insert(p.id.value());
  }
  EXPECT_EQ(removed, PlannedIds(*plan));
  auto version = catalog_->manifests().GetVersion(d.id, 2);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(version->kind, catalog::VersionKind::kRetention);
  EXPECT_EQ(version->actor, "lifecycle:test");
  EXPECT_EQ(version->rows_removed, 8);

  // Queries lose exactly the expired rows; version 1 still answers everything (files kept).
  std::vector<int64_t> expected;
  std::copy_if(before.begin(), before.end(), std::back_inserter(expected),
               [](int64_t v) { return v >= 2 * kDay; });
  EXPECT_EQ(QueryValues("cpu"), expected);
  EXPECT_EQ(QueryValues("cpu", 1), before);
  for (const RetentionCandidate& c : plan->remove)
    EXPECT_TRUE(Exists(c.partition.object_key.value()));

  // Nothing more to do at the same time: no commit.
  auto again = RunJob(op, d.id, now);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_NE(again->find(R"("partitionsRemoved":0,)"), std::string::npos) << *again;
  EXPECT_NE(again->find(R"("version":null)"), std::string::npos) << *again;
  auto current = catalog_->datasets().FindById(d.id);
  EXPECT_EQ((*current)->current_version, 2);
}

TEST_P(RetentionTest, SizeBudgetRemovesTheOldestPartitionsUntilUnderIt) {
  catalog::Dataset d = Ingest("mem", FourDays());
  std::vector<catalog::Partition> live = Live(d.id);
  ASSERT_EQ(live.size(), 4u);
  // Live() is ordered by start time: days 0, 1, 2, 3. A budget one byte below days 1-3 makes
  // days 0 and 1 go.
  const int64_t budget =
      live[1].file_size_bytes + live[2].file_size_bytes + live[3].file_size_bytes - 1;
  ASSERT_TRUE(PutRetentionPolicy(*catalog_, d.id,
                                 R"({"rules":{"maxTotalBytes":)" + std::to_string(budget) + "}}",
                                 std::nullopt)
                  .ok());
  auto stored = LoadRetentionPolicy(*catalog_, d.id, options_);
  ASSERT_TRUE(stored.ok());
  const common::UnixMicros now = Micros(5 * kDay);
  auto plan = PlanRetention(*catalog_, d, stored->policy, now);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->by_size, 2);
  EXPECT_EQ(plan->by_age, 0);
  EXPECT_FALSE(plan->age_cutoff.has_value());
  EXPECT_EQ(PlannedIds(*plan), (std::set<std::string>{live[0].id.value(), live[1].id.value()}));
  for (const RetentionCandidate& c : plan->remove) EXPECT_EQ(c.reason, kRetentionReasonSize);

  auto result = RunJob(RetentionOperation(), d.id, now);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_NE(result->find(R"("partitionsRemoved":2,"rowsRemoved":8,)"), std::string::npos);
  EXPECT_NE(result->find(R"("byAge":0,"bySize":2,"version":2,)"), std::string::npos) << *result;
  std::vector<catalog::Partition> left = Live(d.id);
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].id, live[2].id);
  EXPECT_EQ(left[1].id, live[3].id);
  EXPECT_LE(left[0].file_size_bytes + left[1].file_size_bytes, budget);
  std::vector<int64_t> expected;
  for (int64_t v : FourDays()) {
    if (v >= 2 * kDay) expected.push_back(v);
  }
  EXPECT_EQ(QueryValues("mem"), expected);
}

TEST_P(RetentionTest, RunPlansAgainWhenAnotherCommitLandsFirstThenReportsConflict) {
  catalog::Dataset d = Ingest("disk", FourDays());
  ASSERT_TRUE(PutRetentionPolicy(*catalog_, d.id, R"({"rules":{"maxAgeHours":48}})", "admin").ok());
  const common::UnixMicros now = Micros(4 * kDay + 12 * kHour);

  // An ingest lands between the plan and the commit of the first attempt only.
  int heartbeats = 0;
  auto result = RunJob(RetentionOperation(), d.id, now, [&] {
    if (heartbeats++ == 0) Ingest("disk", {5 * kDay});
    return common::Status::Ok();
  });
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(heartbeats, 2);
  EXPECT_NE(result->find(R"("partitionsRemoved":2,)"), std::string::npos) << *result;
  EXPECT_NE(result->find(R"("version":3,)"), std::string::npos) << *result;
  std::vector<int64_t> expected;
  for (int64_t v : FourDays()) {
    if (v >= 2 * kDay) expected.push_back(v);
  }
  expected.push_back(5 * kDay);
  EXPECT_EQ(QueryValues("disk"), expected);

  // An ingest before every commit: after one re-plan the run gives up with kConflict, and
  // nothing was removed.
  ASSERT_TRUE(PutRetentionPolicy(*catalog_, d.id, R"({"rules":{"maxAgeHours":0}})", "admin").ok());
  int64_t second = 6 * kDay;
  auto conflicted = RunJob(RetentionOperation(), d.id, Micros(9 * kDay), [&] {
    Ingest("disk", {second++});
    return common::Status::Ok();
  });
  EXPECT_EQ(conflicted.status().code(), common::StatusCode::kConflict)
      << conflicted.status().ToString();
  EXPECT_EQ(Live(d.id).size(), 5u);
  // A lost lease stops the run before it commits.
  auto lost = RunJob(RetentionOperation(), d.id, Micros(9 * kDay),
                     [] { return common::Conflict("lease lost"); });
  EXPECT_EQ(lost.status().message(), "lease lost");
  EXPECT_EQ(Live(d.id).size(), 5u);
}

TEST_P(RetentionTest, JobWithoutDatasetOrUnknownDatasetFailsWithoutRetry) {
  auto none = RunJob(RetentionOperation(), std::nullopt, Micros(0));
  EXPECT_EQ(none.status().code(), common::StatusCode::kInvalidArgument);
  auto unknown = RunJob(RetentionOperation(), catalog::DatasetId("ds-missing"), Micros(0));
  EXPECT_EQ(unknown.status().code(), common::StatusCode::kNotFound);
}

TEST_P(RetentionTest, PolicyParsingRefusesBadDocumentsNamingTheField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[]", "policy: must be an object"},
      {"{", "policy: not a valid JSON document"},
      {"{}", "rules: required"},
      {R"({"rules":{}})", "rules: at least one of maxAgeHours and maxTotalBytes is required"},
      {R"({"rules":[]})", "rules: must be an object"},
      {R"({"rules":{"maxAgeHours":-1}})", "rules.maxAgeHours: must be a non-negative integer"},
      {R"({"rules":{"maxAgeHours":1.5}})", "rules.maxAgeHours: must be a non-negative integer"},
      {R"({"rules":{"maxAgeHours":"24"}})", "rules.maxAgeHours: must be a non-negative integer"},
      {R"({"rules":{"maxAgeHours":null}})", "rules.maxAgeHours: must be a non-negative integer"},
      {R"({"rules":{"maxAgeHours":10000001}})", "rules.maxAgeHours: must be at most 10000000"},
      {R"({"rules":{"maxTotalBytes":18446744073709551615}})",
       "rules.maxTotalBytes: must be at most 9223372036854775807"},
      {R"({"rules":{"maxTotalBytes":true}})",
       "rules.maxTotalBytes: must be a non-negative integer"},
      {R"({"rules":{"maxAgeHours":1,"maxRows":5}})", "rules.maxRows: unknown field"},
      {R"({"rules":{"maxAgeHours":1,"maxAgeHours":2}})", "rules.maxAgeHours: duplicate field"},
      {R"({"rules":{"maxAgeHours":1},"deleteGraceMinutes":-5})",
       "deleteGraceMinutes: must be a non-negative integer"},
      {R"({"rules":{"maxAgeHours":1},"mode":"delete"})", "mode: unknown field"},
  };
  for (const auto& [json, message] : cases) {
    auto parsed = ParseRetentionPolicy(json);
    ASSERT_FALSE(parsed.ok()) << json;
    EXPECT_EQ(parsed.status().code(), common::StatusCode::kInvalidArgument) << json;
    EXPECT_EQ(parsed.status().message(), message) << json;
  }

  auto full = ParseRetentionPolicy(
      R"( {"deleteGraceMinutes":0, "rules":{"maxTotalBytes":0,"maxAgeHours":720}} )");
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_EQ(full->max_age_hours, 720);
  EXPECT_EQ(full->max_total_bytes, 0);
  EXPECT_EQ(full->delete_grace_minutes, 0);
  EXPECT_EQ(RetentionPolicyJson(*full),
            R"({"rules":{"maxAgeHours":720,"maxTotalBytes":0},"deleteGraceMinutes":0})");
  EXPECT_EQ(*ParseRetentionPolicy(RetentionPolicyJson(*full)), *full);
  auto age_only = ParseRetentionPolicy(R"({"rules":{"maxAgeHours":1}})");
  ASSERT_TRUE(age_only.ok());
  EXPECT_FALSE(age_only->max_total_bytes.has_value());
  EXPECT_FALSE(age_only->delete_grace_minutes.has_value());
  EXPECT_EQ(RetentionPolicyJson(*age_only), R"({"rules":{"maxAgeHours":1}})");
}

TEST_P(RetentionTest, PolicyPutFindRoundTripAndDefaultsWithoutOne) {
  catalog::NewDataset nd;
  nd.slug = "net";
  nd.name = "net";
  auto d = catalog_->datasets().Create(nd);
  ASSERT_TRUE(d.ok()) << d.status().ToString();

  // No policy: the defaults of the options (the original's 720 h, 500 GiB, 5 min).
  auto loaded = LoadRetentionPolicy(*catalog_, d->id, options_);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_TRUE(loaded->is_default);
  EXPECT_EQ(loaded->policy.max_age_hours, 720);
  EXPECT_EQ(loaded->policy.max_total_bytes, int64_t{500} << 30);
  EXPECT_EQ(loaded->policy.delete_grace_minutes, 5);
  auto none = catalog_->retention().Find(d->id);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  auto put = PutRetentionPolicy(
      *catalog_, d->id, R"({ "rules": { "maxAgeHours": 24 }, "deleteGraceMinutes": 1 })", "alice");
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  auto found = catalog_->retention().Find(d->id);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->updated_by, "alice");
  EXPECT_EQ(*ParseRetentionPolicy((*found)->policy_json), *put);
  const common::UnixMicros created = (*found)->created_at;

  // Replacing keeps created_at and names the new author; a bad document changes nothing.
  ASSERT_TRUE(
      PutRetentionPolicy(*catalog_, d->id, R"({"rules":{"maxTotalBytes":1000}})", "bob").ok());
  auto bad = PutRetentionPolicy(*catalog_, d->id, R"({"rules":{"maxAgeHours":-1}})", "eve");
  EXPECT_EQ(bad.status().code(), common::StatusCode::kInvalidArgument);
  loaded = LoadRetentionPolicy(*catalog_, d->id, options_);
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded->is_default);
  EXPECT_EQ(loaded->updated_by, "bob");
  EXPECT_EQ(RetentionPolicyJson(loaded->policy), R"({"rules":{"maxTotalBytes":1000}})");
  found = catalog_->retention().Find(d->id);
  EXPECT_EQ((*found)->created_at, created);
  EXPECT_GE((*found)->updated_at, created);

  auto unknown =
      catalog_->retention().Put(catalog::DatasetId("ds-missing"), R"({"rules":{}})", "x");
  EXPECT_EQ(unknown.status().code(), common::StatusCode::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(Drivers, RetentionTest, ::testing::Values(Driver::kLocal, Driver::kS3),
                         DriverName);

}  // namespace
}  // namespace timestore::lifecycle
