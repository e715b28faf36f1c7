#include "catalog/manifest_repository.h"

#include "catalog/rows.h"

namespace timestore::catalog {

using common::Result;
using common::Status;

namespace {

Result<PgResult> InsertPartition(PgTransaction& tx, const DatasetId& id, int64_t version,
                                 const NewPartition& p) {
  PgParams params;
  params.Add(id.value())
      .Add(p.storage_target_id.value())
      .Add(p.object_key.value())
      .Add(WriteFormatName(p.format))
      .Add(p.file_size_bytes)
      .Add(p.row_count)
      .Add(p.start_time)
      .Add(p.end_time)
      .Add(p.window_start)
      .Add(p.window_end)
      .Add(p.partition_key_json)
      .Add(p.attributes_json)
      .Add(p.schema_version)
      .Add(p.checksum_sha256)
      .Add(p.column_statistics_json)
      .Add(version);
  if (p.id.value().empty()) {
    params.AddNull();
  } else {
    params.Add(p.id.value());
  }
  return tx.Exec(
      "INSERT INTO dataset_partitions (id, dataset_id, storage_target_id, object_key, format, "
      "file_size_bytes, row_count, start_time, end_time, window_start, window_end, partition_key, "
      "attributes, schema_version, checksum_sha256, column_statistics, added_in_version) "
      "VALUES (coalesce($17, 'part-' || replace(gen_random_uuid()::text, '-', '')), $1, $2, $3, $4, "
      "$5, $6, " TS_FROM_MICROS("$7") ", " TS_FROM_MICROS(
          "$8") ", " TS_FROM_MICROS("$9") ", " TS_FROM_MICROS("$10") ", $11::jsonb, $12::jsonb, "
                                                                     "$13, $14, $15::jsonb, $16) "
                                                                     "RETURNING " +
          std::string(rows::kPartitionColumns),
      params);
}

// Bumps the dataset's current version under its row lock (which serializes commits of one
// dataset) and returns the new one. kNotFound for a missing dataset; kConflict when the commit
// expected another version (the check is optimistic).
Result<int64_t> BumpVersion(PgTransaction& tx, const VersionCommit& c) {
  PgParams bump;
  bump.Add(c.dataset_id.value());
  std::string bump_sql =
      "UPDATE datasets SET current_version = current_version + 1, updated_at = now() WHERE id = $1";
  if (c.expected_version) {
    bump.Add(*c.expected_version);
    bump_sql += " AND current_version = $2";
  }
  TS_ASSIGN_OR_RETURN(PgResult bumped, tx.Exec(bump_sql + " RETURNING current_version", bump));
  if (bumped.rows() == 0) {
    TS_ASSIGN_OR_RETURN(PgResult cur, tx.Exec("SELECT current_version FROM datasets WHERE id = $1",
                                              PgParams().Add(c.dataset_id.value())));
    if (cur.rows() == 0) return common::NotFound("dataset " + c.dataset_id.value() + " not found");
    return common::Conflict("dataset " + c.dataset_id.value() + " is at version " +
                            std::to_string(cur.GetInt64(0, 0)) + ", not " +
                            std::to_string(*c.expected_version) + " as this commit expected");
  }
  return bumped.GetInt64(0, 0);
}

// Starts the totals of version `v` (dataset_id and version set) from its parent's, when it has one.
common::Status ReadParentTotals(PgTransaction& tx, DatasetVersion& v) {
  TS_ASSIGN_OR_RETURN(
      PgResult parent,
      tx.Exec("SELECT partition_count, total_rows, total_bytes FROM dataset_versions "
              "WHERE dataset_id = $1 AND version = $2",
              PgParams().Add(v.dataset_id.value()).Add(v.version - 1)));
  if (parent.rows() > 0) {
    v.partition_count = parent.GetInt64(0, 0);
    v.total_rows = parent.GetInt64(0, 1);
    v.total_bytes = parent.GetInt64(0, 2);
  }
  return common::Status::Ok();
}

// Marks c.remove removed in `version` and counts what they held into `v`. kConflict when any of
// them is no longer live.
common::Status RemovePartitions(PgTransaction& tx, const VersionCommit& c, int64_t version,
                                DatasetVersion& v) {
  std::vector<std::string> ids;
  ids.reserve(c.remove.size());
  for (const auto& id : c.remove) ids.push_back(id.value());
  TS_ASSIGN_OR_RETURN(
      PgResult removed,
      tx.Exec("UPDATE dataset_partitions SET removed_in_version = $3 "
              "WHERE dataset_id = $1 AND id = ANY($2::text[]) AND removed_in_version IS NULL "
              "RETURNING id, row_count, file_size_bytes",
              PgParams().Add(c.dataset_id.value()).AddTextArray(ids).Add(version)));
  if (removed.rows() != static_cast<int>(ids.size())) {
    return common::Conflict(std::to_string(ids.size() - static_cast<size_t>(removed.rows())) +
                            " of the partitions to remove are no longer live in dataset " +
                            c.dataset_id.value());
  }
  for (int i = 0; i < removed.rows(); ++i) {
    v.rows_removed += removed.GetInt64(i, 1);
    v.bytes_removed += removed.GetInt64(i, 2);
  }
  v.partitions_removed = removed.rows();
  return common::Status::Ok();
}

// Inserts the row of version `v` (its totals filled in) for commit `c`.
Result<DatasetVersion> InsertVersionRow(PgTransaction& tx, const VersionCommit& c,
                                        const DatasetVersion& v) {
  TS_ASSIGN_OR_RETURN(
      PgResult inserted,
      tx.Exec(
          "INSERT INTO dataset_versions (dataset_id, version, parent_version, kind, "
          "schema_version, rows_added, rows_removed, bytes_added, bytes_removed, "
          "partitions_added, partitions_removed, partition_count, total_rows, total_bytes, "
          "actor, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
          "$15, $16::jsonb) RETURNING " +
              std::string(rows::kVersionColumns),
          PgParams()
              .Add(c.dataset_id.value())
              .Add(v.version)
              .Add(v.version - 1)
              .Add(VersionKindName(c.kind))
              .Add(c.schema_version)
              .Add(v.rows_added)
              .Add(v.rows_removed)
              .Add(v.bytes_added)
              .Add(v.bytes_removed)
              .Add(v.partitions_added)
              .Add(v.partitions_removed)
              .Add(v.partition_count)
              .Add(v.total_rows)
              .Add(v.total_bytes)
              .Add(c.actor)
              .Add(c.details_json)));
  return rows::ReadVersion(inserted, 0);
}

}  // namespace

Result<CommitResult> ManifestRepository::Commit(const VersionCommit& c) {
  if (c.add.empty() && c.remove.empty() && c.kind != VersionKind::kSchema) {
    return common::InvalidArgument("a version commit must add or remove partitions");
  }
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(PgTransaction tx, PgTransaction::Begin(lease.conn()));

  TS_ASSIGN_OR_RETURN(const int64_t version, BumpVersion(tx, c));

  DatasetVersion v;
  v.dataset_id = c.dataset_id;
  v.version = version;
  v.parent_version = version - 1;
  TS_RETURN_IF_ERROR(ReadParentTotals(tx, v));

  if (!c.remove.empty()) TS_RETURN_IF_ERROR(RemovePartitions(tx, c, version, v));

  CommitResult result;
  for (const NewPartition& p : c.add) {
    auto inserted = InsertPartition(tx, c.dataset_id, version, p);
    if (!inserted.ok()) {
      if (inserted.status().code() == common::StatusCode::kAlreadyExists) {
        // Invariant 1: an object key is published once and never reused.
        return common::Conflict("object key '" + p.object_key.value() + "' is already published");
      }
      return inserted.status();
    }
    result.added.push_back(rows::ReadPartition(*inserted, 0));
    v.rows_added += p.row_count;
    v.bytes_added += p.file_size_bytes;
  }
  v.partitions_added = static_cast<int>(c.add.size());
  v.partition_count += v.partitions_added - v.partitions_removed;
  v.total_rows += v.rows_added - v.rows_removed;
  v.total_bytes += v.bytes_added - v.bytes_removed;

  TS_ASSIGN_OR_RETURN(result.version, InsertVersionRow(tx, c, v));

  for (const VersionCommit::Idempotency& idem : c.idempotency) {
    const std::string response = idem.build_response ? idem.build_response(result) : "{}";
    auto recorded = tx.Exec(
        "INSERT INTO ingestion_batches (dataset_id, idempotency_key, request_hash, version, "
        "status_code, response) VALUES ($1, $2, $3, $4, $5, $6)",
        PgParams()
            .Add(c.dataset_id.value())
            .Add(idem.key)
            .Add(idem.request_hash)
            .Add(version)
            .Add(idem.status_code)
            .Add(response));
    if (!recorded.ok()) {
      if (recorded.status().code() == common::StatusCode::kAlreadyExists) {
        return common::AlreadyExists("idempotency key '" + idem.key + "' was already used");
      }
      return recorded.status();
    }
  }

  TS_RETURN_IF_ERROR(tx.Commit());
  // The trigger of migration 4 notified other processes; this one reads its own commit at once.
  if (cache_ != nullptr) cache_->Invalidate(c.dataset_id);
  return result;
}

Result<std::vector<Partition>> ManifestRepository::ListLivePartitions(
    const DatasetId& id, std::optional<int64_t> version, std::optional<TimeRange> range) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  // One snapshot for the version check and the listing.
  TS_ASSIGN_OR_RETURN(
      PgTransaction tx,
      PgTransaction::Begin(lease.conn(), "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  TS_ASSIGN_OR_RETURN(PgResult cur, tx.Exec("SELECT current_version FROM datasets WHERE id = $1",
                                            PgParams().Add(id.value())));
  if (cur.rows() == 0) return common::NotFound("dataset " + id.value() + " not found");
  const int64_t current = cur.GetInt64(0, 0);
  const int64_t at = version.value_or(current);
  if (at < 0 || at > current) {
    return common::NotFound("version " + std::to_string(at) + " of dataset " + id.value() +
                            " does not exist (current version " + std::to_string(current) + ")");
  }
  PgParams params;
  params.Add(id.value()).Add(at);
  std::string sql = "SELECT " + std::string(rows::kPartitionColumns) +
                    " FROM dataset_partitions WHERE dataset_id = $1 AND added_in_version <= $2 "
                    "AND (removed_in_version IS NULL OR removed_in_version > $2)";
  if (range) {
    params.Add(range->end).Add(range->start);
    sql += " AND start_time < " TS_FROM_MICROS("$3") " AND end_time >= " TS_FROM_MICROS("$4");
  }
  sql += " ORDER BY start_time, id";
  TS_ASSIGN_OR_RETURN(PgResult res, tx.Exec(sql, params));
  TS_RETURN_IF_ERROR(tx.Commit());
  return rows::ReadAll(res, &rows::ReadPartition);
}

