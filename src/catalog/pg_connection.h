// PgConnection: one libpq connection, move-only, used by one thread at a time. Statements use text
// parameters ($1, $2, ...) bound through PgParams; results come back as PgResult. Every libpq
// failure is turned into a Status here (SQLSTATE mapped by StatusFromSqlState), so nothing above
// catalog/ sees libpq.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

struct pg_conn;
struct pg_result;

namespace timestore::catalog {

// Positional text parameters of one statement. NULL is std::nullopt.
class PgParams {
 public:
  PgParams& Add(std::string_view v);
  PgParams& Add(const std::string& v) { return Add(std::string_view(v)); }
  PgParams& Add(const char* v) { return Add(std::string_view(v)); }
  PgParams& Add(int64_t v);
  PgParams& Add(int v) { return Add(static_cast<int64_t>(v)); }
  PgParams& Add(double v);
  PgParams& Add(bool v);
  PgParams& AddNull();
  // A text[] literal: {"a","b"} (elements quoted and escaped).
  PgParams& AddTextArray(const std::vector<std::string>& values);
  template <typename T>
  PgParams& Add(const std::optional<T>& v) {
    return v ? Add(*v) : AddNull();
  }

  size_t size() const { return values_.size(); }
  const std::vector<std::optional<std::string>>& values() const { return values_; }

 private:
  std::vector<std::optional<std::string>> values_;
};

// The rows of one statement. Column access by index; a value is NULL or text.
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(pg_result* res);
  PgResult(PgResult&&) noexcept;
  PgResult& operator=(PgResult&&) noexcept;
  ~PgResult();

  int rows() const;
  int columns() const;
  // Rows changed by INSERT/UPDATE/DELETE.
  int64_t affected_rows() const;
  // The command tag, e.g. "INSERT 0 1" or "ROLLBACK".
  std::string_view command_tag() const;

  bool IsNull(int row, int col) const;
  std::string_view GetText(int row, int col) const;  // "" for NULL
  std::optional<std::string> GetOptionalText(int row, int col) const;
  int64_t GetInt64(int row, int col) const;  // 0 for NULL
  std::optional<int64_t> GetOptionalInt64(int row, int col) const;
  double GetDouble(int row, int col) const;
  bool GetBool(int row, int col) const;
  // Parses a one-dimensional text[] value ({a,"b c",NULL}); NULL elements become "".
  std::vector<std::string> GetTextArray(int row, int col) const;

 private:
  pg_result* res_ = nullptr;
};

struct PgConnectOptions {
  std::string url;     // postgres://user:password@host:port/db
  std::string schema;  // becomes the search_path, so statements use unqualified table names
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds statement_timeout{0};  // 0 = none
  std::string application_name = "timestore";
};

class PgConnection {
 public:
  // Connects and sets the session's search_path and statement_timeout. kUnavailable when the server
  // cannot be reached or refuses the login (the message names host and reason, never the password).
  static common::Result<PgConnection> Connect(const PgConnectOptions& options);

  PgConnection(PgConnection&&) noexcept;
  PgConnection& operator=(PgConnection&&) noexcept;
  ~PgConnection();

  // Runs one statement. Errors carry PostgreSQL's message and a code mapped from the SQLSTATE.
  common::Result<PgResult> Exec(std::string_view sql, const PgParams& params = {});
  // Runs one or more statements without parameters (migrations, BEGIN/COMMIT).
  common::Status ExecScript(std::string_view sql);

  // True when the connection is known to be unusable (server restarted, socket closed). Checks the
  // socket without blocking, so an idle connection whose server went away is detected before reuse.
  bool IsBroken();
  // True when the connection is outside any transaction block.
  bool IsIdle() const;

  // For a connection that LISTENs: waits up to `timeout` for input on the socket, reads it, and
  // returns the payloads of the notifications received on `channel` (others are dropped), oldest
  // first; none when the wait ended without any. kUnavailable when the connection broke.
  common::Result<std::vector<std::string>> WaitForNotifications(std::string_view channel,
                                                                std::chrono::milliseconds timeout);

 private:
  explicit PgConnection(pg_conn* conn) : conn_(conn) {}
  common::Status ErrorFromResult(pg_result* res, std::string_view sql) const;
  pg_conn* conn_ = nullptr;
};

// Runs BEGIN on construction; Commit() commits; destruction without Commit() rolls back. The lease
// must outlive the transaction.
class PgTransaction {
 public:
  static common::Result<PgTransaction> Begin(PgConnection& conn,
                                             std::string_view begin_sql = "BEGIN");
  PgTransaction(PgTransaction&& other) noexcept;
  PgTransaction& operator=(PgTransaction&&) = delete;
  ~PgTransaction();

  common::Result<PgResult> Exec(std::string_view sql, const PgParams& params = {}) {
    return conn_->Exec(sql, params);
  }
  common::Status Commit();

 private:
  explicit PgTransaction(PgConnection* conn) : conn_(conn) {}
  PgConnection* conn_;
  bool open_ = true;
};

// Maps a SQLSTATE (e.g. "23505") to a StatusCode: unique violation → kAlreadyExists, serialization
// failure or deadlock → kConflict, query canceled → kDeadlineExceeded, connection and shutdown
// classes → kUnavailable, check violation / invalid text → kInvalidArgument, anything else →
// kInternal.
common::StatusCode StatusFromSqlState(std::string_view sqlstate);

// Quotes a PostgreSQL identifier: schema "a""b".
std::string QuoteIdent(std::string_view ident);

}  // namespace timestore::catalog
