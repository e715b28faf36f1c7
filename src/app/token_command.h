// `timestore token create|list|revoke`: manage the bearer tokens of auth mode `tokens` straight in
// the catalog (it applies pending migrations first), e.g. to create the first admin token without
// a running server. Answers are printed as JSON on stdout, as the admin API returns them; the
// secret of a created token is printed once and never stored.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/service_config.h"

namespace timestore::app {

struct TokenCommand {
  enum class Action { kCreate, kList, kRevoke };
  Action action = Action::kList;
  std::string name = "cli";           // create
  std::vector<std::string> scopes;    // create
  std::vector<std::string> datasets;  // create; empty = every dataset
  // create: an ISO 8601 timestamp, or a duration from now such as "90d", "12h", "30m".
  std::optional<std::string> expires;
  std::string id;  // revoke
};

// Runs `command`; returns the exit status: 0 done, 1 failed (the reason on stderr), 2 bad input.
int RunTokenCommand(const config::ServiceConfig& config, const TokenCommand& command);

}  // namespace timestore::app
