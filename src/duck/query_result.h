// QueryResult: the rows of one executed statement, owner of its duckdb_result (destroyed with the
// last ResultChunk that points into it). A materialized result (Connection::Query,
// PreparedStatement::Execute) holds all rows in DuckDB's memory and can be read chunk by chunk or
// by cell; a streaming result (QueryStreaming, ExecuteStreaming) produces chunks as FetchChunk asks
// for them. Move-only. Used by one thread at a time (also its const methods), like the Connection
// it came from; a streaming result also needs the connection to run nothing else until it has been
// read to the end (see FetchChunk).
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "duck/result_chunk.h"
#include "duck/type.h"

struct _duckdb_connection;          // NOLINT(bugprone-reserved-identifier): DuckDB's name
struct _duckdb_prepared_statement;  // NOLINT(bugprone-reserved-identifier): DuckDB's name

namespace timestore::duck {

struct StatementEpoch;

class QueryResult {
 public:
  QueryResult(QueryResult&& other) noexcept;
  QueryResult& operator=(QueryResult&& other) noexcept;
  QueryResult(const QueryResult&) = delete;
  QueryResult& operator=(const QueryResult&) = delete;
  ~QueryResult();

  size_t column_count() const { return column_names_.size(); }
  // Precondition (asserted): col < column_count().
  const std::string& column_name(size_t col) const {
    assert(col < column_names_.size());
    return column_names_[col];
  }
  Type column_type(size_t col) const {
    assert(col < column_types_.size());
    return column_types_[col];
  }
  // Rows inserted, updated or deleted by an INSERT/UPDATE/DELETE; 0 for other statements.
  uint64_t rows_changed() const { return rows_changed_; }
  bool streaming() const { return streaming_; }

  // The next chunk of rows; std::nullopt after the last one. Chunks already handed out stay valid.
  // On a materialized result each chunk is copied out of DuckDB's rows, so a caller that drops
  // chunks as it goes holds one extra chunk at a time; this never fails. On a streaming result the
  // query runs as
  // chunks are fetched, so this can fail: kDeadlineExceeded when the connection was interrupted,
  // the DuckDB error of the query, and kFailedPrecondition when the connection started another
  // statement (query, prepare, execute, appender write) before the stream was read to the end -
  // DuckDB then silently ends the stream, which would otherwise look like a complete, shorter
  // result.
  common::Result<std::optional<ResultChunk>> FetchChunk();

  // Cell access, materialized results only (asserted). The first call copies every chunk out of
  // DuckDB and keeps them (so the rows are held twice: stream or use FetchChunk for large results);
  // FetchChunk then hands out those chunks. Not available once FetchChunk has handed out a chunk
  // first (asserted). Rows are numbered across chunks from 0. The preconditions and types of the
  // getters are those of ResultChunk; string views stay valid while this result lives.
  uint64_t row_count() const;
  const std::vector<ResultChunk>& chunks() const;
  bool IsNull(size_t col, uint64_t row) const;
  bool GetBool(size_t col, uint64_t row) const;
  int64_t GetInt64(size_t col, uint64_t row) const;
  double GetDouble(size_t col, uint64_t row) const;
  std::string_view GetString(size_t col, uint64_t row) const;
  int32_t GetDateDays(size_t col, uint64_t row) const;
  int64_t GetTimestampMicros(size_t col, uint64_t row) const;

 private:
  friend class Connection;
  friend class PreparedStatement;
  struct State;

  // Run `sql` (which may hold several statements; the result is the last one's) and materialize it.
  static common::Result<QueryResult> RunQuery(_duckdb_connection* connection,
                                              const std::string& sql,
                                              std::shared_ptr<StatementEpoch> epoch);
  // Execute a prepared statement with its current bindings.
  static common::Result<QueryResult> RunPrepared(_duckdb_prepared_statement* statement,
                                                 bool streaming,
                                                 std::shared_ptr<StatementEpoch> epoch);
  // Adopts the successful result in `state` and reads its column names and types.
  static QueryResult Adopt(std::shared_ptr<State> state, bool streaming,
                           std::shared_ptr<StatementEpoch> epoch);
  QueryResult() = default;
  // Copies all chunks of a materialized result into chunks_ (once).
  void Load() const;
  // The chunk holding `row` (a row number across chunks) and the row's index inside it.
  const ResultChunk& Locate(uint64_t row, size_t* row_in_chunk) const;

  std::shared_ptr<State> state_;  // null only in a moved-from result
  std::vector<std::string> column_names_;
  std::vector<Type> column_types_;
  uint64_t rows_changed_ = 0;
  bool streaming_ = false;
  // Materialized, after Load: every chunk, and the row number each one starts at.
  mutable bool loaded_ = false;
  mutable std::vector<ResultChunk> chunks_;
  mutable std::vector<uint64_t> chunk_first_rows_;
  mutable uint64_t row_count_ = 0;
  size_t next_chunk_ = 0;    // after Load: the chunk FetchChunk returns next
  bool handed_out_ = false;  // FetchChunk took a chunk straight from DuckDB (so Load is impossible)
  bool ended_ = false;       // FetchChunk reached the end or failed
  // Streaming: the connection's statement counter, and its value when this stream started.
  std::shared_ptr<StatementEpoch> epoch_;
  uint64_t stream_epoch_ = 0;
};

}  // namespace timestore::duck
