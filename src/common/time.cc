#include "common/time.h"

#include <chrono>
#include <cstdio>

namespace timestore::common {

namespace {

// The civil date of `days` since 1970-01-01 (proleptic Gregorian), after Howard Hinnant's
// days_from_civil inverse: integer arithmetic only.
void CivilFromDays(int64_t days, int64_t& year, unsigned& month, unsigned& day) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  day = doy - (153 * mp + 2) / 5 + 1;
  month = mp < 10 ? mp + 3 : mp - 9;
  year = static_cast<int64_t>(yoe) + era * 400 + (month <= 2 ? 1 : 0);
}

// Writes `v` as exactly `n` decimal digits ending just before `end`.
void PutDigits(char* end, int64_t v, int n) {
  for (int i = 0; i < n; ++i) {
    *--end = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

}  // namespace

void AppendIso8601(std::string& out, UnixMicros t) {
  constexpr int64_t kMicrosPerDay = 86'400'000'000;
  int64_t days = t / kMicrosPerDay;
  int64_t in_day = t % kMicrosPerDay;
  if (in_day < 0) {
    in_day += kMicrosPerDay;
    --days;
  }
  int64_t year = 0;
  unsigned month = 0, day = 0;
  CivilFromDays(days, year, month, day);
  const int64_t us = in_day % 1'000'000;
  const int64_t secs = in_day / 1'000'000;
  // "YYYY-MM-DDTHH:MM:SS.mmmZ" or with six fractional digits.
  char buf[32] = "0000-00-00T00:00:00.000000Z";
  PutDigits(buf + 4, year, 4);
  PutDigits(buf + 7, month, 2);
  PutDigits(buf + 10, day, 2);
  PutDigits(buf + 13, secs / 3600, 2);
  PutDigits(buf + 16, secs / 60 % 60, 2);
  PutDigits(buf + 19, secs % 60, 2);
  if (us % 1000 == 0) {
    // Milliseconds are always written, as JavaScript's toISOString does.
    PutDigits(buf + 23, us / 1000, 3);
    buf[23] = 'Z';
    out.append(buf, 24);
  } else {
    PutDigits(buf + 26, us, 6);
    out.append(buf, 27);
  }
}

std::string FormatIso8601(UnixMicros t) {
  std::string out;
  AppendIso8601(out, t);
  return out;
}

namespace {

// Reads exactly `n` digits at `pos`; advances `pos`.
bool ReadDigits(std::string_view s, size_t& pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  pos += n;
  out = v;
  return true;
}

}  // namespace

std::optional<UnixMicros> ParseIso8601(std::string_view s) {
  using namespace std::chrono;
  size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadDigits(s, pos, 4, year) || pos >= s.size() || s[pos++] != '-' ||
      !ReadDigits(s, pos, 2, month) || pos >= s.size() || s[pos++] != '-' ||
      !ReadDigits(s, pos, 2, day)) {
    return std::nullopt;
  }
  if (pos >= s.size() || (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ')) return std::nullopt;
  ++pos;
  if (!ReadDigits(s, pos, 2, hour) || pos >= s.size() || s[pos++] != ':' ||
      !ReadDigits(s, pos, 2, minute) || pos >= s.size() || s[pos++] != ':' ||
      !ReadDigits(s, pos, 2, second)) {
    return std::nullopt;
  }
  int64_t micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 6) micros = micros * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0 || digits > 9) return std::nullopt;
    for (size_t d = digits; d < 6; ++d) micros *= 10;
  }
  if (pos >= s.size()) return std::nullopt;
  int64_t offset_minutes = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    const int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0, om = 0;
    if (!ReadDigits(s, pos, 2, oh)) return std::nullopt;
    if (pos < s.size() && s[pos] == ':') ++pos;
    if (!ReadDigits(s, pos, 2, om) || oh > 23 || om > 59) return std::nullopt;
    offset_minutes = int64_t{sign} * (int64_t{oh} * 60 + om);
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59 || day < 1) {
    return std::nullopt;
  }
  const year_month_day ymd{std::chrono::year(year),
                           std::chrono::month(static_cast<unsigned>(month)),
                           std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok()) return std::nullopt;
  const int64_t days_since_epoch = sys_days(ymd).time_since_epoch().count();
  const int64_t seconds = days_since_epoch * 86400 + int64_t{hour} * 3600 + int64_t{minute} * 60 +
                          second - offset_minutes * 60;
  return seconds * 1'000'000 + micros;
}

UnixMicros NowMicros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace timestore::common
