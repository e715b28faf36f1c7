// The command-line options both query benchmarks (query_bench, s3_query_bench) take: the TSBS
// dataset, how it is ingested, and which query instances run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "bench/bench_flags.h"
#include "bench/tsbs_data.h"
#include "bench/tsbs_queries.h"
#include "common/status.h"

namespace timestore::bench {

struct QueryRunFlags {
  TsbsScale scale;                        // --scale HOSTS,HOURS
  size_t batch = 5000;                    // --batch: rows per ingest request
  int clients = 4;                        // --clients: concurrent ingest clients
  int instances = 20;                     // --instances: seeded instances per query type
  uint64_t seed = 20160102;               // --seed: of the query instances
  uint64_t data_seed = kTsbsDefaultSeed;  // --data-seed: of the generated dataset
  std::vector<const QueryType*> types;    // --types (repeatable); see DefaultToAllTypes
};

// When the current flag is one of QueryRunFlags', reads it into `out` and answers true; otherwise
// answers false and reads nothing.
common::Result<bool> ReadQueryRunFlag(FlagReader& flags, QueryRunFlags& out);

// Every query type when no --types was given.
void DefaultToAllTypes(QueryRunFlags& flags);

}  // namespace timestore::bench
