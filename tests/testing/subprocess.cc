#include "testing/subprocess.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <unistd.h>

namespace timestore::testing {

Subprocess::Subprocess(std::vector<std::string> argv,
                       const std::map<std::string, std::string>& env) {
  char tmpl[] = "/tmp/timestore-subprocess-XXXXXX";
  const int fd = mkstemp(tmpl);
  if (fd >= 0) close(fd);
  output_path_ = tmpl;
  std::vector<std::string> drop;
  std::vector<std::string> set;
  for (const auto& [name, value] : env) {
    if (value == "<unset>") {
      drop.push_back(name + "=");
    } else {
      set.push_back(name + "=" + value);
    }
  }
  harness::SpawnOptions options;
  options.argv = std::move(argv);
  options.env = harness::ChildEnvironment(drop, set);
  options.output_path = output_path_;
  common::Result<harness::ChildProcess> child = harness::ChildProcess::Spawn(options);
  if (child.ok()) {
    child_ = std::move(*child);
  } else {
    ADD_FAILURE() << child.status().ToString();
  }
}

Subprocess::~Subprocess() {
  child_.Terminate(std::chrono::milliseconds(0));
  unlink(output_path_.c_str());
}

std::string Subprocess::Output() const {
  std::ifstream in(output_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::pair<int, std::string> RunCommand(std::vector<std::string> argv,
                                       std::map<std::string, std::string> env,
                                       std::chrono::milliseconds timeout) {
  Subprocess p(std::move(argv), std::move(env));
  const std::optional<int> code = p.Wait(timeout);
  return {code.value_or(-1), p.Output()};
}

}  // namespace timestore::testing
