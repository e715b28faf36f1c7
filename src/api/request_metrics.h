// RequestMetrics: the per-dataset request metrics of the ingest and query routes. They are
// recorded by the routes, not the services, because only a route sees every outcome: a malformed
// JSON body is answered before a service is called. Thread-safe; the registry (and whatever
// `dataset_exists` uses) must outlive it.
//
// The `dataset` label stays bounded by the number of datasets: it is the slug when the request
// succeeded or the slug names an existing dataset, and "_unknown" otherwise (a slug starts with a
// letter or digit, so no dataset is called that).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "observability/metrics.h"

namespace timestore::api {

class RequestMetrics {
 public:
  // Whether `slug` names an existing dataset; asked only for failed requests with a valid slug.
  using DatasetExists = std::function<bool(std::string_view slug)>;

  // `registry` may be null: nothing is recorded then.
  RequestMetrics(observability::MetricsRegistry* registry, DatasetExists dataset_exists);

  // timestore_ingest_requests_total{dataset,result} and timestore_ingest_duration_seconds.
  void RecordIngest(std::string_view slug, bool success, double seconds) const;

  // timestore_query_requests_total{dataset,mode,result}; `mode` is "raw" or "downsampled".
  void RecordQuery(std::string_view slug, std::string_view mode, bool success) const;

  static constexpr std::string_view kUnknownDataset = "_unknown";

 private:
  std::string DatasetLabel(std::string_view slug, bool success) const;

  observability::MetricsRegistry* const registry_;
  const DatasetExists dataset_exists_;
  observability::Histogram* ingest_duration_ = nullptr;  // set when registry_ is
};

}  // namespace timestore::api
