#include "catalog/pg_connection.h"

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <sstream>

#include <libpq-fe.h>
#include <poll.h>

namespace timestore::catalog {

using common::Result;
using common::Status;
using common::StatusCode;

PgParams& PgParams::Add(std::string_view v) {
  values_.emplace_back(std::string(v));
  return *this;
}

PgParams& PgParams::Add(int64_t v) {
  values_.emplace_back(std::to_string(v));
  return *this;
}

PgParams& PgParams::Add(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  values_.emplace_back(std::string(buf, end));
  return *this;
}

PgParams& PgParams::Add(bool v) {
  values_.emplace_back(v ? "true" : "false");
  return *this;
}

PgParams& PgParams::AddNull() {
  values_.emplace_back(std::nullopt);
  return *this;
}

PgParams& PgParams::AddTextArray(const std::vector<std::string>& values) {
  std::string lit = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) lit.push_back(',');
    lit.push_back('"');
    for (char c : values[i]) {
      if (c == '"' || c == '\\') lit.push_back('\\');
      lit.push_back(c);
    }
    lit.push_back('"');
  }
  lit.push_back('}');
  values_.emplace_back(std::move(lit));
  return *this;
}

PgResult::PgResult(pg_result* res) : res_(res) {}
PgResult::PgResult(PgResult&& o) noexcept : res_(o.res_) { o.res_ = nullptr; }
PgResult& PgResult::operator=(PgResult&& o) noexcept {
  if (this != &o) {
    if (res_ != nullptr) PQclear(res_);
    res_ = o.res_;
    o.res_ = nullptr;
  }
  return *this;
}
PgResult::~PgResult() {
  if (res_ != nullptr) PQclear(res_);
}

int PgResult::rows() const { return res_ == nullptr ? 0 : PQntuples(res_); }
int PgResult::columns() const { return res_ == nullptr ? 0 : PQnfields(res_); }

int64_t PgResult::affected_rows() const {
  if (res_ == nullptr) return 0;
  const char* n = PQcmdTuples(res_);
  return (n == nullptr || *n == '\0') ? 0 : std::strtoll(n, nullptr, 10);
}

std::string_view PgResult::command_tag() const {
  if (res_ == nullptr) return {};
  const char* tag = PQcmdStatus(res_);
  return tag == nullptr ? std::string_view() : std::string_view(tag);
}

bool PgResult::IsNull(int row, int col) const { return PQgetisnull(res_, row, col) != 0; }

std::string_view PgResult::GetText(int row, int col) const {
  if (IsNull(row, col)) return {};
  return {PQgetvalue(res_, row, col), static_cast<size_t>(PQgetlength(res_, row, col))};
}

std::optional<std::string> PgResult::GetOptionalText(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  return std::string(GetText(row, col));
}

int64_t PgResult::GetInt64(int row, int col) const {
  std::string_view t = GetText(row, col);
  int64_t v = 0;
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}

std::optional<int64_t> PgResult::GetOptionalInt64(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  return GetInt64(row, col);
}

double PgResult::GetDouble(int row, int col) const {
  if (IsNull(row, col)) return 0;
  return std::strtod(PQgetvalue(res_, row, col), nullptr);
}

bool PgResult::GetBool(int row, int col) const {
  std::string_view t = GetText(row, col);
  return !t.empty() && t[0] == 't';
}

std::vector<std::string> PgResult::GetTextArray(int row, int col) const {
  std::vector<std::string> out;
  std::string_view t = GetText(row, col);
  if (t.size() < 2 || t.front() != '{') return out;
  size_t i = 1;
  const size_t end = t.size() - 1;  // index of the closing brace
  while (i < end) {
    std::string element;
    if (t[i] == '"') {
      ++i;
      while (i < end && t[i] != '"') {
        if (t[i] == '\\' && i + 1 < end) ++i;
        element.push_back(t[i++]);
      }
      ++i;  // closing quote
    } else {
      size_t start = i;
      while (i < end && t[i] != ',') ++i;
      element = std::string(t.substr(start, i - start));
      if (element == "NULL") element.clear();
    }
    out.push_back(std::move(element));
    if (i < end && t[i] == ',') ++i;
  }
  return out;
}

