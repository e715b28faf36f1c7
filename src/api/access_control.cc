#include "api/access_control.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

#include <sys/random.h>

#include "api/api_error.h"
#include "common/json_writer.h"
#include "http/error_response.h"
#include "storage/sha256_hasher.h"

namespace timestore::api {
namespace {

using config::AuthMode;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The comma-separated x-iam-scopes header, trimmed, empty items dropped.
std::vector<std::string> ClaimedScopes(const http::Request& request) {
  std::vector<std::string> scopes;
  auto header = request.Header("x-iam-scopes");
  if (!header) return scopes;
  std::string_view rest = *header;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view item = Trim(rest.substr(0, comma));
    if (!item.empty()) scopes.emplace_back(item);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return scopes;
}

// The first non-empty of x-iam-user, x-user-id, x-actor-id (trimmed), as the original.
std::optional<std::string> ClaimedActor(const http::Request& request) {
  for (const char* header : {"x-iam-user", "x-user-id", "x-actor-id"}) {
    if (auto v = request.Header(header)) {
      const std::string_view trimmed = Trim(*v);
      if (!trimmed.empty()) return std::string(trimmed);
    }
  }
  return std::nullopt;
}

bool Contains(const std::vector<std::string>& values, std::string_view value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

std::string_view PermissionName(Permission permission) {
  switch (permission) {
    case Permission::kRead:
      return "read";
    case Permission::kWrite:
      return "write";
    case Permission::kAdmin:
      return "admin";
    case Permission::kSqlRead:
      return "sql:read";
    case Permission::kMetrics:
      return "metrics";
  }
  return "admin";
}

std::string JoinScopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const std::string& s : scopes) out += (out.empty() ? "" : ", ") + s;
  return out;
}

http::Identity Refused(std::string message) {
  http::Identity identity;
  identity.error = common::Unauthenticated(std::move(message));
  return identity;
}

// Compares two equal-length digests without an early exit.
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

// The dataset Secured resolved for the request its handler is running for on this thread. Set for
// the duration of the handler call only (ResolvedScope), so it never outlives the dataset.
struct Resolution {
  const http::Request* request = nullptr;
  const catalog::Dataset* dataset = nullptr;
};
thread_local Resolution current_resolution;

// Publishes `dataset` for `request` while alive; restores the previous one (nested Secured calls).
class ResolvedScope {
 public:
  ResolvedScope(const http::Request& request, const catalog::Dataset* dataset)
      : previous_(current_resolution) {
    current_resolution = Resolution{&request, dataset};
  }
  ~ResolvedScope() { current_resolution = previous_; }
  ResolvedScope(const ResolvedScope&) = delete;
  ResolvedScope& operator=(const ResolvedScope&) = delete;

 private:
  const Resolution previous_;
};

}  // namespace

const catalog::Dataset* ResolvedDataset(const http::Request& request) {
  return current_resolution.request == &request ? current_resolution.dataset : nullptr;
}

common::Result<catalog::Dataset> RouteDataset(
    const http::Request& request, std::string_view param,
    const std::function<common::Result<catalog::Dataset>(std::string_view)>& lookup) {
  if (const catalog::Dataset* dataset = ResolvedDataset(request)) return *dataset;
  return lookup(request.PathParam(param).value_or(""));
}

std::string HashToken(std::string_view token) { return storage::Sha256Hex(token); }

std::string NewTokenSecret() {
  std::array<unsigned char, 32> bytes{};
  size_t filled = 0;
  while (filled < bytes.size()) {
    const ssize_t n = getrandom(bytes.data() + filled, bytes.size() - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("getrandom: ") + std::strerror(errno));
    }
    filled += static_cast<size_t>(n);
  }
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out(kTokenPrefix);
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char b : bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 0x3f];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 0x3f];
  return out;
}

AccessControl::AccessControl(config::AuthConfig config, catalog::DatasetRepository& datasets,
                             catalog::TokenRepository& tokens, const RequestAudit* audit)
    : config_(std::move(config)),
      admin_token_hash_(config_.admin_token ? HashToken(*config_.admin_token) : std::string()),
      datasets_(datasets),
      tokens_(tokens),
      audit_(audit) {}

