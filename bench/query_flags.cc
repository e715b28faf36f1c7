#include "bench/query_flags.h"

#include <string>
#include <string_view>

namespace timestore::bench {

common::Result<bool> ReadQueryRunFlag(FlagReader& flags, QueryRunFlags& out) {
  const std::string_view flag = flags.flag();
  if (flag == "--scale") {
    TS_ASSIGN_OR_RETURN(std::string_view v, flags.Value());
    TS_ASSIGN_OR_RETURN(out.scale, ParseTsbsScale(v));
  } else if (flag == "--batch") {
    TS_RETURN_IF_ERROR(flags.Integer<size_t>(&out.batch, 1, SIZE_MAX));
  } else if (flag == "--clients") {
    TS_RETURN_IF_ERROR(flags.Integer(&out.clients, 1, 999));
  } else if (flag == "--instances") {
    TS_RETURN_IF_ERROR(flags.Integer(&out.instances, 1, 100000));
  } else if (flag == "--seed") {
    TS_RETURN_IF_ERROR(flags.Integer<uint64_t>(&out.seed, 0, UINT64_MAX));
  } else if (flag == "--data-seed") {
    TS_RETURN_IF_ERROR(flags.Integer<uint64_t>(&out.data_seed, 0, UINT64_MAX));
  } else if (flag == "--types") {
    TS_ASSIGN_OR_RETURN(std::string_view v, flags.Value());
    common::Result<std::vector<const QueryType*>> types = ParseQueryTypes(v);
    if (!types.ok()) return common::InvalidArgument("--types: " + types.status().message());
    out.types.insert(out.types.end(), types->begin(), types->end());
  } else {
    return false;
  }
  return true;
}

void DefaultToAllTypes(QueryRunFlags& flags) {
  if (!flags.types.empty()) return;
  for (const QueryType& t : AllQueryTypes()) flags.types.push_back(&t);
}

}  // namespace timestore::bench
