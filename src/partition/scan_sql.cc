#include "partition/scan_sql.h"

#include <algorithm>

#include "duck/sql_quoting.h"
#include "partition/file_format.h"

namespace timestore::partition {

using catalog::ColumnDef;
using duck::QuoteIdent;
using duck::QuoteLiteral;

std::string ProjectionSql(const std::vector<ColumnDef>& columns,
                          const std::vector<ColumnDef>& present, PresentColumns mode) {
  std::string sql;
  for (const ColumnDef& c : columns) {
    if (!sql.empty()) sql += ", ";
    const std::string name = QuoteIdent(c.name);
    const std::string type(SqlTypeName(c.type));
    const bool has = std::any_of(present.begin(), present.end(),
                                 [&](const ColumnDef& p) { return p.name == c.name; });
    if (!has) {
      sql += "CAST(NULL AS " + type + ") AS " + name;
    } else if (mode == PresentColumns::kAsStored) {
      sql += name;
    } else {
      sql += "CAST(" + name + " AS " + type + ") AS " + name;
    }
  }
  return sql;
}

const std::vector<ColumnDef>& ColumnsOf(const std::map<int, std::vector<ColumnDef>>& versions,
                                        int version) {
  static const std::vector<ColumnDef> kNone;
  auto it = versions.find(version);
  return it == versions.end() ? kNone : it->second;
}

std::string ParquetScanSql(const std::vector<std::string>& paths) {
  std::string list;
  for (const std::string& p : paths) list += (list.empty() ? "" : ", ") + QuoteLiteral(p);
  return "read_parquet([" + list + "], hive_partitioning = false)";
}

std::string AttachedTableSql(std::string_view alias) {
  return QuoteIdent(alias) + "." + std::string(kTableName);
}

std::vector<Scan> GroupScans(const std::vector<ScanFile>& files) {
  std::vector<Scan> scans;
  std::map<int, std::vector<std::string>> parquet_by_version;
  for (const ScanFile& f : files) {
    if (f.format == catalog::WriteFormat::kParquet) {
      parquet_by_version[f.schema_version].push_back(f.path);
    } else {
      scans.push_back(Scan{f.schema_version, AttachedTableSql(f.attached_as)});
    }
  }
  for (const auto& [version, paths] : parquet_by_version) {
    scans.push_back(Scan{version, ParquetScanSql(paths)});
  }
  return scans;
}

std::string ColumnListDdl(const std::vector<ColumnDef>& columns) {
  std::string ddl = "(";
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) ddl += ", ";
    ddl += QuoteIdent(columns[i].name) + " " + std::string(SqlTypeName(columns[i].type));
  }
  return ddl + ")";
}

std::string ParquetCopyOptions() {
  return "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE " +
         std::to_string(kParquetRowGroupRows) + ")";
}

}  // namespace timestore::partition
