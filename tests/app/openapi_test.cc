// GET /openapi.json against the router the service really builds: every registered route is
// documented and every documented route is registered (API paths under both servers, the root and
// /v1; operational paths under the root alone), every operation has a success answer and errors
// in the Error shape, every path parameter is declared, and every $ref resolves.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "api/openapi_route.h"
#include "app/service.h"
#include "common/build_info.h"
#include "testing/raw_http_client.h"
#include "testing/test_env.h"

namespace timestore::app {
namespace {

using namespace std::chrono_literals;
using simdjson::dom::element;
using Route = std::pair<std::string, std::string>;  // (method, router pattern)

constexpr std::string_view kRootServer = "http://127.0.0.1:4100";
constexpr std::string_view kHttpMethods[] = {"get",  "put",     "post", "delete",
                                             "head", "options", "patch"};

std::string Upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::toupper(c); });
  return out;
}

// "/datasets/{datasetSlug}/ingest" -> "/datasets/:datasetSlug/ingest".
std::string RouterPattern(std::string_view openapi_path) {
  std::string out;
  for (char c : openapi_path) {
    if (c == '{') {
      out += ':';
    } else if (c != '}') {
      out += c;
    }
  }
  return out;
}

// The names of the "{name}" segments of an OpenAPI path.
std::set<std::string> PathParameterNames(std::string_view path) {
  std::set<std::string> names;
  for (size_t open = path.find('{'); open != std::string_view::npos;
       open = path.find('{', open + 1)) {
    names.emplace(path.substr(open + 1, path.find('}', open) - open - 1));
  }
  return names;
}

std::string_view Str(element e) { return e.get_string().value(); }

// Named values, so that range-for never iterates over a temporary simdjson_result.
simdjson::dom::array Array(element e) {
  simdjson::dom::array a;
  EXPECT_EQ(e.get(a), simdjson::SUCCESS) << simdjson::minify(e);
  return a;
}
simdjson::dom::object Object(element e) {
  simdjson::dom::object o;
  EXPECT_EQ(e.get(o), simdjson::SUCCESS) << simdjson::minify(e);
  return o;
}

class OpenApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config::ServiceConfig cfg;
    cfg.http.port = 0;
    cfg.http.shutdown_grace = 2s;
    cfg.postgres.url = testing::PostgresUrl();
    cfg.postgres.schema = testing::UniqueName("oapi");
    cfg.storage.root = storage_.path().string();
    cfg.storage.cache_dir = (storage_.path() / "cache").string();
    cfg.lifecycle.enabled = false;
    service_ = std::make_unique<Service>(cfg);
    ASSERT_TRUE(service_->Start().ok());

    // The routes are registered at Start(); the document needs no catalog.
    testing::RawHttpClient client(service_->port());
    auto r = client.Roundtrip("GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(r.has_value());
    response_ = *r;
    ASSERT_EQ(response_.status, 200) << response_.body;
    ASSERT_EQ(parser_.parse(response_.body).get(doc_), simdjson::SUCCESS);
  }

  // The value `ref` ("#/components/...") points at, or nothing when it does not resolve.
  std::optional<element> Resolve(std::string_view ref) const {
    if (ref.substr(0, 2) != "#/") return std::nullopt;
    element at = doc_;
    std::string_view rest = ref.substr(2);
    while (true) {
      const size_t slash = rest.find('/');
      std::string token(rest.substr(0, slash));
      for (size_t p = token.find('~'); p != std::string::npos; p = token.find('~', p + 1)) {
        token.replace(p, 2, token.compare(p, 2, "~1") == 0 ? "/" : "~");
      }
      if (at.at_key(token).get(at) != simdjson::SUCCESS) return std::nullopt;
      if (slash == std::string_view::npos) return at;
      rest.remove_prefix(slash + 1);
    }
  }

  // `e`, or what its "$ref" points at.
  element Deref(element e) const {
    std::string_view ref;
    if (e.is_object() && e["$ref"].get(ref) == simdjson::SUCCESS) {
      auto target = Resolve(ref);
      EXPECT_TRUE(target.has_value()) << ref;
      if (target) return *target;
    }
    return e;
  }

  // Calls `fn(path, path_item, method, operation)` for every operation of the document.
  void ForEachOperation(
      const std::function<void(std::string_view, element, std::string_view, element)>& fn) {
    const simdjson::dom::object paths = Object(doc_["paths"].value());
    for (auto [path, item] : paths) {
      for (std::string_view method : kHttpMethods) {
        element operation;
        if (item.at_key(method).get(operation) == simdjson::SUCCESS) {
          fn(path, item, method, operation);
        }
      }
    }
  }

  testing::TempDir storage_;
  std::unique_ptr<Service> service_;
  testing::RawResponse response_;
  simdjson::dom::parser parser_;
  element doc_;
};

