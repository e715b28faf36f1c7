#include "common/time.h"

#include <chrono>
#include <cstdio>

namespace timestore::common {

std::string FormatIso8601(UnixMicros t) {
  using namespace std::chrono;
  const sys_time<microseconds> tp{microseconds(t)};
  const sys_days day = floor<days>(tp);
  const year_month_day ymd{day};
  const auto in_day = tp - day;
  const auto h = duration_cast<hours>(in_day);
  const auto m = duration_cast<minutes>(in_day - h);
  const auto s = duration_cast<seconds>(in_day - h - m);
  const int64_t us = (in_day - h - m - s).count();
  char buf[64];
  if (us % 1000 == 0) {
    std::snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02lldZ",
                  static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()), static_cast<int>(h.count()),
                  static_cast<int>(m.count()), static_cast<long long>(s.count()));
    // Milliseconds are always written, as JavaScript's toISOString does.
    std::string out(buf);
    out.pop_back();
    char ms[16];
    std::snprintf(ms, sizeof(ms), ".%03lldZ", static_cast<long long>(us / 1000));
    return out + ms;
  }
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02lld.%06lldZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(h.count()),
                static_cast<int>(m.count()), static_cast<long long>(s.count()),
                static_cast<long long>(us));
  return buf;
}

UnixMicros NowMicros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace timestore::common
