#include "catalog/migrations.h"

namespace timestore::catalog {

using common::Status;

namespace {

// Version 1: the whole data model of DESIGN.md. Times are timestamptz; ids are prefixed text so
// they read well in APIs and logs. JSON documents whose shape belongs to a higher layer are jsonb.
constexpr std::string_view kInitialSchema = R"sql(
CREATE TABLE storage_targets (
  id          text PRIMARY KEY DEFAULT 'st-' || replace(gen_random_uuid()::text, '-', ''),
  name        text NOT NULL UNIQUE,
  kind        text NOT NULL CHECK (kind IN ('local', 's3')),
  description text,
  config      jsonb NOT NULL DEFAULT '{}'::jsonb,
  is_default  boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
-- At most one default target.
CREATE UNIQUE INDEX storage_targets_single_default ON storage_targets (is_default) WHERE is_default;

CREATE TABLE datasets (
  id                        text PRIMARY KEY DEFAULT 'ds-' || replace(gen_random_uuid()::text, '-', ''),
  slug                      text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
  name                      text NOT NULL,
  description               text,
  status                    text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
  timestamp_column          text NOT NULL DEFAULT 'timestamp',
  partition_window_seconds  bigint NOT NULL DEFAULT 86400 CHECK (partition_window_seconds > 0),
  partition_key_columns     text[] NOT NULL DEFAULT '{}',
  write_format              text NOT NULL DEFAULT 'parquet' CHECK (write_format IN ('duckdb', 'parquet')),
  default_storage_target_id text REFERENCES storage_targets (id),
  read_scopes               text[] NOT NULL DEFAULT '{}',
  write_scopes              text[] NOT NULL DEFAULT '{}',
  metadata                  jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- The manifest version readers see; bumped by every commit (invariant 2).
  current_version           bigint NOT NULL DEFAULT 0 CHECK (current_version >= 0),
  current_schema_version    integer,
  -- Bumped by every change of the definition above; the ETag is derived from it.
  revision                  bigint NOT NULL DEFAULT 1,
  created_at                timestamptz NOT NULL DEFAULT now(),
  updated_at                timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dataset_schema_versions (
  dataset_id text NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
  version    integer NOT NULL CHECK (version >= 1),
  columns    jsonb NOT NULL,  -- [{"name": "...", "type": "timestamp|string|double|integer|boolean"}]
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (dataset_id, version)
);

-- The manifest history: one row per committed version.
CREATE TABLE dataset_versions (
  dataset_id         text NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
  version            bigint NOT NULL CHECK (version >= 1),
  parent_version     bigint NOT NULL CHECK (parent_version = version - 1),
  kind               text NOT NULL
                     CHECK (kind IN ('ingest', 'compaction', 'retention', 'delete', 'schema', 'restore')),
  schema_version     integer,
  rows_added         bigint NOT NULL DEFAULT 0,
  rows_removed       bigint NOT NULL DEFAULT 0,
  bytes_added        bigint NOT NULL DEFAULT 0,
  bytes_removed      bigint NOT NULL DEFAULT 0,
  partitions_added   integer NOT NULL DEFAULT 0,
  partitions_removed integer NOT NULL DEFAULT 0,
  -- Totals of the live set at this version.
  partition_count    bigint NOT NULL,
  total_rows         bigint NOT NULL,
  total_bytes        bigint NOT NULL,
  actor              text,
  details            jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (dataset_id, version)
);

-- Live at version V: added_in_version <= V AND (removed_in_version IS NULL OR removed_in_version > V).
CREATE TABLE dataset_partitions (
  id                  text PRIMARY KEY DEFAULT 'part-' || replace(gen_random_uuid()::text, '-', ''),
  dataset_id          text NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
  storage_target_id   text NOT NULL REFERENCES storage_targets (id),
  object_key          text NOT NULL,
  format              text NOT NULL CHECK (format IN ('duckdb', 'parquet')),
  file_size_bytes     bigint NOT NULL CHECK (file_size_bytes >= 0),
  row_count           bigint NOT NULL CHECK (row_count >= 0),
  start_time          timestamptz NOT NULL,  -- observed minimum timestamp
  end_time            timestamptz NOT NULL,  -- observed maximum timestamp (inclusive)
  window_start        timestamptz NOT NULL,  -- partition window [window_start, window_end)
  window_end          timestamptz NOT NULL,
  partition_key       jsonb NOT NULL DEFAULT '{}'::jsonb,
  attributes          jsonb NOT NULL DEFAULT '{}'::jsonb,
  schema_version      integer NOT NULL,
  checksum_sha256     text NOT NULL CHECK (checksum_sha256 ~ '^[0-9a-f]{64}$'),
  column_statistics   jsonb NOT NULL DEFAULT '{}'::jsonb,
  added_in_version    bigint NOT NULL,
  removed_in_version  bigint,
  file_deleted_at     timestamptz,           -- set by the sweeper once the file is gone
  created_at          timestamptz NOT NULL DEFAULT now(),
  -- Invariant 1: an object key is never reused, even after its file was deleted.
  UNIQUE (storage_target_id, object_key),
  CHECK (start_time <= end_time),
  CHECK (removed_in_version IS NULL OR removed_in_version > added_in_version)
);
CREATE INDEX dataset_partitions_live_by_time
  ON dataset_partitions (dataset_id, start_time, end_time) WHERE removed_in_version IS NULL;
CREATE INDEX dataset_partitions_by_added ON dataset_partitions (dataset_id, added_in_version);
CREATE INDEX dataset_partitions_removed
  ON dataset_partitions (dataset_id, removed_in_version) WHERE removed_in_version IS NOT NULL;

-- Exactly-once ingest: the first answer for an idempotency key, returned to every retry.
CREATE TABLE ingestion_batches (
  dataset_id      text NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
  idempotency_key text NOT NULL,
  request_hash    text,
  version         bigint,
  status_code     integer NOT NULL,
  response        text NOT NULL,  -- byte-exact, so a replay answers exactly the same body
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (dataset_id, idempotency_key)
);

CREATE TABLE lifecycle_jobs (
  id               text PRIMARY KEY DEFAULT 'job-' || replace(gen_random_uuid()::text, '-', ''),
  kind             text NOT NULL,
  dataset_id       text REFERENCES datasets (id) ON DELETE CASCADE,
  status           text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
  payload          jsonb NOT NULL DEFAULT '{}'::jsonb,
  run_at           timestamptz NOT NULL DEFAULT now(),
  attempts         integer NOT NULL DEFAULT 0,
  max_attempts     integer NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
  lease_owner      text,
  lease_expires_at timestamptz,
  progress         jsonb NOT NULL DEFAULT '{}'::jsonb,
  result           jsonb,
  error            text,
  dedupe_key       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  started_at       timestamptz,
  finished_at      timestamptz,
  CHECK (status <> 'running' OR (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
);
-- A job waiting or running for the same purpose is not enqueued twice.
CREATE UNIQUE INDEX lifecycle_jobs_active_dedupe
  ON lifecycle_jobs (dedupe_key) WHERE status IN ('pending', 'running') AND dedupe_key IS NOT NULL;
CREATE INDEX lifecycle_jobs_claimable ON lifecycle_jobs (run_at) WHERE status = 'pending';
CREATE INDEX lifecycle_jobs_leased ON lifecycle_jobs (lease_expires_at) WHERE status = 'running';
CREATE INDEX lifecycle_jobs_by_dataset ON lifecycle_jobs (dataset_id, created_at DESC);

CREATE TABLE retention_policies (
  dataset_id text PRIMARY KEY REFERENCES datasets (id) ON DELETE CASCADE,
  policy     jsonb NOT NULL,
  updated_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_tokens (
  id           text PRIMARY KEY DEFAULT 'tok-' || replace(gen_random_uuid()::text, '-', ''),
  name         text NOT NULL,
  token_hash   text NOT NULL UNIQUE,  -- SHA-256 of the secret; the secret itself is never stored
  scopes       text[] NOT NULL,
  datasets     text[],                -- NULL: every dataset
  created_by   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz,
  revoked_at   timestamptz,
  last_used_at timestamptz
);

CREATE TABLE audit_events (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  occurred_at  timestamptz NOT NULL DEFAULT now(),
  actor        text,
  scopes       text[] NOT NULL DEFAULT '{}',
  dataset_id   text,  -- no foreign key: the trail outlives what it describes
  dataset_slug text,
  action       text NOT NULL,
  success      boolean NOT NULL,
  request_id   text,
  metadata     jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_events_by_dataset ON audit_events (dataset_id, id DESC);
CREATE INDEX audit_events_by_time ON audit_events (occurred_at);
)sql";

// Version 2: SQL statements saved by clients (the original's sql_saved_queries). `stats` holds
// {"rowCount": n, "elapsedMs": n} with absent members left out.
constexpr std::string_view kSqlSavedQueries = R"sql(
CREATE TABLE sql_saved_queries (
  id         text PRIMARY KEY,
  statement  text NOT NULL,
  label      text,
  created_by text,
  stats      jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- The list order: most recently saved first.
CREATE INDEX sql_saved_queries_by_updated ON sql_saved_queries (updated_at DESC, id);
)sql";

}  // namespace

// Version 3: Parquet exports of datasets (lifecycle). Each row is one file written under
// exports/<slug>/ on a storage target: the manifest version it reflects, the optional time range,
// and what a reader needs to trust it (rows, bytes, SHA-256).
constexpr std::string_view kDatasetExports = R"sql(
CREATE TABLE dataset_exports (
  id                text PRIMARY KEY DEFAULT 'exp-' || replace(gen_random_uuid()::text, '-', ''),
  dataset_id        text NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
  storage_target_id text NOT NULL REFERENCES storage_targets (id),
  object_key        text NOT NULL,
  version           bigint NOT NULL,
  range_start       timestamptz,
  range_end         timestamptz,
  row_count         bigint NOT NULL,
  file_size_bytes   bigint NOT NULL,
  checksum_sha256   text NOT NULL CHECK (checksum_sha256 ~ '^[0-9a-f]{64}$'),
  job_id            text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (storage_target_id, object_key)
);
CREATE INDEX dataset_exports_by_dataset ON dataset_exports (dataset_id, created_at DESC);
)sql";

// Version 4: every committed change of a dataset row is announced on channel
// timestore_dataset_changed (catalog/dataset_cache.h) with payload "<schema>/<dataset id>", so
// that every process's DatasetCache drops its copy. A trigger, so that no writer can forget it.
constexpr std::string_view kDatasetChangeNotify = R"sql(
CREATE FUNCTION notify_dataset_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('timestore_dataset_changed',
                    TG_TABLE_SCHEMA || '/' || (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END));
  RETURN NULL;
END $$;
CREATE TRIGGER datasets_changed AFTER INSERT OR UPDATE OR DELETE ON datasets
  FOR EACH ROW EXECUTE FUNCTION notify_dataset_changed();
)sql";

const std::vector<Migration>& AllMigrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "initial data model", kInitialSchema},
      {2, "sql_saved_queries", kSqlSavedQueries},
      {3, "dataset_exports", kDatasetExports},
      {4, "dataset change notifications", kDatasetChangeNotify},
  };
  return kMigrations;
}

int LatestMigrationVersion() { return AllMigrations().back().version; }

common::Result<int> CurrentMigrationVersion(PgConnection& conn) {
  TS_ASSIGN_OR_RETURN(PgResult exists,
                      conn.Exec("SELECT to_regclass('schema_migrations') IS NOT NULL"));
  if (!exists.GetBool(0, 0)) return 0;
  TS_ASSIGN_OR_RETURN(PgResult res,
                      conn.Exec("SELECT coalesce(max(version), 0) FROM schema_migrations"));
  return static_cast<int>(res.GetInt64(0, 0));
}

common::Result<int> ApplyMigrations(PgConnection& conn, std::string_view schema) {
  const std::string lock_key = "timestore:migrations:" + std::string(schema);
  TS_RETURN_IF_ERROR(
      conn.Exec("SELECT pg_advisory_lock(hashtext($1))", PgParams().Add(lock_key)).status());
  auto apply = [&]() -> common::Result<int> {
    // Under the lock: concurrent CREATE SCHEMA IF NOT EXISTS can otherwise fail on a unique index.
    TS_RETURN_IF_ERROR(conn.ExecScript("CREATE SCHEMA IF NOT EXISTS " + QuoteIdent(schema)));
    TS_RETURN_IF_ERROR(
        conn.ExecScript("CREATE TABLE IF NOT EXISTS schema_migrations ("
                        " version integer PRIMARY KEY, name text NOT NULL,"
                        " applied_at timestamptz NOT NULL DEFAULT now())"));
    TS_ASSIGN_OR_RETURN(int current, CurrentMigrationVersion(conn));
    int applied = 0;
    for (const Migration& m : AllMigrations()) {
      if (m.version <= current) continue;
      TS_ASSIGN_OR_RETURN(PgTransaction tx, PgTransaction::Begin(conn));
      Status st = conn.ExecScript(m.sql);
      if (!st.ok()) return st.WithContext("migration " + std::to_string(m.version));
      TS_RETURN_IF_ERROR(tx.Exec("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                                 PgParams().Add(m.version).Add(m.name))
                             .status());
      TS_RETURN_IF_ERROR(tx.Commit());
      ++applied;
    }
    return applied;
  };
  common::Result<int> result = apply();
  // Always release the lock; a lost connection releases it by itself.
  (void)conn.Exec("SELECT pg_advisory_unlock(hashtext($1))", PgParams().Add(lock_key));
  return result;
}

}  // namespace timestore::catalog
