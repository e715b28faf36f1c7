#include "catalog/dataset_repository.h"

#include "catalog/rows.h"
#include "common/json_writer.h"

namespace timestore::catalog {

using common::Result;

namespace {

// The stored form of a schema's columns (dataset_schema_versions.columns):
// [{"name":"timestamp","type":"timestamp"}, ...]; kSchemaVersionQuery reads it back.
std::string ColumnsJson(const std::vector<ColumnDef>& columns) {
  common::JsonWriter w;
  w.BeginArray();
  for (const auto& c : columns) {
    w.BeginObject().Key("name").String(c.name);
    w.Key("type").String(ColumnTypeName(c.type)).EndObject();
  }
  w.EndArray();
  return w.TakeBuffer();
}

// Reads the versions selected by kSchemaVersionQuery (one row per column, ordered).
constexpr std::string_view kSchemaVersionQuery =
    "SELECT v.version, " TS_MICROS("v.created_at") ", c.ord, c.col->>'name', c.col->>'type' "
    "FROM dataset_schema_versions v "
    "LEFT JOIN LATERAL jsonb_array_elements(v.columns) WITH ORDINALITY AS c(col, ord) ON true "
    "WHERE v.dataset_id = $1 ";

std::vector<SchemaVersion> ReadSchemaVersions(const DatasetId& id, const PgResult& res) {
  std::vector<SchemaVersion> out;
  for (int i = 0; i < res.rows(); ++i) {
    const int version = static_cast<int>(res.GetInt64(i, 0));
    if (out.empty() || out.back().version != version) {
      out.push_back(SchemaVersion{id, version, {}, res.GetInt64(i, 1)});
    }
    if (res.IsNull(i, 2)) continue;
    out.back().columns.push_back(
        ColumnDef{std::string(res.GetText(i, 3)),
                  ParseColumnType(res.GetText(i, 4)).value_or(ColumnType::kString)});
  }
  return out;
}

Result<std::optional<Dataset>> FindOne(PgPool& pool, std::string_view where,
                                       std::string_view value) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool.Acquire());
  TS_ASSIGN_OR_RETURN(PgResult res, lease->Exec("SELECT " + std::string(rows::kDatasetColumns) +
                                                    " FROM datasets WHERE " + std::string(where),
                                                PgParams().Add(value)));
  if (res.rows() == 0) return std::optional<Dataset>();
  return std::optional<Dataset>(rows::ReadDataset(res, 0));
}

// $1..$11: slug, name (the slug when empty), description, timestamp column, window, key columns,
// write format, default storage target, read scopes, write scopes, metadata.
PgParams DefinitionParams(const NewDataset& d) {
  PgParams params;
  params.Add(d.slug)
      .Add(d.name.empty() ? d.slug : d.name)
      .Add(d.description)
      .Add(d.timestamp_column)
      .Add(d.partition_window_seconds)
      .AddTextArray(d.partition_key_columns)
      .Add(WriteFormatName(d.write_format));
  if (d.default_storage_target_id) {
    params.Add(d.default_storage_target_id->value());
  } else {
    params.AddNull();
  }
  params.AddTextArray(d.read_scopes).AddTextArray(d.write_scopes).Add(d.metadata_json);
  return params;
}

}  // namespace

Result<Dataset> DatasetRepository::Create(const NewDataset& d) {
  if (!IsValidDatasetSlug(d.slug)) {
    return common::InvalidArgument("invalid dataset slug '" + d.slug +
                                   "': use 1-64 lowercase letters, digits, '-' or '_', starting "
                                   "with a letter or digit");
  }
  if (d.partition_window_seconds <= 0) {
    return common::InvalidArgument("partition window must be a positive number of seconds");
  }
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  const PgParams params = DefinitionParams(d);
  auto res = lease->Exec(
      "INSERT INTO datasets (slug, name, description, timestamp_column, partition_window_seconds, "
      "partition_key_columns, write_format, default_storage_target_id, read_scopes, write_scopes, "
      "metadata) VALUES ($1, $2, $3, $4, $5, $6::text[], $7, $8, $9::text[], $10::text[], "
      "$11::jsonb) "
      "RETURNING " +
          std::string(rows::kDatasetColumns),
      params);
  if (!res.ok()) {
    if (res.status().code() == common::StatusCode::kAlreadyExists) {
      return common::AlreadyExists("dataset '" + d.slug + "' already exists");
    }
    if (res.status().code() == common::StatusCode::kConflict) {
      return common::NotFound("storage target " + d.default_storage_target_id->value() +
                              " not found");
    }
    return res.status();
  }
  return rows::ReadDataset(*res, 0);
}

