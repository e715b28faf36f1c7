#include "catalog/saved_query_repository.h"

#include <thread>

#include <gtest/gtest.h>

#include "catalog_fixture.h"

namespace timestore::catalog {
namespace {

class SavedQueryRepositoryTest : public CatalogTest {
 protected:
  SavedQuery Save(const std::string& id, const std::string& statement,
                  std::optional<std::string> actor = std::nullopt, SavedQueryStats stats = {},
                  std::optional<std::string> label = std::nullopt) {
    SavedQueryUpsert q;
    q.id = SavedQueryId(id);
    q.statement = statement;
    q.label = std::move(label);
    q.created_by = std::move(actor);
    q.stats = stats;
    auto saved = catalog_->saved_queries().Upsert(q);
    EXPECT_TRUE(saved.ok()) << saved.status().ToString();
    return saved.ok() ? *saved : SavedQuery{};
  }

  std::vector<std::string> ListedIds() {
    auto all = catalog_->saved_queries().List();
    EXPECT_TRUE(all.ok()) << all.status().ToString();
    std::vector<std::string> ids;
    if (all.ok()) {
      for (const SavedQuery& q : *all) ids.push_back(q.id.value());
    }
    return ids;
  }

  // Real elapsed time: now() is PostgreSQL's transaction start, and a short pause makes
  // consecutive saves' times distinct.
  static void Tick() { std::this_thread::sleep_for(std::chrono::milliseconds(2)); }
};

TEST_F(SavedQueryRepositoryTest, UpsertCreatesThenFindReturnsTheStoredQuery) {
  SavedQuery created =
      Save("daily.cpu", "SELECT 1", "alice", {.row_count = 3, .elapsed_ms = 12}, "Daily CPU");
  EXPECT_EQ(created.id.value(), "daily.cpu");
  EXPECT_EQ(created.statement, "SELECT 1");
  EXPECT_EQ(created.label, "Daily CPU");
  EXPECT_EQ(created.created_by, "alice");
  EXPECT_EQ(created.stats, (SavedQueryStats{.row_count = 3, .elapsed_ms = 12}));
  EXPECT_GT(created.created_at, 0);
  EXPECT_EQ(created.created_at, created.updated_at);

  auto found = catalog_->saved_queries().Find(SavedQueryId("daily.cpu"));
  ASSERT_TRUE(found.ok() && found->has_value()) << found.status().ToString();
  EXPECT_EQ((*found)->statement, "SELECT 1");
  EXPECT_EQ((*found)->created_at, created.created_at);
  EXPECT_EQ((*found)->stats, created.stats);
}

TEST_F(SavedQueryRepositoryTest, FindUnknownIdReturnsNothing) {
  auto found = catalog_->saved_queries().Find(SavedQueryId("nope"));
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_FALSE(found->has_value());
}

TEST_F(SavedQueryRepositoryTest, UpdateReplacesContentKeepsCreatorAndCreationAndBumpsUpdatedAt) {
  SavedQuery created =
      Save("q1", "SELECT 1", "alice", {.row_count = 1, .elapsed_ms = std::nullopt}, "first");
  Tick();
  SavedQuery updated =
      Save("q1", "SELECT 2", "bob", {.row_count = std::nullopt, .elapsed_ms = 7}, std::nullopt);
  EXPECT_EQ(updated.statement, "SELECT 2");
  EXPECT_EQ(updated.label, std::nullopt);
  EXPECT_EQ(updated.stats, (SavedQueryStats{.row_count = std::nullopt, .elapsed_ms = 7}));
  EXPECT_EQ(updated.created_by, "alice");
  EXPECT_EQ(updated.created_at, created.created_at);
  EXPECT_GT(updated.updated_at, created.updated_at);
}

TEST_F(SavedQueryRepositoryTest, UpdateOfAQueryWithoutCreatorRecordsTheNewActor) {
  Save("q1", "SELECT 1");
  EXPECT_EQ(Save("q1", "SELECT 1", "carol").created_by, "carol");
  EXPECT_EQ(Save("q1", "SELECT 1", "dave").created_by, "carol");
}

TEST_F(SavedQueryRepositoryTest, StatsRoundTripIncludingNoneAndLargeValues) {
  EXPECT_TRUE(Save("none", "SELECT 1").stats.empty());
  const int64_t max_safe = (int64_t{1} << 53) - 1;
  EXPECT_EQ(Save("big", "SELECT 1", std::nullopt, {.row_count = max_safe, .elapsed_ms = 0}).stats,
            (SavedQueryStats{.row_count = max_safe, .elapsed_ms = 0}));
  auto found = catalog_->saved_queries().Find(SavedQueryId("big"));
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->stats, (SavedQueryStats{.row_count = max_safe, .elapsed_ms = 0}));
  auto none = catalog_->saved_queries().Find(SavedQueryId("none"));
  ASSERT_TRUE(none.ok() && none->has_value());
  EXPECT_TRUE((*none)->stats.empty());
  EXPECT_EQ((*none)->label, std::nullopt);
  EXPECT_EQ((*none)->created_by, std::nullopt);
}

TEST_F(SavedQueryRepositoryTest, StatementIsStoredVerbatimAndNeverRun) {
  const std::string statement = "DROP TABLE datasets; -- 'quoted' $1 \"ident\" é\n\tSELECT";
  EXPECT_EQ(Save("weird", statement).statement, statement);
  auto found = catalog_->saved_queries().Find(SavedQueryId("weird"));
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->statement, statement);
  EXPECT_TRUE(catalog_->datasets().List({}).ok());
}

TEST_F(SavedQueryRepositoryTest, ListIsMostRecentlySavedFirst) {
  EXPECT_TRUE(ListedIds().empty());
  Save("a", "SELECT 1");
  Tick();
  Save("b", "SELECT 2");
  Tick();
  Save("c", "SELECT 3");
  EXPECT_EQ(ListedIds(), (std::vector<std::string>{"c", "b", "a"}));
  Tick();
  Save("a", "SELECT 10");
  EXPECT_EQ(ListedIds(), (std::vector<std::string>{"a", "c", "b"}));
}

TEST_F(SavedQueryRepositoryTest, DeleteReportsWhetherTheQueryExisted) {
  Save("gone", "SELECT 1");
  auto first = catalog_->saved_queries().Delete(SavedQueryId("gone"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(*first);
  auto second = catalog_->saved_queries().Delete(SavedQueryId("gone"));
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(*second);
  EXPECT_FALSE(catalog_->saved_queries().Find(SavedQueryId("gone"))->has_value());
}

TEST(SavedQueryIdTest, AcceptsTheDocumentedAlphabetAndLength) {
  EXPECT_TRUE(IsValidSavedQueryId("a"));
  EXPECT_TRUE(IsValidSavedQueryId("Team.cpu_daily:v2-final"));
  EXPECT_TRUE(IsValidSavedQueryId(std::string(128, 'x')));
  EXPECT_FALSE(IsValidSavedQueryId(""));
  EXPECT_FALSE(IsValidSavedQueryId(std::string(129, 'x')));
  for (std::string bad : {"a b", "a/b", "é", "a%20", "a'b", "a\"b"}) {
    EXPECT_FALSE(IsValidSavedQueryId(bad)) << bad;
  }
}

}  // namespace
}  // namespace timestore::catalog