Result<std::vector<Partition>> ManifestRepository::ListPartitionChanges(const DatasetId& id,
                                                                        int64_t after,
                                                                        int64_t up_to) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(PgResult res,
                      lease->Exec("SELECT " + std::string(rows::kPartitionColumns) +
                                      " FROM dataset_partitions WHERE dataset_id = $1 AND ("
                                      "(added_in_version > $2 AND added_in_version <= $3) OR "
                                      "(removed_in_version > $2 AND removed_in_version <= $3)) "
                                      "ORDER BY start_time, id",
                                  PgParams().Add(id.value()).Add(after).Add(up_to)));
  return rows::ReadAll(res, &rows::ReadPartition);
}

Result<DatasetVersion> ManifestRepository::GetVersion(const DatasetId& id, int64_t version) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(
      PgResult res, lease->Exec("SELECT " + std::string(rows::kVersionColumns) +
                                    " FROM dataset_versions WHERE dataset_id = $1 AND version = $2",
                                PgParams().Add(id.value()).Add(version)));
  if (res.rows() == 0) {
    return common::NotFound("version " + std::to_string(version) + " of dataset " + id.value() +
                            " not found");
  }
  return rows::ReadVersion(res, 0);
}

Result<std::vector<DatasetVersion>> ManifestRepository::ListVersions(
    const DatasetId& id, int limit, std::optional<int64_t> before) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  PgParams params;
  params.Add(id.value()).Add(static_cast<int64_t>(limit));
  std::string sql = "SELECT " + std::string(rows::kVersionColumns) +
                    " FROM dataset_versions WHERE dataset_id = $1";
  if (before) {
    params.Add(*before);
    sql += " AND version < $3";
  }
  sql += " ORDER BY version DESC LIMIT $2";
  TS_ASSIGN_OR_RETURN(PgResult res, lease->Exec(sql, params));
  return rows::ReadAll(res, &rows::ReadVersion);
}

