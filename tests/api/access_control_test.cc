// Secured hands the dataset it resolved for the access check to the handler (ResolvedDataset,
// RouteDataset), so a dataset route reads the catalog once; with auth mode none there is no lookup
// and the handler resolves the dataset itself. Real catalog (the throwaway PostgreSQL).
#include "api/access_control.h"

#include <gtest/gtest.h>

#include "catalog/catalog_fixture.h"

namespace timestore::api {
namespace {

class SecuredDatasetTest : public catalog::CatalogTest {
 protected:
  // Calls a handler wrapped by Secured(admin of :datasetId) for `name`, in auth mode `mode`, with
  // admin credentials; the handler records what it saw.
  http::Response Call(config::AuthMode mode, const std::string& name) {
    config::AuthConfig auth;
    auth.mode = mode;
    AccessControl access(auth, catalog_->datasets(), catalog_->tokens());
    http::Handler handler =
        Secured(&access, {Permission::kAdmin, "datasetId"}, [this](const http::Request& request) {
          const catalog::Dataset* d = ResolvedDataset(request);
          seen_ = d != nullptr ? std::optional(*d) : std::nullopt;
          auto routed = RouteDataset(request, "datasetId", [this](std::string_view n) {
            ++lookups_;
            return catalog_->datasets().GetByIdOrSlug(n);
          });
          routed_ = routed.ok() ? routed->slug : routed.status().ToString();
          return http::Response::Json("{}");
        });
    request_.path_params = {{"datasetId", name}};
    request_.headers = {{"x-iam-scopes", "timestore:admin"}};
    request_.identity = access.Identify(request_);
    return handler(request_);
  }

  http::Request request_;
  std::optional<catalog::Dataset> seen_;
  std::string routed_;
  int lookups_ = 0;
};

TEST_F(SecuredDatasetTest, TheCheckedDatasetReachesTheHandlerWithoutASecondLookup) {
  const catalog::Dataset d = MakeDataset("cpu");
  EXPECT_EQ(Call(config::AuthMode::kHeaders, "cpu").status, 200);
  ASSERT_TRUE(seen_.has_value());
  EXPECT_EQ(seen_->id, d.id);
  EXPECT_EQ(routed_, "cpu");
  EXPECT_EQ(lookups_, 0);
  // Only while the handler runs.
  EXPECT_EQ(ResolvedDataset(request_), nullptr);
}

TEST_F(SecuredDatasetTest, WithoutChecksOrWithoutADatasetTheHandlerLooksItUp) {
  MakeDataset("cpu");
  EXPECT_EQ(Call(config::AuthMode::kNone, "cpu").status, 200);
  EXPECT_FALSE(seen_.has_value());
  EXPECT_EQ(routed_, "cpu");
  EXPECT_EQ(lookups_, 1);

  EXPECT_EQ(Call(config::AuthMode::kHeaders, "nope").status, 200);
  EXPECT_FALSE(seen_.has_value());
  EXPECT_NE(routed_.find("dataset 'nope' not found"), std::string::npos) << routed_;
  EXPECT_EQ(lookups_, 2);
}

}  // namespace
}  // namespace timestore::api