TEST_F(OpenApiTest, ServesTheEmbeddedOpenApi3DocumentAsJson) {
  EXPECT_EQ(response_.body, api::OpenApiDocument());
  EXPECT_EQ(response_.Header("content-type").rfind("application/json", 0), 0u)
      << response_.Header("content-type");
  EXPECT_EQ(Str(doc_["openapi"]).substr(0, 2), "3.");
  EXPECT_EQ(Str(doc_["info"]["title"]), "timestore");
  EXPECT_EQ(Str(doc_["info"]["version"]), common::kVersion);  // keep the file in step
  EXPECT_EQ(Str(doc_["servers"].at(0)["url"]), kRootServer);
  EXPECT_EQ(Str(doc_["servers"].at(1)["url"]), std::string(kRootServer) + "/v1");

  // Operational, like /health: not under /v1.
  testing::RawHttpClient client(service_->port());
  auto v1 = client.Roundtrip("GET /v1/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(v1.has_value());
  EXPECT_EQ(v1->status, 404);
}

TEST_F(OpenApiTest, DocumentsEveryRegisteredRouteAndNoOther) {
  std::set<Route> registered;
  for (const Route& route : service_->RegisteredRoutes()) {
    if (route.first != "HEAD") registered.insert(route);
  }
  ASSERT_FALSE(registered.empty());

  // A path item is served under every server of the document, or under its own `servers`.
  auto prefixes_of = [](element servers) {
    std::vector<std::string> prefixes;
    const simdjson::dom::array list = Array(servers);
    for (element server : list) {
      std::string_view url = Str(server["url"]);
      EXPECT_EQ(url.substr(0, kRootServer.size()), kRootServer) << url;
      prefixes.emplace_back(url.substr(std::min(url.size(), kRootServer.size())));
    }
    return prefixes;
  };
  const std::vector<std::string> document_prefixes = prefixes_of(doc_["servers"]);
  std::set<Route> documented;
  ForEachOperation([&](std::string_view path, element item, std::string_view method, element) {
    element servers;
    const std::vector<std::string> prefixes =
        item.at_key("servers").get(servers) == simdjson::SUCCESS ? prefixes_of(servers)
                                                                 : document_prefixes;
    for (const std::string& prefix : prefixes) {
      documented.emplace(Upper(method), prefix + RouterPattern(path));
    }
  });

  std::vector<Route> undocumented, unregistered;
  std::set_difference(registered.begin(), registered.end(), documented.begin(), documented.end(),
                      std::back_inserter(undocumented));
  std::set_difference(documented.begin(), documented.end(), registered.begin(), registered.end(),
                      std::back_inserter(unregistered));
  for (const Route& r : undocumented)
    ADD_FAILURE() << "undocumented: " << r.first << " " << r.second;
  for (const Route& r : unregistered)
    ADD_FAILURE() << "not registered: " << r.first << " " << r.second;
  EXPECT_TRUE(registered.count({"GET", "/openapi.json"}));
  EXPECT_TRUE(registered.count({"POST", "/v1/datasets/:datasetSlug/query"}));
}

// What AuthTest enforces, documented: the operational probes and this document are public (an
// empty security list); every other operation needs credentials and says so with 401 and 403.
TEST_F(OpenApiTest, AccessControlIsDocumentedPerOperation) {
  element schemes;
  ASSERT_EQ(doc_["components"]["securitySchemes"].get(schemes), simdjson::SUCCESS);
  EXPECT_EQ(Str(schemes["bearerToken"]["scheme"]), "bearer");
  EXPECT_EQ(Str(schemes["gatewayScopes"]["name"]), "x-iam-scopes");
  int protected_operations = 0;
  ForEachOperation([&](std::string_view path, element, std::string_view method, element operation) {
    const std::string where = Upper(method) + " " + std::string(path);
    const bool is_public = path == "/health" || path == "/ready" || path == "/openapi.json";
    element security;
    const bool has_security = operation["security"].get(security) == simdjson::SUCCESS;
    element unauthorized;
    element forbidden;
    const bool has_401 = operation["responses"]["401"].get(unauthorized) == simdjson::SUCCESS;
    const bool has_403 = operation["responses"]["403"].get(forbidden) == simdjson::SUCCESS;
    if (is_public) {
      ASSERT_TRUE(has_security) << where;
      EXPECT_EQ(Array(security).size(), 0u) << where;
      EXPECT_FALSE(has_401 || has_403) << where;
    } else {
      ++protected_operations;
      EXPECT_FALSE(has_security) << where << ": uses the document's security";
      EXPECT_TRUE(has_401 && has_403) << where;
    }
  });
  EXPECT_GT(protected_operations, 30);
}

TEST_F(OpenApiTest, EveryOperationAnswersSuccessAndItsErrorsUseTheErrorSchema) {
  int operations = 0;
  std::set<std::string> operation_ids;
  ForEachOperation([&](std::string_view path, element item, std::string_view method,
                       element operation) {
    ++operations;
    const std::string where = Upper(method) + " " + std::string(path);
    std::string_view id;
    ASSERT_EQ(operation["operationId"].get(id), simdjson::SUCCESS) << where;
    EXPECT_TRUE(operation_ids.emplace(id).second) << where << ": operationId " << id << " twice";

    bool success = false;
    const simdjson::dom::object responses = Object(operation["responses"].value());
    for (auto [status, raw] : responses) {
      if (status == "200" || status == "201" || status == "202" || status == "204") success = true;
      if (status.empty() || (status[0] != '4' && status[0] != '5')) continue;
      const element response = Deref(raw);
      element schema;
      ASSERT_EQ(response["content"]["application/json"]["schema"].get(schema), simdjson::SUCCESS)
          << where << " " << status;
      // The Error schema itself, or a choice that includes it (/ready's 503).
      std::vector<element> choices{schema};
      element one_of;
      if (schema["oneOf"].get(one_of) == simdjson::SUCCESS) {
        choices.clear();
        const simdjson::dom::array list = Array(one_of);
        for (element choice : list) choices.push_back(choice);
      }
      const bool error_shape = std::any_of(choices.begin(), choices.end(), [](element c) {
        std::string_view ref;
        return c["$ref"].get(ref) == simdjson::SUCCESS && ref == "#/components/schemas/Error";
      });
      EXPECT_TRUE(error_shape) << where << " " << status << ": " << simdjson::minify(schema);
    }
    EXPECT_TRUE(success) << where << ": no 200/201/202/204 answer";

    // Every {name} of the path is a required path parameter of the item or the operation.
    std::set<std::string> declared;
    for (element holder : {item, operation}) {
      element parameters;
      if (holder["parameters"].get(parameters) != simdjson::SUCCESS) continue;
      const simdjson::dom::array list = Array(parameters);
      for (element raw : list) {
        const element p = Deref(raw);
        if (Str(p["in"]) != "path") continue;
        EXPECT_TRUE(p["required"].get_bool().value()) << where;
        declared.emplace(Str(p["name"]));
      }
    }
    EXPECT_EQ(declared, PathParameterNames(path)) << where;
  });
  EXPECT_GE(operations, 20);
}

TEST_F(OpenApiTest, EveryRefResolves) {
  int refs = 0;
  std::function<void(element)> visit = [&](element e) {
    if (e.is_array()) {
      const simdjson::dom::array list = Array(e);
      for (element child : list) visit(child);
    } else if (e.is_object()) {
      const simdjson::dom::object members = Object(e);
      for (auto [key, child] : members) {
        if (key == "$ref") {
          ++refs;
          EXPECT_TRUE(child.is_string() && Resolve(Str(child)).has_value())
              << simdjson::minify(child);
        } else {
          visit(child);
        }
      }
    }
  };
  visit(doc_);
  EXPECT_GT(refs, 50);
}

}  // namespace
}  // namespace timestore::app