Result<EnsuredDataset> DatasetRepository::Ensure(const NewDataset& d) {
  auto created = Create(d);
  if (created.ok()) return EnsuredDataset{std::move(created).value(), true};
  if (created.status().code() != common::StatusCode::kAlreadyExists) return created.status();
  // Compared in SQL so jsonb and array equality follow PostgreSQL's rules.
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  const PgParams params = DefinitionParams(d);
  TS_ASSIGN_OR_RETURN(
      PgResult res,
      lease->Exec("SELECT " + std::string(rows::kDatasetColumns) +
                      " FROM datasets WHERE slug = $1 AND name = $2 AND description IS NOT "
                      "DISTINCT FROM $3 AND timestamp_column = $4 AND partition_window_seconds = "
                      "$5 AND partition_key_columns = $6::text[] AND write_format = $7 AND "
                      "default_storage_target_id IS NOT DISTINCT FROM $8 AND read_scopes = "
                      "$9::text[] AND write_scopes = $10::text[] AND metadata = $11::jsonb",
                  params));
  if (res.rows() == 0) {
    return common::AlreadyExists("dataset '" + d.slug +
                                 "' already exists with a different definition");
  }
  return EnsuredDataset{rows::ReadDataset(res, 0), false};
}

Result<Dataset> DatasetRepository::Update(const DatasetId& id, const DatasetPatch& patch,
                                          std::optional<int64_t> expected_revision) {
  if (patch.empty()) return common::InvalidArgument("nothing to change");
  if (patch.name && patch.name->empty()) return common::InvalidArgument("name must not be empty");
  if (patch.partition_window_seconds && *patch.partition_window_seconds <= 0) {
    return common::InvalidArgument("partition window must be a positive number of seconds");
  }
  PgParams params;
  params.Add(id.value());
  std::string sets;
  auto set = [&](std::string_view column, std::string_view cast = "") {
    sets += std::string(column) + " = $" + std::to_string(params.size()) + std::string(cast) + ", ";
  };
  if (patch.name) {
    params.Add(*patch.name);
    set("name");
  }
  if (patch.description) {
    params.Add(*patch.description);
    set("description");
  }
  if (patch.status) {
    params.Add(DatasetStatusName(*patch.status));
    set("status");
  }
  if (patch.default_storage_target_id) {
    if (*patch.default_storage_target_id) {
      params.Add((*patch.default_storage_target_id)->value());
    } else {
      params.AddNull();
    }
    set("default_storage_target_id");
  }
  if (patch.read_scopes) {
    params.AddTextArray(*patch.read_scopes);
    set("read_scopes", "::text[]");
  }
  if (patch.write_scopes) {
    params.AddTextArray(*patch.write_scopes);
    set("write_scopes", "::text[]");
  }
  if (patch.partition_window_seconds) {
    params.Add(*patch.partition_window_seconds);
    set("partition_window_seconds");
  }
  if (patch.write_format) {
    params.Add(WriteFormatName(*patch.write_format));
    set("write_format");
  }
  if (patch.metadata_json) {
    params.Add(*patch.metadata_json);
    set("metadata", "::jsonb");
  }
  std::string sql =
      "UPDATE datasets SET " + sets + "revision = revision + 1, updated_at = now() WHERE id = $1";
  if (expected_revision) {
    params.Add(*expected_revision);
    sql += " AND revision = $" + std::to_string(params.size());
  }
  sql += " RETURNING " + std::string(rows::kDatasetColumns);
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  auto res = lease->Exec(sql, params);
  if (!res.ok()) {
    if (res.status().code() == common::StatusCode::kConflict && patch.default_storage_target_id &&
        *patch.default_storage_target_id) {
      return common::NotFound("storage target " + (*patch.default_storage_target_id)->value() +
                              " not found");
    }
    return res.status();
  }
  if (res->rows() > 0) {
    Changed(id);  // one statement in autocommit: committed
    return rows::ReadDataset(*res, 0);
  }
  TS_ASSIGN_OR_RETURN(PgResult current, lease->Exec("SELECT revision FROM datasets WHERE id = $1",
                                                    PgParams().Add(id.value())));
  if (current.rows() == 0) return common::NotFound("dataset " + id.value() + " not found");
  return common::FailedPrecondition("dataset " + id.value() + " is at revision " +
                                    std::to_string(current.GetInt64(0, 0)) + ", not " +
                                    std::to_string(expected_revision.value_or(0)));
}

