#include "lifecycle/retention.h"

#include <algorithm>
#include <limits>
#include <set>

#include <simdjson.h>

#include "common/json_writer.h"

namespace timestore::lifecycle {

using common::Result;
using common::Status;
using common::UnixMicros;

namespace {

constexpr int64_t kMicrosPerHour = int64_t{3600} * 1'000'000;

// A non-negative integer no larger than `max`; kInvalidArgument naming `field` otherwise.
Result<int64_t> ReadCount(simdjson::dom::element value, std::string_view field, int64_t max) {
  const std::string too_large = std::string(field) + ": must be at most " + std::to_string(max);
  switch (value.type()) {
    case simdjson::dom::element_type::INT64: {
      const int64_t n = value.get_int64().value_unsafe();
      if (n < 0) break;
      if (n > max) return common::InvalidArgument(too_large);
      return n;
    }
    case simdjson::dom::element_type::UINT64:  // above INT64_MAX: beyond every bound
      return common::InvalidArgument(too_large);
    default:
      break;
  }
  return common::InvalidArgument(std::string(field) + ": must be a non-negative integer");
}

Status ParseRules(simdjson::dom::element rules, RetentionPolicy& policy) {
  simdjson::dom::object object;
  if (rules.get_object().get(object)) return common::InvalidArgument("rules: must be an object");
  std::set<std::string, std::less<>> seen;
  for (simdjson::dom::key_value_pair field : object) {
    const std::string name = "rules." + std::string(field.key);
    if (!seen.insert(std::string(field.key)).second) {
      return common::InvalidArgument(name + ": duplicate field");
    }
    if (field.key == "maxAgeHours") {
      TS_ASSIGN_OR_RETURN(policy.max_age_hours,
                          ReadCount(field.value, name, kMaxRetentionAgeHours));
    } else if (field.key == "maxTotalBytes") {
      TS_ASSIGN_OR_RETURN(policy.max_total_bytes,
                          ReadCount(field.value, name, std::numeric_limits<int64_t>::max()));
    } else {
      return common::InvalidArgument(name + ": unknown field");
    }
  }
  if (!policy.max_age_hours && !policy.max_total_bytes) {
    return common::InvalidArgument(
        "rules: at least one of maxAgeHours and maxTotalBytes is required");
  }
  return Status::Ok();
}

void WritePolicy(common::JsonWriter& w, const RetentionPolicy& policy) {
  w.BeginObject().Key("rules").BeginObject();
  if (policy.max_age_hours) w.Key("maxAgeHours").Int(*policy.max_age_hours);
  if (policy.max_total_bytes) w.Key("maxTotalBytes").Int(*policy.max_total_bytes);
  w.EndObject();
  if (policy.delete_grace_minutes) w.Key("deleteGraceMinutes").Int(*policy.delete_grace_minutes);
  w.EndObject();
}

// The live partitions in the order the size rule removes them: oldest end, then oldest start.
bool OlderFirst(const catalog::Partition& a, const catalog::Partition& b) {
  if (a.end_time != b.end_time) return a.end_time < b.end_time;
  if (a.start_time != b.start_time) return a.start_time < b.start_time;
  return a.id.value() < b.id.value();
}

std::string RunResultJson(const RetentionPlan& plan, std::optional<int64_t> version) {
  common::JsonWriter w;
  w.BeginObject()
      .Key("partitionsRemoved")
      .Int(static_cast<int64_t>(plan.remove.size()))
      .Key("rowsRemoved")
      .Int(plan.rows)
      .Key("bytesRemoved")
      .Int(plan.bytes)
      .Key("byAge")
      .Int(plan.by_age)
      .Key("bySize")
      .Int(plan.by_size)
      .Key("version");
  if (version) {
    w.Int(*version);
  } else {
    w.Null();
  }
  w.Key("policy");
  WritePolicy(w, plan.policy);
  w.EndObject();
  return w.str();
}

}  // namespace

Result<RetentionPolicy> ParseRetentionPolicy(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(simdjson::padded_string(json)).get(root)) {
    return common::InvalidArgument("policy: not a valid JSON document");
  }
  simdjson::dom::object object;
  if (root.get_object().get(object)) return common::InvalidArgument("policy: must be an object");
  RetentionPolicy policy;
  bool has_rules = false;
  std::set<std::string, std::less<>> seen;
  for (simdjson::dom::key_value_pair field : object) {
    if (!seen.insert(std::string(field.key)).second) {
      return common::InvalidArgument(std::string(field.key) + ": duplicate field");
    }
    if (field.key == "rules") {
      TS_RETURN_IF_ERROR(ParseRules(field.value, policy));
      has_rules = true;
    } else if (field.key == "deleteGraceMinutes") {
      TS_ASSIGN_OR_RETURN(policy.delete_grace_minutes,
                          ReadCount(field.value, "deleteGraceMinutes", kMaxRetentionGraceMinutes));
    } else {
      return common::InvalidArgument(std::string(field.key) + ": unknown field");
    }
  }
  if (!has_rules) return common::InvalidArgument("rules: required");
  return policy;
}

std::string RetentionPolicyJson(const RetentionPolicy& policy) {
  common::JsonWriter w;
  WritePolicy(w, policy);
  return w.str();
}

RetentionPolicy DefaultRetentionPolicy(const LifecycleOptions& options) {
  RetentionPolicy p;
  p.max_age_hours = options.retention_default_max_age_hours;
  p.max_total_bytes = options.retention_default_max_total_bytes;
  p.delete_grace_minutes = options.retention_default_grace_minutes;
  return p;
}