StatusCode StatusFromSqlState(std::string_view s) {
  if (s == "23505") return StatusCode::kAlreadyExists;
  if (s == "40001" || s == "40P01" || s == "55P03" || s == "23503") return StatusCode::kConflict;
  if (s == "57014") return StatusCode::kDeadlineExceeded;
  if (s == "23514" || s == "23502" || s == "22P02" || s == "22007" || s == "22008" ||
      s == "22003") {
    return StatusCode::kInvalidArgument;
  }
  if (s.substr(0, 2) == "08" || s == "57P01" || s == "57P02" || s == "57P03" || s == "53300" ||
      s == "53400") {
    return StatusCode::kUnavailable;
  }
  return StatusCode::kInternal;
}

std::string QuoteIdent(std::string_view ident) {
  std::string out = "\"";
  for (char c : ident) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

namespace {

// libpq error messages end with a newline; trim it and anything after the first line.
std::string FirstLine(const char* message) {
  std::string m = message == nullptr ? "" : message;
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  if (m.rfind("ERROR:  ", 0) == 0) m = m.substr(8);
  if (m.rfind("FATAL:  ", 0) == 0) m = m.substr(8);
  const auto nl = m.find('\n');
  if (nl != std::string::npos) m = m.substr(0, nl);
  return m;
}

}  // namespace

Result<PgConnection> PgConnection::Connect(const PgConnectOptions& options) {
  const std::string timeout_s =
      std::to_string(std::max<int64_t>(1, (options.connect_timeout.count() + 999) / 1000));
  // NOTICEs ("relation ... already exists, skipping") would reach stderr as raw libpq text.
  std::string server_options = "-c client_min_messages=warning";
  if (options.statement_timeout.count() > 0) {
    server_options += " -c statement_timeout=" + std::to_string(options.statement_timeout.count());
  }
  const char* keys[] = {"dbname", "connect_timeout", "application_name", "options", nullptr};
  const char* values[] = {options.url.c_str(), timeout_s.c_str(), options.application_name.c_str(),
                          server_options.c_str(), nullptr};
  pg_conn* raw = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (raw == nullptr) return common::Unavailable("PostgreSQL: out of memory creating a connection");
  PgConnection conn(raw);
  if (PQstatus(raw) != CONNECTION_OK) {
    std::string host = PQhost(raw) == nullptr ? "?" : PQhost(raw);
    std::string port = PQport(raw) == nullptr ? "?" : PQport(raw);
    return common::Unavailable("PostgreSQL at " + host + ":" + port +
                               " is unreachable: " + FirstLine(PQerrorMessage(raw)));
  }
  if (!options.schema.empty()) {
    auto set = conn.Exec("SELECT set_config('search_path', $1, false)",
                         PgParams().Add(QuoteIdent(options.schema)));
    if (!set.ok()) return set.status();
  }
  return conn;
}

PgConnection::PgConnection(PgConnection&& o) noexcept : conn_(o.conn_) { o.conn_ = nullptr; }
PgConnection& PgConnection::operator=(PgConnection&& o) noexcept {
  if (this != &o) {
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = o.conn_;
    o.conn_ = nullptr;
  }
  return *this;
}
PgConnection::~PgConnection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

Status PgConnection::ErrorFromResult(pg_result* res, std::string_view sql) const {
  if (PQstatus(conn_) != CONNECTION_OK) {
    return common::Unavailable("PostgreSQL connection lost: " + FirstLine(PQerrorMessage(conn_)));
  }
  const char* state = res == nullptr ? nullptr : PQresultErrorField(res, PG_DIAG_SQLSTATE);
  const char* primary = res == nullptr ? nullptr : PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
  std::string message = primary != nullptr ? primary : FirstLine(PQerrorMessage(conn_));
  const StatusCode code = state == nullptr ? StatusCode::kInternal : StatusFromSqlState(state);
  if (code == StatusCode::kInternal) {
    // Unexpected failures keep the SQLSTATE and the start of the statement for diagnosis.
    message += " [SQLSTATE " + std::string(state == nullptr ? "?" : state) +
               "] in: " + std::string(sql.substr(0, 120));
  }
  return {code, std::move(message)};
}

Result<PgResult> PgConnection::Exec(std::string_view sql, const PgParams& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& v : params.values()) values.push_back(v ? v->c_str() : nullptr);
  const std::string sql_text(sql);
  pg_result* res = PQexecParams(conn_, sql_text.c_str(), static_cast<int>(values.size()), nullptr,
                                values.data(), nullptr, nullptr, 0);
  PgResult owned(res);
  const ExecStatusType st = res == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(res);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return ErrorFromResult(res, sql);
  return owned;
}

