// IsReadAuditAction: the one list of actions whose events are stored in the background. Every
// action a route records is named here, so a new one has to be placed on one side.
#include "api/request_audit.h"

#include <string>

#include <gtest/gtest.h>

namespace timestore::api {
namespace {

TEST(RequestAuditTest, OnlyQueriesAndSqlReadsAreReadActions) {
  for (const std::string action : {"query", "sql.read"}) {
    EXPECT_TRUE(IsReadAuditAction(action)) << action;
  }
  for (const std::string action :
       {"ingest", "lifecycle.run", "lifecycle.reschedule", "retention.update", "dataset.create",
        "dataset.update", "dataset.archive", "dataset.storage_target", "storage_target.create",
        "storage_target.update", "token.create", "token.revoke", "sql.saved.upsert",
        "sql.saved.delete", "access.denied", ""}) {
    EXPECT_FALSE(IsReadAuditAction(action)) << action;
  }
}

}  // namespace
}  // namespace timestore::api