const std::string& AccessControl::ScopeOf(Permission permission) const {
  switch (permission) {
    case Permission::kRead:
      return config_.read_scope;
    case Permission::kWrite:
      return config_.write_scope;
    case Permission::kAdmin:
      return config_.admin_scope;
    case Permission::kSqlRead:
      return config_.sql_read_scope;
    case Permission::kMetrics:
      return config_.metrics_scope;
  }
  return config_.admin_scope;
}

http::Identity AccessControl::Identify(const http::Request& request) const {
  switch (config_.mode) {
    case AuthMode::kNone: {
      // Attribution only: nothing is checked in this mode.
      http::Identity identity;
      identity.actor = ClaimedActor(request);
      identity.scopes = ClaimedScopes(request);
      return identity;
    }
    case AuthMode::kHeaders:
      return IdentifyByHeaders(request);
    case AuthMode::kTokens:
      return IdentifyByToken(request);
  }
  return {};
}

http::Identity AccessControl::IdentifyByHeaders(const http::Request& request) const {
  http::Identity identity;
  identity.actor = ClaimedActor(request);
  identity.scopes = ClaimedScopes(request);
  // The gateway vouches for whatever it sends; a request it sent nothing for has no credentials.
  identity.authenticated = identity.actor.has_value() || request.Header("x-iam-scopes");
  return identity;
}

http::Identity AccessControl::IdentifyByToken(const http::Request& request) const {
  auto header = request.Header("authorization");
  if (!header) return {};
  const std::string_view value = Trim(*header);
  const size_t space = value.find(' ');
  if (space == std::string_view::npos || value.substr(0, space).size() != 6 ||
      !std::equal(value.begin(), value.begin() + 6, "bearer", [](char a, char b) {
        return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b;
      })) {
    return Refused("Authorization header must be 'Bearer <token>'");
  }
  const std::string_view secret = Trim(value.substr(space + 1));
  if (secret.empty() || secret.size() > 512) return Refused("invalid bearer token");
  const std::string hash = HashToken(secret);
  http::Identity identity;
  if (!admin_token_hash_.empty() && ConstantTimeEquals(hash, admin_token_hash_)) {
    identity.authenticated = true;
    identity.actor = "admin-token";
    identity.scopes = {config_.admin_scope};
    return identity;
  }
  auto found = tokens_.FindUsable(hash);
  if (!found.ok()) {
    identity.error =
        common::Unavailable("could not check the bearer token: " + found.status().message());
    return identity;
  }
  // Unknown, revoked and expired tokens get the same answer: nothing to learn by probing.
  if (!found->has_value()) return Refused("invalid, expired or revoked bearer token");
  const catalog::ApiToken& token = **found;
  identity.authenticated = true;
  // Names need not be unique; the id tells tokens of one name apart in the audit trail.
  identity.actor = "token:" + token.name + "/" + token.id.value();
  identity.scopes = token.scopes;
  identity.datasets = token.datasets;
  return identity;
}

common::Status AccessControl::Check(const http::Identity& identity, Permission permission,
                                    const catalog::Dataset* dataset,
                                    std::optional<std::string_view> dataset_name) const {
  if (config_.mode == AuthMode::kNone) return common::Status::Ok();
  if (!identity.error.ok()) return identity.error;
  if (!identity.authenticated) {
    return common::Unauthenticated(
        config_.mode == AuthMode::kTokens
            ? "missing credentials: send 'Authorization: Bearer <token>'"
            : "missing credentials: no x-iam-scopes or x-iam-user header");
  }
  const std::optional<std::string_view> slug =
      dataset != nullptr ? std::optional<std::string_view>(dataset->slug) : dataset_name;
  if (identity.datasets) {
    // SQL filters its views by dataset (ReadableDatasets); other routes about no single dataset
    // (metrics, global admin) would reach beyond the limit.
    if (!slug && permission != Permission::kSqlRead) {
      return common::PermissionDenied("these credentials are limited to datasets [" +
                                      JoinScopes(*identity.datasets) +
                                      "]; this route needs unrestricted credentials");
    }
    if (slug && !Contains(*identity.datasets, *slug)) {
      return common::PermissionDenied("these credentials do not cover dataset " +
                                      std::string(*slug));
    }
  }
  if (Contains(identity.scopes, config_.admin_scope)) return common::Status::Ok();

  std::vector<std::string> required;
  if (dataset != nullptr && permission == Permission::kRead && !dataset->read_scopes.empty()) {
    required = dataset->read_scopes;
  } else if (dataset != nullptr && permission == Permission::kWrite &&
             !dataset->write_scopes.empty()) {
    required = dataset->write_scopes;
  } else {
    required = {ScopeOf(permission)};
  }
  for (const std::string& scope : required) {
    if (Contains(identity.scopes, scope)) return common::Status::Ok();
  }
  std::string message =
      "missing required scope " +
      (required.size() == 1 ? required.front() : "(one of) " + JoinScopes(required));
  if (slug) message += " for dataset " + std::string(*slug);
  return common::PermissionDenied(std::move(message));
}

