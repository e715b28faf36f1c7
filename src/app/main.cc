// timestore: the single binary. `serve` (the default) runs the HTTP service; `migrate` applies the
// catalog migrations and exits; `lifecycle` runs lifecycle workers; `token` manages bearer tokens;
// `version` prints the version. Configuration comes from TIMESTORE_*
// variables (see README); an invalid value exits with status 2 naming the variable.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <signal.h>
#include <unistd.h>

#include "app/lifecycle_runtime.h"
#include "app/service.h"
#include "app/token_command.h"
#include "common/build_info.h"
#include "config/service_config.h"
#include "observability/logger.h"

namespace {

using timestore::common::Result;
namespace config = timestore::config;
namespace observability = timestore::observability;

constexpr int kExitConfigError = 2;

Result<config::ServiceConfig> LoadConfig() {
  std::error_code ec;
  std::string cwd = std::filesystem::current_path(ec).string();
  return config::LoadServiceConfig(config::ProcessEnvironment(), cwd);
}

int Serve(const config::ServiceConfig& cfg) {
  // Block the shutdown signals in every thread; the main thread waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  observability::Logger logger = observability::GetLogger("app");
  timestore::app::Service service(cfg);
  if (auto st = service.Start(); !st.ok()) {
    logger.Error("cannot start", observability::LogFields().Add("error", st.message()));
    return 1;
  }
  int received = 0;
  sigwait(&signals, &received);
  logger.Info("shutting down",
              observability::LogFields().Add("signal", received == SIGINT ? "SIGINT" : "SIGTERM"));
  service.Stop();
  return 0;
}

int Migrate(const config::ServiceConfig& cfg) {
  observability::Logger logger = observability::GetLogger("app");
  timestore::catalog::Catalog catalog(timestore::app::CatalogOptionsFor(cfg.postgres));
  auto applied = timestore::app::BootstrapCatalog(catalog, cfg.storage);
  if (!applied.ok()) {
    logger.Error("migration failed",
                 observability::LogFields().Add("error", applied.status().message()));
    return 1;
  }
  logger.Info(
      "catalog is up to date",
      observability::LogFields().Add("schema", cfg.postgres.schema).Add("applied", *applied));
  return 0;
}

// "a,b,,c" → {"a", "b", "c"}.
std::vector<std::string> SplitCommas(const std::string& list) {
  std::vector<std::string> items;
  for (size_t start = 0; start < list.size();) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    if (comma > start) items.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return items;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "timestore: a time-series warehouse over PostgreSQL metadata and DuckDB/Parquet files",
      "timestore"};
  app.require_subcommand(0, 1);
  CLI::App* serve = app.add_subcommand("serve", "Run the HTTP service (the default)");
  CLI::App* migrate = app.add_subcommand("migrate", "Apply catalog migrations and exit");
  CLI::App* version = app.add_subcommand("version", "Print the version and exit");
  timestore::app::LifecycleCommand lifecycle_command;
  std::string operations;
  int workers = 0;
  CLI::App* lifecycle = app.add_subcommand(
      "lifecycle",
      "Run lifecycle workers and the scheduler (compaction, retention, export, sweep)");
  lifecycle->add_flag("--once", lifecycle_command.once,
                      "Run one pass inline for the datasets, print the reports and exit");
  lifecycle->add_option("--dataset", lifecycle_command.datasets,
                        "Dataset slug (repeatable); default: every active dataset");
  lifecycle->add_option("--operations", operations,
                        "Comma list of compaction,retention,export,sweep; default: "
                        "compaction,retention,export");
  CLI::Option* workers_option = lifecycle->add_option(
      "--workers", workers, "Worker threads (default TIMESTORE_LIFECYCLE_CONCURRENCY)");
  timestore::app::TokenCommand token_command;
  std::string token_scopes;
  std::string token_datasets;
  std::string token_expires;
  CLI::App* token = app.add_subcommand("token", "Manage bearer tokens (auth mode tokens)");
  token->require_subcommand(1);
  CLI::App* token_create =
      token->add_subcommand("create", "Create a token and print it once, with its secret");
  token_create->add_option("--name", token_command.name, "What the token is for (default: cli)");
  token_create
      ->add_option("--scopes", token_scopes,
                   "Comma list of scopes, e.g. timestore:read,timestore:sql:read")
      ->required();
  token_create->add_option("--datasets", token_datasets,
                           "Comma list of dataset slugs it is limited to (default: all)");
  token_create->add_option("--expires", token_expires,
                           "When it expires: an ISO 8601 time or a duration (90d, 12h, 30m)");
  CLI::App* token_list = token->add_subcommand("list", "List tokens (never their secrets)");
  CLI::App* token_revoke = token->add_subcommand("revoke", "Revoke a token at once");
  token_revoke->add_option("id", token_command.id, "The token's id (tok-...)")->required();
  app.footer("Configuration: TIMESTORE_* environment variables (see README.md).");
  CLI11_PARSE(app, argc, argv);

  if (version->parsed()) {
    std::printf("timestore %s\n", timestore::common::kVersion);
    return 0;
  }
  auto cfg = LoadConfig();
  if (!cfg.ok()) {
    std::fprintf(stderr, "timestore: invalid configuration: %s\n", cfg.status().message().c_str());
    return kExitConfigError;
  }
  observability::InitLogging(cfg->log_level);
  if (migrate->parsed()) return Migrate(*cfg);
  if (lifecycle->parsed()) {
    lifecycle_command.operations = SplitCommas(operations);
    if (workers_option->count() > 0) lifecycle_command.workers = workers;
    return timestore::app::RunLifecycleCommand(*cfg, lifecycle_command);
  }
  if (token->parsed()) {
    if (token_create->parsed()) {
      token_command.action = timestore::app::TokenCommand::Action::kCreate;
      token_command.scopes = SplitCommas(token_scopes);
      token_command.datasets = SplitCommas(token_datasets);
      if (!token_expires.empty()) token_command.expires = token_expires;
    } else if (token_revoke->parsed()) {
      token_command.action = timestore::app::TokenCommand::Action::kRevoke;
    } else {
      (void)token_list;
      token_command.action = timestore::app::TokenCommand::Action::kList;
    }
    return timestore::app::RunTokenCommand(*cfg, token_command);
  }
  (void)serve;  // serve is also what runs without a subcommand
  return Serve(*cfg);
}
