#include "bench/tsbs_data.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <numbers>
#include <system_error>

namespace timestore::bench {

const std::array<std::string_view, kTsbsTagCount> kTsbsTagNames = {
    "hostname", "region",          "datacenter",         "rack", "os", "arch", "team",
    "service",  "service_version", "service_environment"};

const std::array<std::string_view, kTsbsFieldCount> kTsbsFieldNames = {
    "usage_user", "usage_system",  "usage_idle",  "usage_nice",  "usage_iowait",
    "usage_irq",  "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"};

namespace {

struct Region {
  std::string_view name;
  std::vector<std::string_view> zones;
};

// TSBS's devops regions and their datacenters.
const std::array<Region, 9>& Regions() {
  static const std::array<Region, 9> kRegions = {{
      {"us-east-1", {"us-east-1a", "us-east-1b", "us-east-1c", "us-east-1e"}},
      {"us-west-1", {"us-west-1a", "us-west-1b"}},
      {"us-west-2", {"us-west-2a", "us-west-2b", "us-west-2c"}},
      {"eu-west-1", {"eu-west-1a", "eu-west-1b", "eu-west-1c"}},
      {"eu-central-1", {"eu-central-1a", "eu-central-1b"}},
      {"ap-southeast-1", {"ap-southeast-1a", "ap-southeast-1b"}},
      {"ap-southeast-2", {"ap-southeast-2a", "ap-southeast-2b"}},
      {"ap-northeast-1", {"ap-northeast-1a", "ap-northeast-1c"}},
      {"sa-east-1", {"sa-east-1a", "sa-east-1b", "sa-east-1c"}},
  }};
  return kRegions;
}

constexpr std::array<std::string_view, 3> kOs = {"Ubuntu16.10", "Ubuntu16.04LTS", "Ubuntu15.10"};
constexpr std::array<std::string_view, 2> kArch = {"x64", "x86"};
constexpr std::array<std::string_view, 4> kTeam = {"SF", "NYC", "LON", "CHI"};
constexpr std::array<std::string_view, 3> kEnvironment = {"production", "staging", "test"};

// SplitMix64: turns (seed, host, stream) into well-spread engine seeds.
uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::mt19937_64 HostEngine(uint64_t seed, uint32_t host, uint64_t stream) {
  return std::mt19937_64(SplitMix64(SplitMix64(seed ^ stream) + host));
}

// Uniform in [0, 1) from the top 53 bits.
double Uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// Uniform integer in [0, n) (Lemire's multiply-shift; the bias is below 2^-60 for small n).
uint64_t UniformBelow(std::mt19937_64& rng, uint64_t n) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(rng()) * n) >> 64);
}

template <typename Array>
std::string_view Pick(std::mt19937_64& rng, const Array& choices) {
  return choices[UniformBelow(rng, choices.size())];
}

TsbsHost MakeHost(uint64_t seed, uint32_t id) {
  std::mt19937_64 rng = HostEngine(seed, id, /*stream=*/1);
  const Region& region = Regions()[UniformBelow(rng, Regions().size())];
  TsbsHost host;
  host.tags[0] = "host_" + std::to_string(id);
  host.tags[1] = region.name;
  host.tags[2] = Pick(rng, region.zones);
  host.tags[3] = std::to_string(UniformBelow(rng, 100));
  host.tags[4] = Pick(rng, kOs);
  host.tags[5] = Pick(rng, kArch);
  host.tags[6] = Pick(rng, kTeam);
  host.tags[7] = std::to_string(UniformBelow(rng, 20));
  host.tags[8] = std::to_string(UniformBelow(rng, 2));
  host.tags[9] = Pick(rng, kEnvironment);
  return host;
}

// Appends `s`, which needs no JSON escaping (asserted), as a quoted string.
void AppendPlainJsonString(std::string_view s, std::string* out) {
  assert(std::none_of(s.begin(), s.end(), [](char c) {
    return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
  }));
  out->push_back('"');
  out->append(s);
  out->push_back('"');
}

void Append2(unsigned v, std::string* out) {
  out->push_back(static_cast<char>('0' + v / 10));
  out->push_back(static_cast<char>('0' + v % 10));
}

}  // namespace

common::Result<TsbsScale> ParseTsbsScale(std::string_view text) {
  const auto bad = [&] {
    return common::InvalidArgument("--scale: '" + std::string(text) +
                                   "' is not HOSTS,HOURS (two integers >= 1, e.g. 100,24)");
  };
  const size_t comma = text.find(',');
  if (comma == std::string_view::npos) return bad();
  TsbsScale scale;
  const std::string_view hosts = text.substr(0, comma);
  const std::string_view hours = text.substr(comma + 1);
  auto [p1, e1] = std::from_chars(hosts.data(), hosts.data() + hosts.size(), scale.hosts);
  auto [p2, e2] = std::from_chars(hours.data(), hours.data() + hours.size(), scale.hours);
  if (e1 != std::errc() || p1 != hosts.data() + hosts.size() || e2 != std::errc() ||
      p2 != hours.data() + hours.size() || scale.hosts == 0 || scale.hours == 0) {
    return bad();
  }
  return scale;
}

TsbsCpuGenerator::TsbsCpuGenerator(TsbsScale scale, uint64_t seed) : scale_(scale), seed_(seed) {
  hosts_.reserve(scale_.hosts);
  walks_.reserve(scale_.hosts);
  for (uint32_t id = 0; id < scale_.hosts; ++id) {
    hosts_.push_back(MakeHost(seed_, id));
    Walk& walk = walks_.emplace_back(Walk{HostEngine(seed_, id, /*stream=*/2), {}});
    for (double& v : walk.value) {
      v = kTsbsFieldMin + Uniform01(walk.rng) * (kTsbsFieldMax - kTsbsFieldMin);
    }
  }
}

