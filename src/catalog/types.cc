#include "catalog/types.h"

#include <array>
#include <utility>

#include "catalog/rows.h"

namespace timestore::catalog {
namespace {

template <typename E, size_t N>
std::string_view NameOf(const std::array<std::pair<E, std::string_view>, N>& table, E value) {
  for (const auto& [e, name] : table) {
    if (e == value) return name;
  }
  return "unknown";
}

template <typename E, size_t N>
std::optional<E> ParseName(const std::array<std::pair<E, std::string_view>, N>& table,
                           std::string_view name) {
  for (const auto& [e, n] : table) {
    if (n == name) return e;
  }
  return std::nullopt;
}

constexpr std::array<std::pair<ColumnType, std::string_view>, 5> kColumnTypes{{
    {ColumnType::kTimestamp, "timestamp"},
    {ColumnType::kString, "string"},
    {ColumnType::kDouble, "double"},
    {ColumnType::kInteger, "integer"},
    {ColumnType::kBoolean, "boolean"},
}};
constexpr std::array<std::pair<WriteFormat, std::string_view>, 2> kWriteFormats{{
    {WriteFormat::kDuckdb, "duckdb"},
    {WriteFormat::kParquet, "parquet"},
}};
constexpr std::array<std::pair<VersionKind, std::string_view>, 6> kVersionKinds{{
    {VersionKind::kIngest, "ingest"},
    {VersionKind::kCompaction, "compaction"},
    {VersionKind::kRetention, "retention"},
    {VersionKind::kDelete, "delete"},
    {VersionKind::kSchema, "schema"},
    {VersionKind::kRestore, "restore"},
}};
constexpr std::array<std::pair<JobStatus, std::string_view>, 5> kJobStatuses{{
    {JobStatus::kPending, "pending"},
    {JobStatus::kRunning, "running"},
    {JobStatus::kSucceeded, "succeeded"},
    {JobStatus::kFailed, "failed"},
    {JobStatus::kCancelled, "cancelled"},
}};

}  // namespace

std::string_view ColumnTypeName(ColumnType type) { return NameOf(kColumnTypes, type); }
std::optional<ColumnType> ParseColumnType(std::string_view name) {
  return ParseName(kColumnTypes, name);
}
std::string_view StorageKindName(StorageKind kind) {
  return kind == StorageKind::kS3 ? "s3" : "local";
}
std::string_view DatasetStatusName(DatasetStatus status) {
  return status == DatasetStatus::kArchived ? "archived" : "active";
}
std::string_view WriteFormatName(WriteFormat format) { return NameOf(kWriteFormats, format); }
std::optional<WriteFormat> ParseWriteFormat(std::string_view name) {
  return ParseName(kWriteFormats, name);
}
std::string_view VersionKindName(VersionKind kind) { return NameOf(kVersionKinds, kind); }
std::string_view JobStatusName(JobStatus status) { return NameOf(kJobStatuses, status); }

namespace rows {
std::optional<VersionKind> ParseVersionKind(std::string_view name) {
  return ParseName(kVersionKinds, name);
}
std::optional<JobStatus> ParseJobStatus(std::string_view name) {
  return ParseName(kJobStatuses, name);
}
}  // namespace rows

bool IsValidDatasetSlug(std::string_view slug) {
  if (slug.empty() || slug.size() > 64) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(slug[0])) return false;
  for (char c : slug) {
    if (!alnum(c) && c != '-' && c != '_') return false;
  }
  // Object keys start with the slug; "exports/" belongs to the Parquet exports.
  return slug != "exports";
}

bool IsValidSavedQueryId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string Dataset::ETag() const {
  return "\"" + id.value() + "." + std::to_string(revision) + "\"";
}

}  // namespace timestore::catalog
