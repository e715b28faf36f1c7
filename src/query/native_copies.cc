#include "query/native_copies.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/random_id.h"
#include "duck/connection.h"
#include "duck/database.h"
#include "duck/sql_quoting.h"
#include "partition/duckdb_file.h"
#include "partition/file_format.h"
#include "partition/scan_sql.h"

namespace timestore::query {
namespace {

using common::Status;

constexpr int kDecoderNice = 10;

std::string KeyOf(const std::string& partition_id,
                  const std::optional<NativeCopies::Series>& series) {
  if (!series) return partition_id + ".duckdb";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char ch : series->column) {
    hex.push_back(kHex[ch >> 4]);
    hex.push_back(kHex[ch & 15]);
  }
  return partition_id + ".by-" + hex + ".duckdb";
}

// The rows of the Parquet file at `parquet_path` as `columns`, in file order, into a new DuckDB
// file at `path` (table partition::kTableName), checkpointed, with no write-ahead log left.
// kInternal when the file holds another number of rows than `row_count` (the catalog's).
// With `series`, sorted by its column and then time, in row groups of kSeriesRowGroupRows rows.
Status WriteNativeCopy(duck::Connection& conn, const std::string& parquet_path,
                       const std::vector<catalog::ColumnDef>& columns, int64_t row_count,
                       const std::optional<NativeCopies::Series>& series, const std::string& path) {
  const std::string table = "native_out.main." + duck::QuoteIdent(partition::kTableName);
  const std::string attach_options =
      series ? "(ROW_GROUP_SIZE " + std::to_string(kSeriesRowGroupRows) + ")" : "";
  return partition::WriteDuckdbDatabase(conn, path, "native_out", attach_options, [&]() -> Status {
    TS_RETURN_IF_ERROR(
        conn.Execute("CREATE TABLE " + table + " " + partition::ColumnListDdl(columns)));
    TS_ASSIGN_OR_RETURN(duck::QueryResult inserted,
                        conn.Query("INSERT INTO " + table + " SELECT " +
                                   partition::ProjectionSql(
                                       columns, columns, partition::PresentColumns::kCastToSchema) +
                                   " FROM " + partition::ParquetScanSql({parquet_path}) +
                                   (series ? " ORDER BY " + duck::QuoteIdent(series->column) +
                                                 ", " + duck::QuoteIdent(series->timestamp_column)
                                           : "")));
    if (inserted.rows_changed() != static_cast<uint64_t>(row_count)) {
      return common::Internal("'" + parquet_path + "' holds " +
                              std::to_string(inserted.rows_changed()) + " rows, the catalog " +
                              std::to_string(row_count));
    }
    return Status::Ok();
  });
}

}  // namespace

NativeCopies::NativeCopies(storage::PartitionCache& cache, NativeCopiesOptions options,
                           observability::MetricsRegistry* metrics)
    : cache_(cache),
      options_(std::move(options)),
      logger_(observability::GetLogger("query.native")) {
  if (metrics != nullptr) {
    decoded_metric_ =
        &metrics->GetCounter("timestore_native_copies_decoded_total",
                             "Parquet partitions decoded into DuckDB-native copies for reading");
    failed_metric_ = &metrics->GetCounter("timestore_native_copies_failed_total",
                                          "Decodes of Parquet partitions that failed");
  }
  if (options_.enabled) {
    worker_ = std::jthread([this](const std::stop_token& stop) { Run(stop); });
  }
}

NativeCopies::~NativeCopies() {
  if (worker_.joinable()) {
    worker_.request_stop();
    cv_.notify_all();
    worker_.join();
  }
}

