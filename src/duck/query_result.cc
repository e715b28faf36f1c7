#include "duck/query_result.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include <duckdb.h>

#include "duck/error_mapping.h"
#include "duck/statement_epoch.h"
#include "duck/type_mapping.h"

namespace timestore::duck {

using common::Result;
using common::Status;

// Owns the duckdb_result; destroyed (duckdb_destroy_result) also when the statement failed, since a
// failed result holds the error.
struct QueryResult::State {
  State() = default;
  ~State() { duckdb_destroy_result(&result); }
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  Status Error() {
    const char* message = duckdb_result_error(&result);
    return StatusFromDuckDbError(static_cast<int>(duckdb_result_error_type(&result)),
                                 message != nullptr ? message : "");
  }

  duckdb_result result{};
};

Result<QueryResult> QueryResult::RunQuery(_duckdb_connection* connection, const std::string& sql,
                                          std::shared_ptr<StatementEpoch> epoch) {
  assert(connection != nullptr);
  auto state = std::make_shared<State>();
  ++epoch->value;
  if (duckdb_query(connection, sql.c_str(), &state->result) == DuckDBError) return state->Error();
  return Adopt(std::move(state), /*streaming=*/false, std::move(epoch));
}

Result<QueryResult> QueryResult::RunPrepared(_duckdb_prepared_statement* statement, bool streaming,
                                             std::shared_ptr<StatementEpoch> epoch) {
  assert(statement != nullptr);
  auto state = std::make_shared<State>();
  ++epoch->value;
  // duckdb_execute_prepared_streaming is marked deprecated in 1.4 but is the C API's only way to
  // get a result that is produced while it is fetched (its pending-result twin is deprecated too).
  const duckdb_state rc = streaming ? duckdb_execute_prepared_streaming(statement, &state->result)
                                    : duckdb_execute_prepared(statement, &state->result);
  if (rc == DuckDBError) return state->Error();
  return Adopt(std::move(state), streaming, std::move(epoch));
}

QueryResult QueryResult::Adopt(std::shared_ptr<State> state, bool streaming,
                               std::shared_ptr<StatementEpoch> epoch) {
  QueryResult out;
  duckdb_result* r = &state->result;
  const idx_t columns = duckdb_column_count(r);
  out.column_names_.reserve(columns);
  out.column_types_.reserve(columns);
  for (idx_t i = 0; i < columns; ++i) {
    const char* name = duckdb_column_name(r, i);
    out.column_names_.emplace_back(name != nullptr ? name : "");
    out.column_types_.push_back(TypeFromDuckDbTypeId(duckdb_column_type(r, i)));
  }
  out.rows_changed_ = duckdb_rows_changed(r);
  out.streaming_ = streaming && duckdb_result_is_streaming(*r);
  out.state_ = std::move(state);
  out.epoch_ = std::move(epoch);
  out.stream_epoch_ = out.epoch_->value;
  return out;
}

QueryResult::QueryResult(QueryResult&& other) noexcept = default;
QueryResult& QueryResult::operator=(QueryResult&& other) noexcept = default;
QueryResult::~QueryResult() = default;

Result<std::optional<ResultChunk>> QueryResult::FetchChunk() {
  assert(state_ != nullptr && "FetchChunk on a moved-from QueryResult");
  if (loaded_) {
    if (next_chunk_ >= chunks_.size()) return std::optional<ResultChunk>();
    return std::optional<ResultChunk>(chunks_[next_chunk_++]);
  }
  if (ended_) return std::optional<ResultChunk>();
  if (streaming_ && epoch_->value != stream_epoch_) {
    ended_ = true;
    return common::FailedPrecondition(
        "streaming result ended early: its connection started another statement before the result "
        "was read to the end");
  }
  handed_out_ = true;
  duckdb_data_chunk chunk = duckdb_fetch_chunk(state_->result);
  if (chunk != nullptr && duckdb_data_chunk_get_size(chunk) == 0) duckdb_destroy_data_chunk(&chunk);
  if (chunk == nullptr) {
    ended_ = true;
    if (duckdb_result_error(&state_->result) != nullptr) return state_->Error();
    return std::optional<ResultChunk>();
  }
  return std::optional<ResultChunk>(ResultChunk::Adopt(chunk, state_));
}

void QueryResult::Load() const {
  assert(state_ != nullptr && "cell access on a moved-from QueryResult");
  assert(!streaming_ && "cell access needs a materialized result");
  assert(!handed_out_ && "cell access after FetchChunk");
  if (loaded_) return;
  // A materialized result cannot fail any more: a null chunk is the end.
  for (;;) {
    duckdb_data_chunk chunk = duckdb_fetch_chunk(state_->result);
    if (chunk == nullptr) break;
    if (duckdb_data_chunk_get_size(chunk) == 0) {
      duckdb_destroy_data_chunk(&chunk);
      continue;
    }
    ResultChunk adopted = ResultChunk::Adopt(chunk, state_);
    chunk_first_rows_.push_back(row_count_);
    row_count_ += adopted.row_count();
    chunks_.push_back(std::move(adopted));
  }
  loaded_ = true;
}

uint64_t QueryResult::row_count() const {
  Load();
  return row_count_;
}

const std::vector<ResultChunk>& QueryResult::chunks() const {
  Load();
  return chunks_;
}

const ResultChunk& QueryResult::Locate(uint64_t row, size_t* row_in_chunk) const {
  Load();
  assert(row < row_count_);
  auto it = std::upper_bound(chunk_first_rows_.begin(), chunk_first_rows_.end(), row);
  const size_t index = static_cast<size_t>(it - chunk_first_rows_.begin()) - 1;
  *row_in_chunk = static_cast<size_t>(row - chunk_first_rows_[index]);
  return chunks_[index];
}

bool QueryResult::IsNull(size_t col, uint64_t row) const {
  size_t r = 0;
  return Locate(row, &r).IsNull(col, r);
}

bool QueryResult::GetBool(size_t col, uint64_t row) const {
  size_t r = 0;
  return Locate(row, &r).GetBool(col, r);
}

int64_t QueryResult::GetInt64(size_t col, uint64_t row) const {
  size_t r = 0;
  return Locate(row, &r).GetInt64(col, r);
}

double QueryResult::GetDouble(size_t col, uint64_t row) const {
  size_t r = 0;
  return Locate(row, &r).GetDouble(col, r);
}

std::string_view QueryResult::GetString(size_t col, uint64_t row) const {
  size_t r = 0;
  return Locate(row, &r).GetString(col, r);
}

int32_t QueryResult::GetDateDays(size_t col, uint64_t row) const {
  size_t r = 0;
  return Locate(row, &r).GetDateDays(col, r);
}

int64_t QueryResult::GetTimestampMicros(size_t col, uint64_t row) const {
  size_t r = 0;
  return Locate(row, &r).GetTimestampMicros(col, r);
}

}  // namespace timestore::duck
