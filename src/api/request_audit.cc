#include "api/request_audit.h"

#include <utility>

#include <simdjson.h>

#include "api/access_control.h"
#include "api/api_error.h"
#include "api/json_body.h"
#include "common/json_writer.h"

namespace timestore::api {
namespace {

std::string ErrorMetadata(std::string_view message) {
  common::JsonWriter w;
  w.BeginObject().Key("error").String(message).EndObject();
  return w.TakeBuffer();
}

}  // namespace

std::string ErrorMessageOf(const http::Response& response) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string_view message;
  if (parser.parse(response.body).get(root) == simdjson::SUCCESS &&
      root["message"].get(message) == simdjson::SUCCESS) {
    return std::string(message);
  }
  return response.body;
}

bool IsReadAuditAction(std::string_view action) {
  // The one list of read actions. A read's event is stored after the answer, through a bounded
  // queue that drops under overload and loses what is queued on a crash: acceptable for a trail of
  // who read what, not for one of changes. Every other action (ingest, lifecycle, retention,
  // dataset, storage target, token and saved query changes, access.denied) is stored before the
  // answer. A new audited route that changes nothing belongs here.
  return action == "query" || action == "sql.read";
}

RequestAudit::RequestAudit(catalog::AuditRepository* repository,
                           catalog::AsyncAuditWriter* read_writer, ResolveDataset resolve_dataset,
                           const common::Clock& clock)
    : repository_(repository),
      read_writer_(read_writer),
      resolve_dataset_(std::move(resolve_dataset)),
      clock_(clock),
      logger_(observability::GetLogger("api.audit")) {}

std::optional<catalog::Dataset> RequestAudit::Resolve(const std::string& name) const {
  {
    std::lock_guard lock(mu_);
    if (auto it = datasets_.find(name); it != datasets_.end()) return it->second;
  }
  if (!resolve_dataset_ || name.empty()) return std::nullopt;
  std::optional<catalog::Dataset> dataset = resolve_dataset_(name);
  if (dataset) {
    std::lock_guard lock(mu_);
    if (datasets_.size() >= kMaxCachedDatasets) datasets_.clear();
    datasets_.emplace(name, *dataset);
  }
  return dataset;
}

RequestAudit::Caller RequestAudit::CallerOf(const http::Request& request) {
  return Caller{request.identity.actor, request.identity.scopes, request.request_id};
}

void RequestAudit::Record(const Caller& caller, Entry entry) const {
  if (repository_ == nullptr) return;
  catalog::AuditEvent event;
  event.occurred_at = clock_.Now();  // when it happened, not when it is stored
  event.actor = caller.actor;
  event.scopes = caller.scopes;
  if (!entry.dataset_id && entry.dataset_slug) {
    if (std::optional<catalog::Dataset> dataset = Resolve(*entry.dataset_slug)) {
      entry.dataset_id = dataset->id;
      entry.dataset_slug = dataset->slug;
    }
  }
  event.dataset_id = std::move(entry.dataset_id);
  event.dataset_slug = std::move(entry.dataset_slug);
  event.action = std::move(entry.action);
  event.success = entry.success;
  event.request_id = caller.request_id;
  event.metadata_json = std::move(entry.metadata_json);
  if (read_writer_ != nullptr && IsReadAuditAction(event.action)) {
    read_writer_->Enqueue(std::move(event));  // a drop is counted and logged by the writer
    return;
  }
  auto recorded = repository_->Record(event);
  if (!recorded.ok()) {
    logger_.Warn("audit event not recorded", observability::LogFields()
                                                 .Add("action", event.action)
                                                 .Add("requestId", caller.request_id)
                                                 .Add("error", recorded.status().message()));
  }
}

http::Handler RequestAudit::Wrap(std::string action, Handler handler) const {
  return [this, action = std::move(action),
          handler = std::move(handler)](const http::Request& request) {
    Entry entry;
    entry.action = action;
    if (const catalog::Dataset* dataset = ResolvedDataset(request))
      SetAuditDataset(entry, *dataset);
    common::Result<http::Response> answer = common::Internal("no answer");
    try {
      answer = handler(request, entry);
    } catch (...) {
      entry.success = false;  // the server answers 500
      entry.metadata_json = ErrorMetadata("internal error");
      Record(request, std::move(entry));
      throw;
    }
    entry.success = answer.ok();
    if (!entry.success) entry.metadata_json = ErrorMetadata(answer.status().message());
    Record(request, std::move(entry));
    return answer.ok() ? std::move(answer).value() : ErrorAnswer(answer.status());
  };
}

http::Handler Audited(const RequestAudit* audit, std::string action,
                      RequestAudit::Handler handler) {
  if (audit != nullptr) return audit->Wrap(std::move(action), std::move(handler));
  return [handler = std::move(handler)](const http::Request& request) {
    RequestAudit::Entry unused;
    common::Result<http::Response> answer = handler(request, unused);
    return answer.ok() ? std::move(answer).value() : ErrorAnswer(answer.status());
  };
}

RequestAudit::Handler AuditedJson(AuditedJsonHandler handler) {
  return
      [handler = std::move(handler)](const http::Request& request,
                                     RequestAudit::Entry& entry) -> common::Result<http::Response> {
        TS_ASSIGN_OR_RETURN(simdjson::dom::element body, ParseJsonBody(request.body));
        return handler(request, body, entry);
      };
}

void SetAuditDataset(RequestAudit::Entry& entry, const catalog::Dataset& dataset) {
  entry.dataset_id = dataset.id;
  entry.dataset_slug = dataset.slug;
}

common::Result<catalog::Dataset> AuditedRouteDataset(
    const http::Request& request, std::string_view param, RequestAudit::Entry& entry,
    const std::function<common::Result<catalog::Dataset>(std::string_view)>& lookup) {
  if (!entry.dataset_id) {
    if (auto name = request.PathParam(param); name && !name->empty()) {
      entry.dataset_slug = std::string(*name);
    }
  }
  TS_ASSIGN_OR_RETURN(catalog::Dataset dataset, RouteDataset(request, param, lookup));
  SetAuditDataset(entry, dataset);
  return dataset;
}

}  // namespace timestore::api