Result<std::optional<Dataset>> DatasetRepository::FindBySlug(std::string_view slug) {
  return FindOne(pool_, "slug = $1", slug);
}

Result<std::optional<Dataset>> DatasetRepository::FindById(const DatasetId& id) {
  return FindOne(pool_, "id = $1", id.value());
}

Result<std::optional<Dataset>> DatasetRepository::FindByIdOrSlug(std::string_view name) {
  // The id wins should a slug ever spell another dataset's id.
  return FindOne(pool_, "id = $1 OR slug = $1 ORDER BY (id = $1) DESC LIMIT 1", name);
}

Result<Dataset> DatasetRepository::GetByIdOrSlug(std::string_view name) {
  TS_ASSIGN_OR_RETURN(std::optional<Dataset> d, FindByIdOrSlug(name));
  if (!d) return common::NotFound("dataset '" + std::string(name) + "' not found");
  return std::move(*d);
}

Result<std::optional<Dataset>> DatasetRepository::FindByIdOrSlugCached(std::string_view name) {
  if (cache_ == nullptr) return FindByIdOrSlug(name);
  if (std::optional<Dataset> cached = cache_->Find(name)) return cached;
  const uint64_t generation = cache_->generation();
  TS_ASSIGN_OR_RETURN(std::optional<Dataset> found, FindByIdOrSlug(name));
  if (found) cache_->Put(*found, generation);
  return found;
}

Result<Dataset> DatasetRepository::GetBySlugCached(std::string_view slug) {
  if (cache_ != nullptr) {
    std::optional<Dataset> cached = cache_->Find(slug);
    if (cached && cached->slug == slug) return std::move(*cached);
  }
  const uint64_t generation = cache_ != nullptr ? cache_->generation() : 0;
  TS_ASSIGN_OR_RETURN(Dataset found, GetBySlug(slug));
  if (cache_ != nullptr) cache_->Put(found, generation);
  return found;
}

Result<Dataset> DatasetRepository::GetBySlug(std::string_view slug) {
  TS_ASSIGN_OR_RETURN(std::optional<Dataset> d, FindBySlug(slug));
  if (!d) return common::NotFound("dataset '" + std::string(slug) + "' not found");
  return std::move(*d);
}

Result<DatasetPage> DatasetRepository::List(const ListDatasetsOptions& options) {
  if (options.limit < 1 || options.limit > 500) {
    return common::InvalidArgument("limit must be between 1 and 500");
  }
  if (options.cursor && !IsValidDatasetSlug(*options.cursor)) {
    return common::InvalidArgument("invalid cursor");
  }
  std::string sql = "SELECT " + std::string(rows::kDatasetColumns) + " FROM datasets WHERE true";
  PgParams params;
  if (options.status) {
    params.Add(DatasetStatusName(*options.status));
    sql += " AND status = $" + std::to_string(params.size());
  }
  if (options.search) {
    params.Add(*options.search);
    const std::string p = "$" + std::to_string(params.size());
    sql += " AND (strpos(lower(slug), lower(" + p + ")) > 0 OR strpos(lower(name), lower(" + p +
           ")) > 0)";
  }
  if (options.cursor) {
    params.Add(*options.cursor);
    sql += " AND slug > $" + std::to_string(params.size());
  }
  // One extra row tells whether another page follows.
  params.Add(static_cast<int64_t>(options.limit) + 1);
  sql += " ORDER BY slug LIMIT $" + std::to_string(params.size());

  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(PgResult res, lease->Exec(sql, params));
  DatasetPage page;
  const int n = std::min(res.rows(), options.limit);
  page.items.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) page.items.push_back(rows::ReadDataset(res, i));
  if (res.rows() > options.limit) page.next_cursor = page.items.back().slug;
  return page;
}

