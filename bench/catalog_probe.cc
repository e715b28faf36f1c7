#include "bench/catalog_probe.h"

#include <charconv>

#include <libpq-fe.h>

namespace timestore::bench {

namespace {

struct ResultCloser {
  void operator()(PGresult* res) const { PQclear(res); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultCloser>;

int64_t Int64At(const PGresult* res, int row, int col) {
  const char* text = PQgetvalue(res, row, col);
  int64_t v = 0;
  std::from_chars(text, text + PQgetlength(res, row, col), v);
  return v;
}

}  // namespace

void CatalogProbe::ConnCloser::operator()(pg_conn* conn) const { PQfinish(conn); }

common::Result<CatalogProbe> CatalogProbe::Connect(const std::string& url, std::string schema) {
  std::unique_ptr<pg_conn, ConnCloser> conn(PQconnectdb(url.c_str()));
  if (conn == nullptr || PQstatus(conn.get()) != CONNECTION_OK) {
    return common::Unavailable(std::string("PostgreSQL: ") +
                               (conn ? PQerrorMessage(conn.get()) : "out of memory"));
  }
  char* quoted = PQescapeIdentifier(conn.get(), schema.data(), schema.size());
  if (quoted == nullptr) return common::InvalidArgument("bad schema name: " + schema);
  std::string quoted_schema(quoted);
  PQfreemem(quoted);
  return CatalogProbe(std::move(conn), std::move(quoted_schema));
}

common::Result<DatasetSnapshot> CatalogProbe::GetDatasetSnapshot(std::string_view slug) {
  const std::string& s = quoted_schema_;
  const std::string sql =
      "WITH d AS (SELECT id FROM " + s +
      ".datasets WHERE slug = $1) "
      "SELECT v.version, v.total_rows, v.total_bytes, "
      "       (SELECT count(*) FROM " +
      s +
      ".dataset_partitions p "
      "         WHERE p.dataset_id = (SELECT id FROM d) AND p.removed_in_version IS NULL), "
      "       (SELECT coalesce(string_agg(DISTINCT p.format, '+' ORDER BY p.format), '') FROM " +
      s +
      ".dataset_partitions p "
      "         WHERE p.dataset_id = (SELECT id FROM d) AND p.removed_in_version IS NULL) "
      "FROM " +
      s +
      ".dataset_versions v "
      "WHERE v.dataset_id = (SELECT id FROM d) ORDER BY v.version DESC LIMIT 1";
  const std::string slug_text(slug);
  const char* params[1] = {slug_text.c_str()};
  ResultPtr res(PQexecParams(conn_.get(), sql.c_str(), 1, nullptr, params, nullptr, nullptr, 0));
  if (res == nullptr || PQresultStatus(res.get()) != PGRES_TUPLES_OK) {
    return common::Unavailable(std::string("catalog query: ") + PQerrorMessage(conn_.get()));
  }
  if (PQntuples(res.get()) == 0) {
    return common::NotFound("no committed version of dataset '" + slug_text + "'");
  }
  DatasetSnapshot snapshot;
  snapshot.version = Int64At(res.get(), 0, 0);
  snapshot.total_rows = Int64At(res.get(), 0, 1);
  snapshot.total_bytes = Int64At(res.get(), 0, 2);
  snapshot.live_partitions = Int64At(res.get(), 0, 3);
  snapshot.formats = PQgetvalue(res.get(), 0, 4);
  return snapshot;
}

common::Result<std::vector<std::string>> CatalogProbe::ListLiveObjectKeys(std::string_view slug) {
  const std::string& s = quoted_schema_;
  const std::string sql = "SELECT p.object_key FROM " + s + ".dataset_partitions p JOIN " + s +
                          ".datasets d ON d.id = p.dataset_id "
                          "WHERE d.slug = $1 AND p.removed_in_version IS NULL "
                          "ORDER BY p.start_time, p.object_key";
  const std::string slug_text(slug);
  const char* params[1] = {slug_text.c_str()};
  ResultPtr res(PQexecParams(conn_.get(), sql.c_str(), 1, nullptr, params, nullptr, nullptr, 0));
  if (res == nullptr || PQresultStatus(res.get()) != PGRES_TUPLES_OK) {
    return common::Unavailable(std::string("catalog query: ") + PQerrorMessage(conn_.get()));
  }
  std::vector<std::string> keys;
  keys.reserve(static_cast<size_t>(PQntuples(res.get())));
  for (int row = 0; row < PQntuples(res.get()); ++row)
    keys.emplace_back(PQgetvalue(res.get(), row, 0));
  return keys;
}

}  // namespace timestore::bench
