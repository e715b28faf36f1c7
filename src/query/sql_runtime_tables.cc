#include "query/sql_runtime_tables.h"

#include <cstdint>
#include <memory>
#include <string>

#include "duck/appender.h"
#include "partition/file_format.h"

namespace timestore::query {
namespace {

using common::Status;

Status FillDatasets(duck::Connection& c, const std::vector<catalog::Dataset>& datasets) {
  TS_RETURN_IF_ERROR(c.Execute(
      "CREATE OR REPLACE TABLE timestore_runtime.datasets (dataset_id VARCHAR, slug VARCHAR, "
      "name VARCHAR, description VARCHAR, status VARCHAR, timestamp_column VARCHAR, "
      "write_format VARCHAR, current_version BIGINT, schema_version BIGINT, "
      "created_at TIMESTAMP, updated_at TIMESTAMP)"));
  TS_ASSIGN_OR_RETURN(duck::Appender a, duck::Appender::Create(c, "timestore_runtime", "datasets"));
  for (const catalog::Dataset& d : datasets) {
    TS_RETURN_IF_ERROR(a.AppendString(d.id.value()));
    TS_RETURN_IF_ERROR(a.AppendString(d.slug));
    TS_RETURN_IF_ERROR(a.AppendString(d.name));
    TS_RETURN_IF_ERROR(d.description ? a.AppendString(*d.description) : a.AppendNull());
    TS_RETURN_IF_ERROR(a.AppendString(catalog::DatasetStatusName(d.status)));
    TS_RETURN_IF_ERROR(a.AppendString(d.timestamp_column));
    TS_RETURN_IF_ERROR(a.AppendString(catalog::WriteFormatName(d.write_format)));
    TS_RETURN_IF_ERROR(a.AppendInt64(d.current_version));
    TS_RETURN_IF_ERROR(d.current_schema_version ? a.AppendInt64(*d.current_schema_version)
                                                : a.AppendNull());
    TS_RETURN_IF_ERROR(a.AppendTimestampMicros(d.created_at));
    TS_RETURN_IF_ERROR(a.AppendTimestampMicros(d.updated_at));
    TS_RETURN_IF_ERROR(a.EndRow());
  }
  TS_RETURN_IF_ERROR(a.Close());
  return Status::Ok();
}

Status FillPartitions(duck::Connection& c, const std::vector<catalog::Dataset>& datasets,
                      DatasetReader& reader) {
  TS_RETURN_IF_ERROR(c.Execute(
      "CREATE OR REPLACE TABLE timestore_runtime.partitions (dataset_slug VARCHAR, "
      "partition_id VARCHAR, file_format VARCHAR, row_count BIGINT, file_size_bytes BIGINT, "
      "start_time TIMESTAMP, end_time TIMESTAMP, schema_version BIGINT, "
      "added_in_version BIGINT, partition_key VARCHAR, storage_target_id VARCHAR)"));
  TS_ASSIGN_OR_RETURN(duck::Appender a,
                      duck::Appender::Create(c, "timestore_runtime", "partitions"));
  for (const catalog::Dataset& d : datasets) {
    TS_ASSIGN_OR_RETURN(std::shared_ptr<const ManifestSnapshot> manifest,
                        reader.Manifest(d, d.current_version));
    for (const auto& entry : manifest->partitions) {
      const catalog::Partition& p = entry->partition;
      TS_RETURN_IF_ERROR(a.AppendString(d.slug));
      TS_RETURN_IF_ERROR(a.AppendString(p.id.value()));
      TS_RETURN_IF_ERROR(a.AppendString(catalog::WriteFormatName(p.format)));
      TS_RETURN_IF_ERROR(a.AppendInt64(p.row_count));
      TS_RETURN_IF_ERROR(a.AppendInt64(p.file_size_bytes));
      TS_RETURN_IF_ERROR(a.AppendTimestampMicros(p.start_time));
      TS_RETURN_IF_ERROR(a.AppendTimestampMicros(p.end_time));
      TS_RETURN_IF_ERROR(a.AppendInt64(p.schema_version));
      TS_RETURN_IF_ERROR(a.AppendInt64(p.added_in_version));
      TS_RETURN_IF_ERROR(a.AppendString(p.partition_key_json));
      TS_RETURN_IF_ERROR(a.AppendString(p.storage_target_id.value()));
      TS_RETURN_IF_ERROR(a.EndRow());
    }
  }
  TS_RETURN_IF_ERROR(a.Close());
  return Status::Ok();
}

Status FillColumns(duck::Connection& c, const std::vector<catalog::Dataset>& datasets,
                   DatasetReader& reader) {
  TS_RETURN_IF_ERROR(
      c.Execute("CREATE OR REPLACE TABLE timestore_runtime.columns (dataset_slug VARCHAR, "
                "column_name VARCHAR, column_type VARCHAR, sql_type VARCHAR, ordinal BIGINT)"));
  TS_ASSIGN_OR_RETURN(duck::Appender a, duck::Appender::Create(c, "timestore_runtime", "columns"));
  for (const catalog::Dataset& d : datasets) {
    TS_ASSIGN_OR_RETURN(std::shared_ptr<const SchemaVersions> schemas, reader.Schemas(d));
    const std::vector<catalog::ColumnDef> columns = DatasetReader::CurrentColumns(d, *schemas);
    for (size_t i = 0; i < columns.size(); ++i) {
      TS_RETURN_IF_ERROR(a.AppendString(d.slug));
      TS_RETURN_IF_ERROR(a.AppendString(columns[i].name));
      TS_RETURN_IF_ERROR(a.AppendString(catalog::ColumnTypeName(columns[i].type)));
      TS_RETURN_IF_ERROR(a.AppendString(partition::SqlTypeName(columns[i].type)));
      TS_RETURN_IF_ERROR(a.AppendInt64(static_cast<int64_t>(i + 1)));
      TS_RETURN_IF_ERROR(a.EndRow());
    }
  }
  TS_RETURN_IF_ERROR(a.Close());
  return Status::Ok();
}

}  // namespace

Status FillRuntimeTable(duck::Connection& connection, std::string_view table,
                        const std::vector<catalog::Dataset>& datasets, DatasetReader& reader) {
  if (table == "datasets") return FillDatasets(connection, datasets);
  if (table == "partitions") return FillPartitions(connection, datasets, reader);
  if (table == "columns") return FillColumns(connection, datasets, reader);
  return Status::Ok();
}

}  // namespace timestore::query
