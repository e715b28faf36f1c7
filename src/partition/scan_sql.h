// Scan SQL: the DuckDB text that reads partition files - the FROM item of a file (a Parquet scan,
// or the table of an attached DuckDB file), the select list that reads a file of one schema
// version as another schema's columns, the grouping of many files into few scans, and the DDL and
// COPY options the writers use. Written once for the query path, compaction and export. Pure
// functions; thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/types.h"

namespace timestore::partition {

// How a projection reads the columns a file has.
enum class PresentColumns {
  kAsStored,      // by name, as the file stores them (the query path: no cast to pay per row)
  kCastToSchema,  // CAST to the schema's type (compaction and export write what they read)
};

// The select list producing `columns`, in order, from a file whose schema version has `present`
// columns. An absent column reads as a typed NULL, so scans of different schema versions union by
// name and by position:
//   kAsStored:     "<col>" or CAST(NULL AS <type>) AS "<col>"
//   kCastToSchema: CAST("<col>" AS <type>) AS "<col>" or CAST(NULL AS <type>) AS "<col>"
std::string ProjectionSql(const std::vector<catalog::ColumnDef>& columns,
                          const std::vector<catalog::ColumnDef>& present, PresentColumns mode);

// The columns of schema version `version` in `versions`; none for an unknown version.
const std::vector<catalog::ColumnDef>& ColumnsOf(
    const std::map<int, std::vector<catalog::ColumnDef>>& versions, int version);

// read_parquet([<paths>], hive_partitioning = false): object keys look like hive partitions
// (".../window=.../..."), which must not become columns. Precondition: `paths` is not empty.
std::string ParquetScanSql(const std::vector<std::string>& paths);

// The table of a DuckDB partition file attached under `alias`: "<alias>".records.
std::string AttachedTableSql(std::string_view alias);

// One partition file as a scan input.
struct ScanFile {
  std::string path;  // Parquet files: the local path read
  catalog::WriteFormat format = catalog::WriteFormat::kParquet;
  int schema_version = 1;
  std::string attached_as;  // DuckDB files: the alias under which the file is attached
};

// One scan: the FROM item reading some files, all of schema version `schema_version`.
struct Scan {
  int schema_version = 0;
  std::string from;
};

// The scans reading `files`: one per DuckDB file (its attached table), in file order, then one
// per schema version of the Parquet files (one read_parquet over their paths, in file order), by
// ascending version.
std::vector<Scan> GroupScans(const std::vector<ScanFile>& files);

// The columns of `columns` as a CREATE TABLE column list: ("a" TIMESTAMP, "b" VARCHAR).
std::string ColumnListDdl(const std::vector<catalog::ColumnDef>& columns);

// The COPY options of a Parquet partition file: (FORMAT parquet, COMPRESSION zstd,
// ROW_GROUP_SIZE kParquetRowGroupRows).
std::string ParquetCopyOptions();

}  // namespace timestore::partition
