#include "api/request_audit.h"

#include <utility>

#include <simdjson.h>

#include "common/json_writer.h"

namespace timestore::api {
namespace {

std::string ErrorMetadata(const http::Response& response) {
  common::JsonWriter w;
  w.BeginObject().Key("error").String(ErrorMessageOf(response)).EndObject();
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

RequestAudit::RequestAudit(catalog::AuditRepository* repository, ResolveDataset resolve_dataset)
    : repository_(repository),
      resolve_dataset_(std::move(resolve_dataset)),
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
  auto recorded = repository_->Record(event);
  if (!recorded.ok()) {
    logger_.Warn("audit event not recorded", observability::LogFields()
                                                 .Add("action", event.action)
                                                 .Add("requestId", caller.request_id)
                                                 .Add("error", recorded.status().message()));
  }
}

http::Handler RequestAudit::Wrap(std::string action, DatasetOf dataset_of,
                                 http::Handler handler) const {
  return [this, action = std::move(action), dataset_of = std::move(dataset_of),
          handler = std::move(handler)](const http::Request& request) {
    Entry entry;
    entry.action = action;
    if (dataset_of) entry.dataset_slug = dataset_of(request);
    http::Response response;
    try {
      response = handler(request);
    } catch (...) {
      entry.success = false;  // the server answers 500
      entry.metadata_json = R"({"error":"internal error"})";
      Record(request, std::move(entry));
      throw;
    }
    entry.success = response.status >= 200 && response.status < 300;
    if (!entry.success) entry.metadata_json = ErrorMetadata(response);
    Record(request, std::move(entry));
    return response;
  };
}

http::Handler Audited(const RequestAudit* audit, std::string action,
                      RequestAudit::DatasetOf dataset_of, http::Handler handler) {
  if (audit == nullptr) return handler;
  return audit->Wrap(std::move(action), std::move(dataset_of), std::move(handler));
}

RequestAudit::DatasetOf DatasetFromPath(std::string name) {
  return [name = std::move(name)](const http::Request& request) -> std::optional<std::string> {
    auto value = request.PathParam(name);
    if (!value || value->empty()) return std::nullopt;
    return std::string(*value);
  };
}

}  // namespace timestore::api