size_t TsbsCpuGenerator::Next(size_t max_rows, std::vector<TsbsRow>* out) {
  const size_t n = static_cast<size_t>(std::min<uint64_t>(max_rows, scale_.rows() - next_row_));
  for (size_t i = 0; i < n; ++i, ++next_row_) {
    const auto host = static_cast<uint32_t>(next_row_ % scale_.hosts);
    const auto step = static_cast<int64_t>(next_row_ / scale_.hosts);
    Walk& walk = walks_[host];
    out->push_back(TsbsRow{kTsbsStartMicros + step * kTsbsIntervalMicros, host, walk.value});
    // Advance every walk by N(0, 1), two fields per Box-Muller pair, clamped to [min, max].
    static_assert(kTsbsFieldCount % 2 == 0);
    for (size_t f = 0; f < kTsbsFieldCount; f += 2) {
      const double u1 = 1.0 - Uniform01(walk.rng);  // (0, 1]: log is finite
      const double u2 = Uniform01(walk.rng);
      const double r = std::sqrt(-2.0 * std::log(u1));
      const double theta = 2.0 * std::numbers::pi * u2;
      walk.value[f] = std::clamp(walk.value[f] + r * std::cos(theta), kTsbsFieldMin, kTsbsFieldMax);
      walk.value[f + 1] =
          std::clamp(walk.value[f + 1] + r * std::sin(theta), kTsbsFieldMin, kTsbsFieldMax);
    }
  }
  return n;
}

std::vector<TsbsRow> TsbsCpuGenerator::TakeAll() {
  std::vector<TsbsRow> rows;
  rows.reserve(static_cast<size_t>(scale_.rows() - next_row_));
  Next(static_cast<size_t>(scale_.rows() - next_row_), &rows);
  return rows;
}

void AppendIsoTimestamp(int64_t micros, std::string* out) {
  assert(micros >= 0);
  const int64_t seconds = micros / 1000000;
  const auto sub = static_cast<uint32_t>(micros % 1000000);
  const int64_t days = seconds / 86400;
  const auto sod = static_cast<unsigned>(seconds % 86400);
  // Howard Hinnant's civil_from_days, for days >= 0.
  const int64_t z = days + 719468;
  const int64_t era = z / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned day = doy - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  const auto year = static_cast<unsigned>(static_cast<int64_t>(yoe) + era * 400 + (month <= 2));
  Append2(year / 100, out);
  Append2(year % 100, out);
  out->push_back('-');
  Append2(month, out);
  out->push_back('-');
  Append2(day, out);
  out->push_back('T');
  Append2(sod / 3600, out);
  out->push_back(':');
  Append2(sod / 60 % 60, out);
  out->push_back(':');
  Append2(sod % 60, out);
  if (sub != 0) {
    char frac[8];
    frac[0] = '.';
    uint32_t v = sub;
    for (int i = 6; i >= 1; --i, v /= 10) frac[i] = static_cast<char>('0' + v % 10);
    out->append(frac, 7);
  }
  out->push_back('Z');
}

void AppendShortestDouble(double value, std::string* out) {
  assert(std::isfinite(value));
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  assert(ec == std::errc());
  (void)ec;
  out->append(buf, end);
}

std::string RenderIngestBody(std::span<const TsbsRow> rows, const std::vector<TsbsHost>& hosts,
                             std::string_view key, std::string_view dataset_name) {
  std::string out;
  out.reserve(512 + rows.size() * 640);
  out.append("{\"idempotencyKey\":");
  assert(out.size() + 1 == kIngestBodyKeyOffset);
  AppendPlainJsonString(key, &out);
  out.append(",\"datasetName\":");
  AppendPlainJsonString(dataset_name, &out);
  out.append(",\"schema\":{\"fields\":[{\"name\":\"timestamp\",\"type\":\"timestamp\"}");
  for (std::string_view tag : kTsbsTagNames) {
    out.append(",{\"name\":\"").append(tag).append("\",\"type\":\"string\"}");
  }
  for (std::string_view field : kTsbsFieldNames) {
    out.append(",{\"name\":\"").append(field).append("\",\"type\":\"double\"}");
  }
  out.append("]},\"rows\":[");
  for (size_t i = 0; i < rows.size(); ++i) {
    const TsbsRow& row = rows[i];
    assert(row.host < hosts.size());
    const TsbsHost& host = hosts[row.host];
    out.append(i == 0 ? "{\"timestamp\":\"" : ",{\"timestamp\":\"");
    AppendIsoTimestamp(row.timestamp_micros, &out);
    out.push_back('"');
    for (size_t t = 0; t < kTsbsTagCount; ++t) {
      out.append(",\"").append(kTsbsTagNames[t]).append("\":");
      AppendPlainJsonString(host.tags[t], &out);
    }
    for (size_t f = 0; f < kTsbsFieldCount; ++f) {
      out.append(",\"").append(kTsbsFieldNames[f]).append("\":");
      AppendShortestDouble(row.fields[f], &out);
    }
    out.push_back('}');
  }
  out.append("]}");
  return out;
}

void PatchIngestBodyKey(std::string* body, std::string_view key) {
  assert(body->size() > kIngestBodyKeyOffset + key.size());
  assert((*body)[kIngestBodyKeyOffset + key.size()] == '"');
  body->replace(kIngestBodyKeyOffset, key.size(), key);
}

uint64_t Fnv1a64(std::string_view bytes, uint64_t hash) {
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

}  // namespace timestore::bench
