#include "query/sql_last_values.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "common/text.h"
#include "duck/sql_quoting.h"

namespace timestore::query {
namespace {

using common::Status;

const catalog::ColumnDef* FindColumn(const std::vector<catalog::ColumnDef>& columns,
                                     std::string_view name) {
  for (const catalog::ColumnDef& c : columns) {
    if (common::EqualsIgnoreCase(c.name, name)) return &c;
  }
  return nullptr;
}

// The end of the identifier starting at `i` ("quoted" with "" escapes, or a bare word); npos when
// there is none.
size_t IdentifierEnd(const std::string& sql, size_t i) {
  if (i >= sql.size()) return std::string::npos;
  if (sql[i] == '"') {
    for (size_t j = i + 1; j < sql.size(); ++j) {
      if (sql[j] != '"') continue;
      if (j + 1 < sql.size() && sql[j + 1] == '"') {
        ++j;
        continue;
      }
      return j + 1;
    }
    return std::string::npos;
  }
  size_t j = i;
  while (j < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[j])) || sql[j] == '_' ||
                            sql[j] == '-' || static_cast<unsigned char>(sql[j]) >= 0x80)) {
    ++j;
  }
  return j == i ? std::string::npos : j;
}

size_t SkipSpaces(const std::string& sql, size_t i) {
  while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i]))) ++i;
  return i;
}

// The end of the table reference `<schema> . <table>` at `location`; npos when the text there is
// not one.
size_t TableRefEnd(const std::string& sql, size_t location) {
  const size_t schema_end = IdentifierEnd(sql, location);
  if (schema_end == std::string::npos) return std::string::npos;
  const size_t dot = SkipSpaces(sql, schema_end);
  if (dot >= sql.size() || sql[dot] != '.') return std::string::npos;
  return IdentifierEnd(sql, SkipSpaces(sql, dot + 1));
}

std::string LastTable(std::string_view name) { return "timestore_last." + duck::QuoteIdent(name); }

// The rows of one partition at the last instant of each key: two scans of the file (no CTE, which
// DuckDB might materialize whole).
std::string PartitionSummarySql(const ViewInputs& in, const SourceFile& file,
                                const std::string& key, const std::string& ts) {
  const std::string rows = "(" + DatasetViewSql(in.columns, *in.schemas, {file}) + ")";
  const std::string k = duck::QuoteIdent(key);
  const std::string t = duck::QuoteIdent(ts);
  return "SELECT f.* FROM " + rows + " AS f JOIN (SELECT " + k + " AS k, max(" + t +
         ") AS m FROM " + rows + " GROUP BY ALL) AS l ON f." + k +
         " IS NOT DISTINCT FROM l.k AND f." + t + " = l.m";
}

// Makes timestore_last."<slug>/<key>" current for `in` in `sandbox`; returns its name.
common::Result<std::string> DefineLastValues(SqlSandbox& sandbox, const std::string& slug,
                                             const ViewInputs& in, const std::string& key) {
  const std::string& ts = in.timestamp_column;
  std::set<std::string>& kept = sandbox.last_value_tables[slug + "/" + key];
  std::set<std::string> wanted;
  std::string rows;
  for (size_t i = 0; i < in.files.size(); ++i) {
    const std::string table =
        in.partition_ids[i] + "/" + key + "/" + std::to_string(in.schema_version);
    wanted.insert(table);
    if (!kept.contains(table)) {
      TS_RETURN_IF_ERROR(sandbox.connection.Execute("CREATE OR REPLACE TABLE " + LastTable(table) +
                                                    " AS " +
                                                    PartitionSummarySql(in, in.files[i], key, ts)));
      kept.insert(table);
    }
    rows += (rows.empty() ? "" : " UNION ALL ") + std::string("SELECT * FROM ") + LastTable(table);
  }
  for (auto it = kept.begin(); it != kept.end();) {
    if (wanted.contains(*it)) {
      ++it;
      continue;
    }
    TS_RETURN_IF_ERROR(sandbox.connection.Execute("DROP TABLE IF EXISTS " + LastTable(*it)));
    it = kept.erase(it);
  }
  const std::string view = slug + "/" + key;
  std::string signature;
  for (const std::string& t : wanted) signature += t + "|";
  auto [known, inserted] = sandbox.last_value_views.try_emplace(view, signature);
  if (!inserted && known->second == signature) return LastTable(view);
  const std::string body = rows.empty()
                               ? DatasetViewSql(in.columns, *in.schemas, {})
                               : "SELECT * FROM (" + rows + ") QUALIFY " + duck::QuoteIdent(ts) +
                                     " = max(" + duck::QuoteIdent(ts) + ") OVER (PARTITION BY " +
                                     duck::QuoteIdent(key) + ")";
  TS_RETURN_IF_ERROR(
      sandbox.connection.Execute("CREATE OR REPLACE TABLE " + LastTable(view) + " AS " + body));
  known->second = signature;
  return LastTable(view);
}

}  // namespace

common::Result<std::string> UseLastValues(SqlSandbox& sandbox, const GuardedStatement& guarded,
                                          const std::map<std::string, ViewInputs>& inputs,
                                          const std::string& sql, std::vector<std::string>& used) {
  std::vector<const LastValueCandidate*> candidates;
  for (const LastValueCandidate& c : guarded.last_value_candidates) candidates.push_back(&c);
  // Last location first, so that splicing keeps the earlier locations valid.
  std::sort(candidates.begin(), candidates.end(),
            [](auto* a, auto* b) { return a->table_location > b->table_location; });
  std::string out = sql;
  for (const LastValueCandidate* c : candidates) {
    auto in = inputs.find(c->slug);
    if (in == inputs.end()) continue;
    const catalog::ColumnDef* key = FindColumn(in->second.columns, c->key_column);
    if (key == nullptr || !common::EqualsIgnoreCase(c->max_column, in->second.timestamp_column)) {
      continue;
    }
    const size_t end = TableRefEnd(out, c->table_location);
    if (end == std::string::npos) continue;
    TS_ASSIGN_OR_RETURN(std::string table,
                        DefineLastValues(sandbox, c->slug, in->second, key->name));
    out.replace(c->table_location, end - c->table_location, table);
    used.push_back(c->slug + "/" + key->name);
  }
  std::sort(used.begin(), used.end());
  used.erase(std::unique(used.begin(), used.end()), used.end());
  return out;
}

}  // namespace timestore::query
