// The benchmarks' command lines: FlagReader walks "--name VALUE" pairs and bare switches with the
// messages every benchmark gives for a missing or malformed value, and ServerFlags are the options
// of the benchmarks that start timestore servers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bench/bench_stats.h"
#include "common/status.h"

namespace timestore::bench {

class FlagReader {
 public:
  FlagReader(int argc, char** argv) : argc_(argc), argv_(argv) {}

  // Moves to the next flag; false when none is left.
  bool Next() { return ++index_ < argc_; }
  std::string_view flag() const { return argv_[index_]; }

  // The current flag's value: the argument after it ("--seed needs a value" when there is none).
  common::Result<std::string_view> Value() {
    if (index_ + 1 >= argc_) return common::InvalidArgument(std::string(flag()) + " needs a value");
    return std::string_view(argv_[++index_]);
  }

  // The value as an integer in [min, max] ("--clients: 'x' is not an integer from 1 to 999").
  template <typename T>
  common::Status Integer(T* out, T min, T max) {
    TS_ASSIGN_OR_RETURN(std::string_view v, Value());
    T parsed{};
    if (!ParseNumber(v, &parsed) || parsed < min || parsed > max) {
      return common::InvalidArgument(std::string(flag_of_value()) + ": '" + std::string(v) +
                                     "' is not an integer from " + std::to_string(min) + " to " +
                                     std::to_string(max));
    }
    *out = parsed;
    return common::Status::Ok();
  }

 private:
  // The flag whose value was just read.
  std::string_view flag_of_value() const { return argv_[index_ - 1]; }

  int argc_;
  char** argv_;
  int index_ = 0;
};

// The options of the benchmarks that start timestore servers.
struct ServerFlags {
  std::string format;                   // --format duckdb|parquet; "" = the server's default
  std::vector<std::string> server_env;  // --server-env NAME=VALUE, repeatable
  std::string server_binary;            // --server PATH
  bool keep = false;                    // --keep: keep the temporary directory
};

// When the current flag is one of ServerFlags' (--format, --server-env, --server, --keep), reads it
// into `out` and answers true; otherwise answers false and reads nothing.
common::Result<bool> ReadServerFlag(FlagReader& flags, ServerFlags& out);

}  // namespace timestore::bench
