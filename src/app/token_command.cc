#include "app/token_command.h"

#include <charconv>
#include <cstdio>

#include "api/token_routes.h"
#include "app/service.h"
#include "catalog/catalog.h"
#include "common/json_writer.h"
#include "common/time.h"

namespace timestore::app {
namespace {

constexpr int kExitFailed = 1;
constexpr int kExitBadInput = 2;

// An ISO 8601 timestamp, or "<n>d|h|m" from `now`.
std::optional<common::UnixMicros> ParseExpiry(const std::string& text, common::UnixMicros now) {
  if (auto at = common::ParseIso8601(text)) return at;
  if (text.size() < 2) return std::nullopt;
  int64_t n = 0;
  const char* end = text.data() + text.size() - 1;
  auto [ptr, ec] = std::from_chars(text.data(), end, n);
  if (ec != std::errc() || ptr != end || n <= 0 || n > 100'000) return std::nullopt;
  const int64_t minute = 60'000'000;
  switch (text.back()) {
    case 'm':
      return now + n * minute;
    case 'h':
      return now + n * 60 * minute;
    case 'd':
      return now + n * 24 * 60 * minute;
    default:
      return std::nullopt;
  }
}

int Fail(const common::Status& status) {
  std::fprintf(stderr, "timestore token: %s\n", status.message().c_str());
  return status.code() == common::StatusCode::kInvalidArgument ? kExitBadInput : kExitFailed;
}

}  // namespace

int RunTokenCommand(const config::ServiceConfig& config, const TokenCommand& command) {
  catalog::Catalog catalog(CatalogOptionsFor(config.postgres));
  if (auto migrated = BootstrapCatalog(catalog, config.storage); !migrated.ok()) {
    return Fail(migrated.status());
  }
  const common::UnixMicros now = common::NowMicros();
  std::string out;
  switch (command.action) {
    case TokenCommand::Action::kCreate: {
      api::TokenRequest request;
      request.name = command.name;
      request.scopes = command.scopes;
      if (!command.datasets.empty()) request.datasets = command.datasets;
      if (command.expires) {
        request.expires_at = ParseExpiry(*command.expires, now);
        if (!request.expires_at) {
          return Fail(common::InvalidArgument(
              "--expires: '" + *command.expires +
              "' is neither an ISO 8601 timestamp nor a duration like 90d, 12h or 30m"));
        }
      }
      request.created_by = "cli";
      auto issued = api::IssueToken(catalog.tokens(), request, now);
      if (!issued.ok()) return Fail(issued.status());
      out = api::IssuedTokenJson(*issued, now);
      break;
    }
    case TokenCommand::Action::kList: {
      auto all = catalog.tokens().List();
      if (!all.ok()) return Fail(all.status());
      common::JsonWriter w;
      w.BeginObject().Key("tokens").BeginArray();
      for (const catalog::ApiToken& t : *all) api::WriteTokenJson(w, t, now);
      w.EndArray().EndObject();
      out = w.TakeBuffer();
      break;
    }
    case TokenCommand::Action::kRevoke: {
      auto revoked = catalog.tokens().Revoke(catalog::ApiTokenId(command.id));
      if (!revoked.ok()) return Fail(revoked.status());
      if (!*revoked) return Fail(common::NotFound("token '" + command.id + "' not found"));
      common::JsonWriter w;
      w.BeginObject().Key("token");
      api::WriteTokenJson(w, **revoked, now);
      w.EndObject();
      out = w.TakeBuffer();
      break;
    }
  }
  std::printf("%s\n", out.c_str());
  return 0;
}

}  // namespace timestore::app
