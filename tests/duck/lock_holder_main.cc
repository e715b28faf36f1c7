// duck_lock_holder DB_PATH: opens DB_PATH read-write with duck::Database, creates DB_PATH.ready,
// and keeps the database (and so DuckDB's file lock) open until its stdin is closed. Used by
// database_test.cc to hold a DuckDB file from another process.
#include <cstdio>
#include <fstream>
#include <string>

#include "duck/database.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: duck_lock_holder DB_PATH\n");
    return 2;
  }
  auto db = timestore::duck::Database::Open(argv[1]);
  if (!db.ok()) {
    std::fprintf(stderr, "open failed: %s\n", db.status().ToString().c_str());
    return 1;
  }
  std::ofstream(std::string(argv[1]) + ".ready") << "ready\n";
  while (std::getchar() != EOF) {
  }
  return 0;
}
