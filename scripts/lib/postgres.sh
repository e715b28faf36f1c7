# Shared PostgreSQL helpers for scripts/pg_tmp.sh (tests) and scripts/dev_postgres.sh (the run command).
# Sourced, not executed. Sets PGBIN and PG_OS_USER; pg_as_owner runs a command as the cluster's owner.

PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[[ -x "$PGBIN/initdb" ]] || { echo "PostgreSQL server binaries not found (install postgresql-15)" >&2; exit 1; }

if [[ $(id -u) -eq 0 ]]; then
  PG_OS_USER=${PGTMP_OS_USER:-postgres}
  id -u "$PG_OS_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_OS_USER"
  pg_as_owner() { runuser -u "$PG_OS_USER" -- "$@"; }
else
  PG_OS_USER=$(id -un)
  pg_as_owner() { "$@"; }
fi

# pg_prepare_dir DIR: a 0700 directory owned by the cluster's OS user.
pg_prepare_dir() {
  mkdir -p "$1"
  chmod 700 "$1"
  [[ $(id -u) -eq 0 ]] && chown "$PG_OS_USER:" "$1"
  return 0
}

# pg_initdb DATADIR: creates the cluster (superuser "postgres", trust on the socket, scram over TCP).
pg_initdb() {
  local data=$1 parent
  parent=$(dirname "$data")
  (cd "$parent" && pg_as_owner "$PGBIN/initdb" -D "$data" -U postgres --auth-local=trust \
      --auth-host=scram-sha-256 --no-sync -E UTF8 --locale=C.UTF-8 >"$parent/initdb.log" 2>&1) \
    || { cat "$parent/initdb.log" >&2; return 1; }
}

# pg_start DATADIR SOCKETDIR LOG PORT EXTRA_OPTS: starts on 127.0.0.1:PORT; non-zero on failure.
pg_start() {
  local data=$1 sock=$2 log=$3 port=$4 extra=$5
  (cd "$sock" && pg_as_owner "$PGBIN/pg_ctl" -D "$data" -l "$log" -w -t 30 -s \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$sock' -c max_connections=100 $extra" start)
}

# pg_start_on_free_port DATADIR SOCKETDIR LOG EXTRA_OPTS: tries random ports; prints the one bound.
pg_start_on_free_port() {
  local data=$1 sock=$2 log=$3 extra=$4 port attempt
  for attempt in $(seq 1 20); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    ss -Htln "sport = :$port" | grep -q . && continue
    if pg_start "$data" "$sock" "$log" "$port" "$extra" >&2; then
      echo "$port"
      return 0
    fi
    grep -q "Address already in use" "$log" || { cat "$log" >&2; return 1; }
  done
  echo "no free port for PostgreSQL" >&2
  return 1
}

# pg_create_role_and_db SOCKETDIR PORT USER PASSWORD DB: idempotent.
pg_create_role_and_db() {
  local sock=$1 port=$2 user=$3 pass=$4 db=$5
  (cd "$sock" && pg_as_owner "$PGBIN/psql" -h "$sock" -p "$port" -U postgres -d postgres -qAtX -v ON_ERROR_STOP=1 \
      -v u="$user" -v p="$pass" -v d="$db" >/dev/null) <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'u', :'p')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'u') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'d', :'u')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'d') \gexec
SQL
}