common::Result<std::optional<catalog::Dataset>> AccessControl::FindDataset(
    std::string_view name) const {
  return datasets_.FindByIdOrSlugCached(name);
}

common::Result<std::optional<std::set<std::string>>> AccessControl::ReadableDatasets(
    const http::Identity& identity) const {
  using Readable = std::optional<std::set<std::string>>;
  if (config_.mode == AuthMode::kNone) return Readable();
  if (!identity.error.ok()) return identity.error;
  if (identity.authenticated && !identity.datasets &&
      Contains(identity.scopes, config_.admin_scope)) {
    return Readable();
  }
  std::set<std::string> readable;
  catalog::ListDatasetsOptions options;
  options.limit = 500;
  while (true) {
    TS_ASSIGN_OR_RETURN(catalog::DatasetPage page, datasets_.List(options));
    for (const catalog::Dataset& d : page.items) {
      if (Check(identity, Permission::kRead, &d).ok()) readable.insert(d.slug);
    }
    if (!page.next_cursor) break;
    options.cursor = std::move(page.next_cursor);
  }
  return Readable(std::move(readable));
}

void AccessControl::RecordDenial(const http::Request& request, const Requirement& requirement,
                                 const common::Status& verdict) const {
  if (audit_ == nullptr) return;
  RequestAudit::Entry entry;
  entry.action = "access.denied";
  if (!requirement.dataset_param.empty()) {
    if (auto name = request.PathParam(requirement.dataset_param)) {
      entry.dataset_slug = std::string(*name);
    }
  }
  entry.success = false;
  common::JsonWriter w;
  w.BeginObject()
      .Key("method")
      .String(request.method)
      .Key("route")
      .String(request.route)
      .Key("permission")
      .String(PermissionName(requirement.permission))
      .Key("status")
      .Int(http::HttpStatusFor(verdict.code()))
      .Key("error")
      .String(verdict.message())
      .EndObject();
  entry.metadata_json = w.TakeBuffer();
  audit_->Record(request, std::move(entry));
}

http::Handler Secured(const AccessControl* access, Requirement requirement, http::Handler handler) {
  if (access == nullptr || access->config().mode == AuthMode::kNone) return handler;
  return [access, requirement = std::move(requirement),
          handler = std::move(handler)](const http::Request& request) {
    common::Status verdict;
    std::optional<catalog::Dataset> resolved;
    if (requirement.dataset_param.empty()) {
      verdict = access->Check(request.identity, requirement.permission, nullptr);
    } else {
      const std::string name(request.PathParam(requirement.dataset_param).value_or(""));
      // Credentials first: an anonymous caller learns nothing about which datasets exist.
      verdict = access->Check(request.identity, requirement.permission, nullptr, name);
      if (verdict.ok() || verdict.code() == common::StatusCode::kPermissionDenied) {
        auto dataset = access->FindDataset(name);
        if (!dataset.ok()) {
          verdict = dataset.status();
        } else if (dataset->has_value()) {
          resolved = std::move(*dataset);
          verdict = access->Check(request.identity, requirement.permission, &*resolved);
        }
      }
    }
    if (verdict.ok()) {
      const ResolvedScope scope(request, resolved ? &*resolved : nullptr);
      return handler(request);
    }
    access->RecordDenial(request, requirement, verdict);
    http::Response response = ErrorAnswer(verdict);
    if (verdict.code() == common::StatusCode::kUnauthenticated &&
        access->config().mode == AuthMode::kTokens) {
      response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"timestore\"");
    }
    return response;
  };
}

}  // namespace timestore::api