Result<StoredRetentionPolicy> LoadRetentionPolicy(catalog::Catalog& catalog,
                                                  const catalog::DatasetId& dataset_id,
                                                  const LifecycleOptions& options) {
  TS_ASSIGN_OR_RETURN(std::optional<catalog::RetentionPolicyRecord> record,
                      catalog.retention().Find(dataset_id));
  StoredRetentionPolicy out;
  if (!record) {
    out.policy = DefaultRetentionPolicy(options);
    return out;
  }
  auto parsed = ParseRetentionPolicy(record->policy_json);
  if (!parsed.ok()) {
    return common::Internal("the stored retention policy of dataset " + dataset_id.value() +
                            " is invalid: " + parsed.status().message());
  }
  out.policy = *parsed;
  out.is_default = false;
  out.updated_by = record->updated_by;
  out.updated_at = record->updated_at;
  return out;
}

Result<RetentionPolicy> PutRetentionPolicy(catalog::Catalog& catalog,
                                           const catalog::DatasetId& dataset_id,
                                           std::string_view policy_json,
                                           const std::optional<std::string>& updated_by) {
  TS_ASSIGN_OR_RETURN(RetentionPolicy policy, ParseRetentionPolicy(policy_json));
  TS_RETURN_IF_ERROR(
      catalog.retention().Put(dataset_id, RetentionPolicyJson(policy), updated_by).status());
  return policy;
}

Result<RetentionPlan> PlanRetention(catalog::Catalog& catalog, const catalog::Dataset& dataset,
                                    const RetentionPolicy& policy, UnixMicros now) {
  // The version is read first and the live set listed AT it, so the plan is one consistent
  // snapshot even when commits land in between (the run's commit then conflicts and re-plans).
  TS_ASSIGN_OR_RETURN(std::optional<catalog::Dataset> current,
                      catalog.datasets().FindById(dataset.id));
  if (!current) return common::NotFound("dataset " + dataset.id.value() + " not found");
  RetentionPlan plan;
  plan.dataset_id = dataset.id;
  plan.version = current->current_version;
  plan.now = now;
  plan.policy = policy;
  TS_ASSIGN_OR_RETURN(
      std::vector<catalog::Partition> live,
      catalog.manifests().ListLivePartitions(dataset.id, plan.version, std::nullopt));
  std::sort(live.begin(), live.end(), OlderFirst);
  plan.live_partitions = static_cast<int64_t>(live.size());
  for (const catalog::Partition& p : live) plan.live_bytes += p.file_size_bytes;

  if (policy.max_age_hours) {
    plan.age_cutoff = now - *policy.max_age_hours * kMicrosPerHour;
  }
  std::vector<const catalog::Partition*> kept;
  int64_t kept_bytes = 0;
  for (const catalog::Partition& p : live) {
    if (plan.age_cutoff && p.end_time < *plan.age_cutoff) {
      plan.remove.push_back({p, kRetentionReasonAge});
      ++plan.by_age;
    } else {
      kept.push_back(&p);
      kept_bytes += p.file_size_bytes;
    }
  }
  if (policy.max_total_bytes) {
    for (const catalog::Partition* p : kept) {
      if (kept_bytes <= *policy.max_total_bytes) break;
      plan.remove.push_back({*p, kRetentionReasonSize});
      ++plan.by_size;
      kept_bytes -= p->file_size_bytes;
    }
  }
  for (const RetentionCandidate& c : plan.remove) {
    plan.rows += c.partition.row_count;
    plan.bytes += c.partition.file_size_bytes;
  }
  return plan;
}

Result<std::string> RetentionOperation::Run(JobContext& context) const {
  if (!context.job.dataset_id) {
    return common::InvalidArgument("a retention job needs a dataset");
  }
  const catalog::DatasetId& id = *context.job.dataset_id;
  TS_ASSIGN_OR_RETURN(std::optional<catalog::Dataset> dataset,
                      context.catalog.datasets().FindById(id));
  if (!dataset) return common::NotFound("dataset " + id.value() + " not found");
  TS_ASSIGN_OR_RETURN(StoredRetentionPolicy stored,
                      LoadRetentionPolicy(context.catalog, id, context.options));

  Status last;
  for (int attempt = 0; attempt < 2; ++attempt) {
    TS_ASSIGN_OR_RETURN(RetentionPlan plan,
                        PlanRetention(context.catalog, *dataset, stored.policy, context.now()));
    if (plan.remove.empty()) return RunResultJson(plan, std::nullopt);
    TS_RETURN_IF_ERROR(context.heartbeat());

    catalog::VersionCommit commit;
    commit.dataset_id = id;
    commit.expected_version = plan.version;
    commit.kind = catalog::VersionKind::kRetention;
    commit.actor = context.actor;
    commit.remove.reserve(plan.remove.size());
    for (const RetentionCandidate& c : plan.remove) commit.remove.push_back(c.partition.id);
    common::JsonWriter details;
    details.BeginObject()
        .Key("byAge")
        .Int(plan.by_age)
        .Key("bySize")
        .Int(plan.by_size)
        .Key("ageCutoff");
    if (plan.age_cutoff) {
      details.String(common::FormatIso8601(*plan.age_cutoff));
    } else {
      details.Null();
    }
    details.Key("policy");
    WritePolicy(details, plan.policy);
    details.EndObject();
    commit.details_json = details.str();

    auto committed = context.catalog.manifests().Commit(commit);
    if (committed.ok()) return RunResultJson(plan, committed->version.version);
    last = committed.status();
    if (last.code() != common::StatusCode::kConflict) return last;
  }
  return last;
}

}  // namespace timestore::lifecycle