Status PgConnection::ExecScript(std::string_view sql) {
  const std::string sql_text(sql);
  // PQexec runs several statements; only the last result is returned, errors stop the script.
  pg_result* res = PQexec(conn_, sql_text.c_str());
  PgResult owned(res);
  const ExecStatusType st = res == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(res);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return ErrorFromResult(res, sql);
  return Status::Ok();
}

bool PgConnection::IsBroken() {
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) return true;
  // Reads whatever the server sent while idle without blocking. A terminated backend sends an error
  // (processed as a notice while idle) and then closes the socket; the second read sees the EOF.
  for (int read = 0; read < 2; ++read) {
    if (PQconsumeInput(conn_) == 0) return true;
  }
  if (PQstatus(conn_) != CONNECTION_OK) return true;
  // An idle connection has no result pending; one that does received an error such as
  // "terminating connection due to administrator command" and will not serve another statement.
  if (PQisBusy(conn_) == 0) {
    pg_result* unexpected = PQgetResult(conn_);
    if (unexpected != nullptr) {
      PQclear(unexpected);
      return true;
    }
  }
  return false;
}

Result<std::vector<std::string>> PgConnection::WaitForNotifications(
    std::string_view channel, std::chrono::milliseconds timeout) {
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    return common::Unavailable("the listening connection is closed");
  }
  pollfd fd{PQsocket(conn_), POLLIN, 0};
  const int ready = ::poll(&fd, 1, static_cast<int>(timeout.count()));
  if (ready < 0 && errno != EINTR)
    return common::Unavailable("poll on the listening connection failed");
  if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) != CONNECTION_OK) {
    return common::Unavailable(std::string("the listening connection broke: ") +
                               PQerrorMessage(conn_));
  }
  std::vector<std::string> payloads;
  while (pgNotify* n = PQnotifies(conn_)) {
    if (channel == n->relname) payloads.emplace_back(n->extra);
    PQfreemem(n);
  }
  return payloads;
}

bool PgConnection::IsIdle() const {
  return conn_ != nullptr && PQtransactionStatus(conn_) == PQTRANS_IDLE;
}

Result<PgTransaction> PgTransaction::Begin(PgConnection& conn, std::string_view begin_sql) {
  TS_RETURN_IF_ERROR(conn.ExecScript(begin_sql));
  return PgTransaction(&conn);
}

PgTransaction::PgTransaction(PgTransaction&& other) noexcept
    : conn_(other.conn_), open_(other.open_) {
  other.open_ = false;
}

PgTransaction::~PgTransaction() {
  if (open_) (void)conn_->ExecScript("ROLLBACK");
}

Status PgTransaction::Commit() {
  open_ = false;
  auto res = conn_->Exec("COMMIT");
  if (!res.ok()) return res.status();
  // COMMIT of a transaction that already failed answers ROLLBACK instead of an error.
  if (res->command_tag() != "COMMIT") return common::Internal("transaction was rolled back");
  return Status::Ok();
}

}  // namespace timestore::catalog
