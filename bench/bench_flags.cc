#include "bench/bench_flags.h"

namespace timestore::bench {

common::Result<bool> ReadServerFlag(FlagReader& flags, ServerFlags& out) {
  const std::string_view flag = flags.flag();
  if (flag == "--format") {
    TS_ASSIGN_OR_RETURN(std::string_view v, flags.Value());
    if (v != "duckdb" && v != "parquet") {
      return common::InvalidArgument("--format: '" + std::string(v) + "' is not duckdb or parquet");
    }
    out.format = v;
  } else if (flag == "--server-env") {
    TS_ASSIGN_OR_RETURN(std::string_view v, flags.Value());
    if (v.find('=') == std::string_view::npos || v.starts_with("=")) {
      return common::InvalidArgument("--server-env: '" + std::string(v) + "' is not NAME=VALUE");
    }
    out.server_env.emplace_back(v);
  } else if (flag == "--server") {
    TS_ASSIGN_OR_RETURN(std::string_view v, flags.Value());
    out.server_binary = v;
  } else if (flag == "--keep") {
    out.keep = true;
  } else {
    return false;
  }
  return true;
}

}  // namespace timestore::bench
