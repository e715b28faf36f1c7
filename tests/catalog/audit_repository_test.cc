// AuditRepository::RecordBatch against the real PostgreSQL: one statement stores the batch in
// order with each event's own time, and an oversized batch is refused whole.
#include "catalog/audit_repository.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "catalog/catalog_fixture.h"
#include "common/time.h"

namespace timestore::catalog {
namespace {

TEST_F(CatalogTest, RecordBatchStoresEventsInOrderWithTheTimeTheyHappened) {
  Dataset d = MakeDataset("batched");
  const common::UnixMicros happened = common::NowMicros() - 3'600'000'000;  // an hour ago
  std::vector<AuditEvent> batch(3);
  for (int i = 0; i < 3; ++i) {
    batch[i].action = "query";
    batch[i].occurred_at = happened + i;
    batch[i].actor = "reader" + std::to_string(i);
    batch[i].scopes = {"timestore:read", "a \"quoted\" scope"};
    batch[i].request_id = "req-" + std::to_string(i);
    batch[i].metadata_json = R"({"rowCount":)" + std::to_string(i) + "}";
  }
  batch[1].dataset_id = d.id;
  batch[1].dataset_slug = d.slug;
  batch[2].occurred_at = 0;  // no time of its own: the catalog's
  batch[2].success = false;
  const common::UnixMicros before = common::NowMicros();
  ASSERT_TRUE(catalog_->audit().RecordBatch(batch).ok());

  ListAuditOptions o;
  o.actions = {"query"};
  auto listed = catalog_->audit().List(o);  // newest (highest id) first
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 3u);
  const std::vector<AuditEvent> stored(listed->rbegin(), listed->rend());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(stored[i].actor, batch[i].actor);
    EXPECT_EQ(stored[i].scopes, batch[i].scopes);
    EXPECT_EQ(stored[i].request_id, batch[i].request_id);
    EXPECT_EQ(stored[i].metadata_json, R"({"rowCount": )" + std::to_string(i) + "}");
    if (i > 0) {
      EXPECT_GT(stored[i].id, stored[i - 1].id);
    }
  }
  EXPECT_EQ(stored[0].occurred_at, happened);
  EXPECT_EQ(stored[1].occurred_at, happened + 1);
  EXPECT_GE(stored[2].occurred_at, before - 1'000'000);  // now(), give or take clock skew
  EXPECT_EQ(stored[1].dataset_id, d.id);
  EXPECT_FALSE(stored[0].dataset_id.has_value());
  EXPECT_FALSE(stored[2].success);
  EXPECT_TRUE(catalog_->audit().RecordBatch({}).ok());
}

TEST_F(CatalogTest, RecordBatchRefusesMoreThanMaxBatchAndStoresNothing) {
  std::vector<AuditEvent> batch(AuditSink::kMaxBatch + 1);
  for (AuditEvent& e : batch) e.action = "query";
  const common::Status refused = catalog_->audit().RecordBatch(batch);
  EXPECT_EQ(refused.code(), common::StatusCode::kInvalidArgument) << refused.ToString();
  batch.pop_back();
  ASSERT_TRUE(catalog_->audit().RecordBatch(batch).ok());  // the largest batch fits one statement
  ListAuditOptions o;
  o.limit = 10;
  auto listed = catalog_->audit().List(o);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 10u);
}

}  // namespace
}  // namespace timestore::catalog