Result<SchemaVersion> DatasetRepository::AddSchemaVersion(const DatasetId& id,
                                                          const std::vector<ColumnDef>& columns,
                                                          std::optional<int> expected_current) {
  if (columns.empty()) return common::InvalidArgument("a schema needs at least one column");
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(PgTransaction tx, PgTransaction::Begin(lease.conn()));
  TS_ASSIGN_OR_RETURN(PgResult cur, tx.Exec("SELECT current_schema_version FROM datasets "
                                            "WHERE id = $1 FOR UPDATE",
                                            PgParams().Add(id.value())));
  if (cur.rows() == 0) return common::NotFound("dataset " + id.value() + " not found");
  const std::optional<int64_t> current = cur.GetOptionalInt64(0, 0);
  if (expected_current && *expected_current != current.value_or(0)) {
    return common::Conflict("schema of dataset " + id.value() +
                            " changed concurrently (now version " +
                            std::to_string(current.value_or(0)) + ")");
  }
  const std::string columns_json = ColumnsJson(columns);
  if (current) {
    TS_ASSIGN_OR_RETURN(PgResult same,
                        tx.Exec(std::string(kSchemaVersionQuery) +
                                    "AND v.version = $2 AND v.columns = $3::jsonb ORDER BY c.ord",
                                PgParams().Add(id.value()).Add(*current).Add(columns_json)));
    if (same.rows() > 0) return ReadSchemaVersions(id, same).front();
  }
  const int64_t next = current.value_or(0) + 1;
  TS_RETURN_IF_ERROR(tx.Exec("INSERT INTO dataset_schema_versions (dataset_id, version, columns) "
                             "VALUES ($1, $2, $3::jsonb)",
                             PgParams().Add(id.value()).Add(next).Add(columns_json))
                         .status());
  TS_RETURN_IF_ERROR(tx.Exec("UPDATE datasets SET current_schema_version = $2, updated_at = now() "
                             "WHERE id = $1",
                             PgParams().Add(id.value()).Add(next))
                         .status());
  TS_ASSIGN_OR_RETURN(PgResult created, tx.Exec(std::string(kSchemaVersionQuery) +
                                                    "AND v.version = $2 ORDER BY c.ord",
                                                PgParams().Add(id.value()).Add(next)));
  TS_RETURN_IF_ERROR(tx.Commit());
  Changed(id);
  return ReadSchemaVersions(id, created).front();
}

Result<std::optional<SchemaVersion>> DatasetRepository::FindSchemaVersion(const DatasetId& id,
                                                                          int version) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(PgResult res, lease->Exec(std::string(kSchemaVersionQuery) +
                                                    "AND v.version = $2 ORDER BY c.ord",
                                                PgParams().Add(id.value()).Add(version)));
  auto versions = ReadSchemaVersions(id, res);
  if (versions.empty()) return std::optional<SchemaVersion>();
  return std::optional<SchemaVersion>(std::move(versions.front()));
}

Result<std::vector<SchemaVersion>> DatasetRepository::ListSchemaVersions(const DatasetId& id) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(PgResult res,
                      lease->Exec(std::string(kSchemaVersionQuery) + "ORDER BY v.version, c.ord",
                                  PgParams().Add(id.value())));
  return ReadSchemaVersions(id, res);
}

}  // namespace timestore::catalog