Result<std::optional<IngestionBatch>> ManifestRepository::FindIngestionBatch(
    const DatasetId& id, const std::string& key) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(
      PgResult res,
      lease->Exec("SELECT request_hash, version, status_code, response, " TS_MICROS(
                      "created_at") " FROM ingestion_batches WHERE dataset_id = $1 AND "
                                    "idempotency_key = $2",
                  PgParams().Add(id.value()).Add(key)));
  if (res.rows() == 0) return std::optional<IngestionBatch>();
  IngestionBatch b;
  b.dataset_id = id;
  b.idempotency_key = key;
  b.request_hash = res.GetOptionalText(0, 0);
  b.version = res.GetOptionalInt64(0, 1);
  b.status_code = static_cast<int>(res.GetInt64(0, 2));
  b.response_json = res.GetText(0, 3);
  b.created_at = res.GetInt64(0, 4);
  return std::optional<IngestionBatch>(std::move(b));
}

Result<int64_t> ManifestRepository::CountSmallLivePartitions(const DatasetId& id,
                                                             int64_t max_bytes) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(
      PgResult res, lease->Exec("SELECT count(*) FROM dataset_partitions WHERE dataset_id = $1 AND "
                                "removed_in_version IS NULL AND file_size_bytes < $2",
                                PgParams().Add(id.value()).Add(max_bytes)));
  return res.GetInt64(0, 0);
}

Status ManifestRepository::RecordIngestionBatch(const IngestionBatch& b) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  auto res = lease->Exec(
      "INSERT INTO ingestion_batches (dataset_id, idempotency_key, request_hash, version, "
      "status_code, response) VALUES ($1, $2, $3, $4, $5, $6)",
      PgParams()
          .Add(b.dataset_id.value())
          .Add(b.idempotency_key)
          .Add(b.request_hash)
          .Add(b.version)
          .Add(b.status_code)
          .Add(b.response_json));
  if (!res.ok() && res.status().code() == common::StatusCode::kAlreadyExists) {
    return common::AlreadyExists("idempotency key '" + b.idempotency_key + "' was already used");
  }
  return res.status();
}

}  // namespace timestore::catalog
