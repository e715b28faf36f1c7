#include "api/request_metrics.h"

#include <utility>

#include "catalog/types.h"

namespace timestore::api {
namespace {

std::string_view ResultLabel(bool success) { return success ? "success" : "failure"; }

}  // namespace

RequestMetrics::RequestMetrics(observability::MetricsRegistry* registry,
                               DatasetExists dataset_exists)
    : registry_(registry), dataset_exists_(std::move(dataset_exists)) {
  if (registry_ == nullptr) return;
  ingest_duration_ = &registry_->GetHistogram(
      "timestore_ingest_duration_seconds",
      "Ingest requests from the route handler's start to its answer, whatever the outcome.");
}

std::string RequestMetrics::DatasetLabel(std::string_view slug, bool success) const {
  if (success) return std::string(slug);
  if (catalog::IsValidDatasetSlug(slug) && dataset_exists_ && dataset_exists_(slug)) {
    return std::string(slug);
  }
  return std::string(kUnknownDataset);
}

void RequestMetrics::RecordIngest(std::string_view slug, bool success, double seconds) const {
  if (registry_ == nullptr) return;
  registry_
      ->GetCounter(
          "timestore_ingest_requests_total", "Ingest requests, by dataset and result.",
          {{"dataset", DatasetLabel(slug, success)}, {"result", std::string(ResultLabel(success))}})
      .Increment();
  ingest_duration_->Observe(seconds);
}

void RequestMetrics::RecordQuery(std::string_view slug, std::string_view mode, bool success) const {
  if (registry_ == nullptr) return;
  registry_
      ->GetCounter("timestore_query_requests_total",
                   "Query requests, by dataset, mode (raw or downsampled) and result.",
                   {{"dataset", DatasetLabel(slug, success)},
                    {"mode", std::string(mode)},
                    {"result", std::string(ResultLabel(success))}})
      .Increment();
}

}  // namespace timestore::api