std::optional<storage::CachedFile> NativeCopies::Find(
    const catalog::Partition& partition, const std::vector<catalog::ColumnDef>& columns,
    const std::string& parquet_path, const std::optional<Series>& series) {
  if (!options_.enabled || partition.format != catalog::WriteFormat::kParquet ||
      partition.row_count < options_.min_rows || columns.empty()) {
    return std::nullopt;
  }
  const auto has = [&](const std::string& name) {
    return std::any_of(columns.begin(), columns.end(),
                       [&](const catalog::ColumnDef& c) { return c.name == name; });
  };
  if (series && has(series->column) && has(series->timestamp_column)) {
    auto found = cache_.Lookup(kStoreId, KeyOf(partition.id.value(), series));
    if (found.ok() && found->has_value()) return std::move(**found);
  }
  // The time-ordered copy first: every query reads it.
  auto found = cache_.Lookup(kStoreId, KeyOf(partition.id.value(), std::nullopt));
  if (!found.ok() || !found->has_value()) {
    Queue(KeyOf(partition.id.value(), std::nullopt), partition, columns, parquet_path,
          std::nullopt);
  }
  if (series && has(series->column) && has(series->timestamp_column)) {
    Queue(KeyOf(partition.id.value(), series), partition, columns, parquet_path, series);
  }
  if (found.ok() && found->has_value()) return std::move(**found);
  return std::nullopt;
}

void NativeCopies::Queue(std::string key, const catalog::Partition& partition,
                         const std::vector<catalog::ColumnDef>& columns,
                         const std::string& parquet_path, const std::optional<Series>& series) {
  std::lock_guard lock(mu_);
  if (known_.contains(key) || failed_keys_.contains(key) || queue_.size() >= options_.max_queued) {
    return;
  }
  Job job{key,     partition.id.value(), series,      partition.row_count,
          columns, parquet_path,         std::nullopt};
  // A remote partition's Parquet file is a cache entry: keep it while it waits.
  auto source = cache_.Lookup(partition.storage_target_id.value(), partition.object_key.value());
  if (source.ok() && source->has_value()) job.pin = std::move(**source);
  known_.insert(key);
  queue_.push_back(std::move(job));
  cv_.notify_all();
}

void NativeCopies::Run(const std::stop_token& stop) {
  // Decoding is background work: at nice 10 the scheduler gives queries the CPU first (the
  // decoding instance runs on this thread only), and decodes proceed in the gaps. Best effort.
  (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), kDecoderNice);
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, stop, [this] { return !queue_.empty(); });
      if (stop.stop_requested()) return;
      job = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    Finish(job, Decode(job));
  }
}

void NativeCopies::Finish(const Job& job, const Status& status) {
  if (!status.ok()) {
    logger_.Warn("native copy of a partition failed; it is read as Parquet",
                 observability::LogFields()
                     .Add("partitionId", job.partition_id)
                     .Add("copy", job.key)
                     .Add("error", status.message()));
  }
  std::lock_guard lock(mu_);
  busy_ = false;
  known_.erase(job.key);
  if (!status.ok()) failed_keys_.insert(job.key);
  (status.ok() ? decoded_ : failed_) += 1;
  if (observability::Counter* c = status.ok() ? decoded_metric_ : failed_metric_) c->Increment();
  cv_.notify_all();
}

Status NativeCopies::Decode(const Job& job) {
  const std::string temp = cache_.directory() + "/.tmp-native-" + std::to_string(::getpid()) + "-" +
                           common::RandomHex(8) + ".duckdb";
  Status status = Status::Ok();
  {
    duck::DatabaseOptions db_options;
    db_options.threads = 1;
    db_options.memory_limit = options_.memory_limit;
    auto db = duck::Database::Open(":memory:", db_options);
    if (!db.ok()) return db.status();
    auto conn = duck::Connection::Open(*db);
    if (!conn.ok()) return conn.status();
    status = WriteNativeCopy(*conn, job.parquet_path, job.columns, job.row_count, job.series, temp);
  }
  if (status.ok()) status = cache_.Insert(kStoreId, job.key, temp);
  std::error_code ec;
  std::filesystem::remove(temp, ec);
  std::filesystem::remove(temp + ".wal", ec);
  return status;
}

void NativeCopies::WaitIdle() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

int64_t NativeCopies::decoded() const {
  std::lock_guard lock(mu_);
  return decoded_;
}

int64_t NativeCopies::failed() const {
  std::lock_guard lock(mu_);
  return failed_;
}

}  // namespace timestore::query
