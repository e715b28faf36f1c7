// RequestAudit: writes one catalog::AuditEvent per audited request (ingest, query, SQL read, admin
// changes). Like RequestMetrics it is called by the routes, which see every outcome. Events of
// reads (IsReadAuditAction) are queued on an AsyncAuditWriter; the others are stored before
// Record returns, as durable as the change they describe. A failed write never fails the request:
// it is logged as a warning. Thread-safe; the repository, writer, dataset resolver and clock must
// outlive it.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "catalog/async_audit_writer.h"
#include "catalog/audit_repository.h"
#include "catalog/types.h"
#include "common/clock.h"
#include "common/status.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "observability/logger.h"

namespace timestore::api {

// The "message" of a Fastify-shaped error body, or the body itself when it has none. For routes
// that only have the response (ingest); audited handlers record their typed Status instead.
std::string ErrorMessageOf(const http::Response& response);

// True for the actions of requests that change nothing ("query", "sql.read"): their events may be
// stored after the answer (RequestAudit queues them on its AsyncAuditWriter).
bool IsReadAuditAction(std::string_view action);

class RequestAudit {
 public:
  // The dataset whose id or slug is `name`, or nothing (absent, or the catalog failed).
  using ResolveDataset = std::function<std::optional<catalog::Dataset>(std::string_view name)>;

  // `repository` may be null: nothing is recorded then. `read_writer` may be null: read events
  // are stored synchronously too. Events are stamped with `clock`'s time when recorded.
  RequestAudit(catalog::AuditRepository* repository, catalog::AsyncAuditWriter* read_writer,
               ResolveDataset resolve_dataset, const common::Clock& clock = common::SystemClock());

  struct Entry {
    std::string action;  // "ingest", "query", "sql.read", "lifecycle.run", ...
    // The dataset as the request named it (id or slug); when `dataset_id` is absent both are
    // resolved through the catalog (the event keeps the name as given when none matches).
    std::optional<std::string> dataset_slug;
    std::optional<catalog::DatasetId> dataset_id;
    bool success = true;
    std::string metadata_json = "{}";  // a JSON object
  };

  // Who asked: kept apart from the request for answers recorded after the handler returned.
  struct Caller {
    std::optional<std::string> actor;
    std::vector<std::string> scopes;
    std::string request_id;
  };
  static Caller CallerOf(const http::Request& request);

  // Records `entry` with the actor, scopes and request id of the caller, stamped with the current
  // time: queued when it is a read's (dropped when the queue is full), else one INSERT. Plus a
  // lookup the first time a dataset name is seen; never fails.
  void Record(const Caller& caller, Entry entry) const;
  void Record(const http::Request& request, Entry entry) const {
    Record(CallerOf(request), std::move(entry));
  }

  // An audited handler: answers a response (recorded as a success), or fails with the Status the
  // client gets as ErrorAnswer and the audit records as {"error": message}. It names the dataset
  // it acted on in `entry` (dataset_id / dataset_slug) as soon as it knows it, failures included.
  using Handler = std::function<common::Result<http::Response>(const http::Request&, Entry& entry)>;
  // Wraps `handler` so its (non-streamed) outcome is recorded as `action`. The entry starts with
  // the dataset Secured resolved for the request, when there is one.
  http::Handler Wrap(std::string action, Handler handler) const;

 private:
  std::optional<catalog::Dataset> Resolve(const std::string& name) const;

  catalog::AuditRepository* const repository_;
  catalog::AsyncAuditWriter* const read_writer_;
  const ResolveDataset resolve_dataset_;
  const common::Clock& clock_;
  observability::Logger logger_;
  mutable std::mutex mu_;
  // Id or slug → dataset seen (datasets are never deleted or renamed); bounded by
  // kMaxCachedDatasets (cleared when full). Guarded by mu_.
  mutable std::unordered_map<std::string, catalog::Dataset> datasets_;
  static constexpr size_t kMaxCachedDatasets = 10000;
};

// audit->Wrap(...); when `audit` is null, `handler` alone (its failures answered by ErrorAnswer).
http::Handler Audited(const RequestAudit* audit, std::string action, RequestAudit::Handler handler);

// A RequestAudit::Handler that parses the JSON body first (a malformed one fails with
// ParseJsonBody's kInvalidArgument) and hands its root to `handler`.
using AuditedJsonHandler = std::function<common::Result<http::Response>(
    const http::Request&, simdjson::dom::element body, RequestAudit::Entry& entry)>;
RequestAudit::Handler AuditedJson(AuditedJsonHandler handler);

// Names `dataset` as the one the audited request acted on.
void SetAuditDataset(RequestAudit::Entry& entry, const catalog::Dataset& dataset);

// The dataset a route's path parameter `param` names (RouteDataset: the one Secured resolved, else
// `lookup`), named in `entry` as the path gives it until it is found.
common::Result<catalog::Dataset> AuditedRouteDataset(
    const http::Request& request, std::string_view param, RequestAudit::Entry& entry,
    const std::function<common::Result<catalog::Dataset>(std::string_view)>& lookup);

}  // namespace timestore::api
