#include "harness/server_process.h"

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>

#include <signal.h>

#include "harness/eventually.h"
#include "harness/http_client.h"
#include "harness/work_dir.h"

namespace timestore::harness {

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string LogTail(const std::string& path) {
  std::string log = ReadFile(path);
  if (log.size() > 2000) log = "..." + log.substr(log.size() - 2000);
  return log.empty() ? "(empty log " + path + ")" : log;
}

// The port of the {"msg":"timestore listening",...,"port":N} line, when the log level shows it.
std::optional<uint16_t> PortFromLog(const std::string& path) {
  const std::string log = ReadFile(path);
  const size_t line = log.find("\"timestore listening\"");
  if (line == std::string::npos) return std::nullopt;
  const size_t key = log.find("\"port\":", line);
  if (key == std::string::npos) return std::nullopt;
  uint16_t port = 0;
  const char* begin = log.data() + key + 7;
  if (std::from_chars(begin, log.data() + log.size(), port).ec != std::errc() || port == 0) {
    return std::nullopt;
  }
  return port;
}

// The TCP port `pid` listens on: its socket inodes (/proc/<pid>/fd) matched against the LISTEN
// entries of /proc/<pid>/net/tcp and tcp6.
std::optional<uint16_t> PortFromProc(pid_t pid) {
  namespace fs = std::filesystem;
  const std::string base = "/proc/" + std::to_string(pid);
  std::set<std::string> inodes;
  std::error_code ec;
  for (const fs::directory_entry& fd : fs::directory_iterator(base + "/fd", ec)) {
    std::error_code link_ec;
    const std::string target = fs::read_symlink(fd.path(), link_ec).string();
    if (!link_ec && target.starts_with("socket:[") && target.ends_with("]")) {
      inodes.insert(target.substr(8, target.size() - 9));
    }
  }
  for (const char* table : {"/net/tcp", "/net/tcp6"}) {
    std::ifstream in(base + table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
      std::istringstream fields(line);
      std::string sl, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      fields >> sl >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
          timeout >> inode;
      if (state != "0A" || inodes.count(inode) == 0) continue;  // 0A: LISTEN
      const size_t colon = local.rfind(':');
      unsigned port = 0;
      if (colon == std::string::npos ||
          std::from_chars(local.data() + colon + 1, local.data() + local.size(), port, 16).ec !=
              std::errc()) {
        continue;
      }
      return static_cast<uint16_t>(port);
    }
  }
  return std::nullopt;
}

}  // namespace

common::Result<ServerProcess> ServerProcess::Start(const ServerProcessOptions& options,
                                                   CleanupRegistry* cleanup) {
  SpawnOptions spawn;
  spawn.argv = {options.binary, "serve"};
  std::vector<std::string> set = {
      "TIMESTORE_HOST=127.0.0.1",
      "TIMESTORE_PORT=0",
      "TIMESTORE_DATABASE_URL=" + options.database_url,
      "TIMESTORE_PG_SCHEMA=" + options.pg_schema,
      "TIMESTORE_STORAGE_DRIVER=local",
      "TIMESTORE_STORAGE_ROOT=" + options.storage_root,
      "TIMESTORE_LOG_LEVEL=" + options.log_level,
  };
  set.insert(set.end(), options.extra_env.begin(), options.extra_env.end());  // they win
  spawn.env = ChildEnvironment({"TIMESTORE_", "DATABASE_URL="}, set);
  spawn.output_path = options.log_path;
  spawn.die_with_parent = true;

  ServerProcess server;
  TS_ASSIGN_OR_RETURN(server.child_, ChildProcess::Spawn(spawn));
  server.cleanup_ = cleanup;
  if (cleanup != nullptr) {
    const pid_t pid = server.child_.pid();
    // SIGKILL only: the process has not been reaped while the action is registered, so the pid
    // cannot have been reused.
    server.cleanup_id_ = cleanup->Add([pid] { ::kill(pid, SIGKILL); });
  }

  server.log_path_ = options.log_path;
  TS_RETURN_IF_ERROR(server.WaitUntilReady(options.ready_timeout));
  return server;
}

common::Status ServerProcess::WaitUntilReady(std::chrono::seconds timeout) {
  std::string last_problem = "no listening socket yet";
  std::optional<common::Status> failed;
  const bool ready = Eventually(
      [&] {
        int exit_code = 0;
        if (!child_.Running(&exit_code)) {
          failed = common::Unavailable("timestore exited with " + std::to_string(exit_code) +
                                       " during startup; log:\n" + LogTail(log_path_));
          return true;
        }
        if (port_ == 0) {
          std::optional<uint16_t> port = PortFromLog(log_path_);
          if (!port) port = PortFromProc(child_.pid());
          if (port) port_ = *port;
        }
        if (port_ == 0) return false;
        HttpClient client("127.0.0.1", port_, std::chrono::seconds(5));
        common::Result<HttpResponse> answer = client.Request("GET", "/ready", "", "");
        if (answer.ok() && answer->status == 200) return true;
        last_problem =
            answer.ok() ? "/ready answered " + std::to_string(answer->status) + ": " + answer->body
                        : answer.status().ToString();
        return false;
      },
      timeout, std::chrono::milliseconds(100));
  if (failed) return *failed;
  if (!ready) {
    return common::Unavailable("timestore not ready after " + std::to_string(timeout.count()) +
                               " s: " + last_problem + "; log:\n" + LogTail(log_path_));
  }
  return common::Status::Ok();
}

std::string ServerProcess::Log() const { return ReadFile(log_path_); }

ServerProcess::ServerProcess(ServerProcess&& other) noexcept
    : child_(std::move(other.child_)),
      port_(other.port_),
      log_path_(std::move(other.log_path_)),
      cleanup_(other.cleanup_),
      cleanup_id_(std::exchange(other.cleanup_id_, 0)) {}

ServerProcess::~ServerProcess() { Stop(); }

common::Result<uint64_t> ServerProcess::PeakRssBytes() const {
  const std::string path = "/proc/" + std::to_string(child_.pid()) + "/status";
  const std::string status = ReadFile(path);
  const size_t key = status.find("VmHWM:");
  if (key == std::string::npos) return common::Unavailable("no VmHWM in " + path);
  size_t pos = key + 6;
  while (pos < status.size() && (status[pos] == ' ' || status[pos] == '\t')) ++pos;
  uint64_t kib = 0;
  if (std::from_chars(status.data() + pos, status.data() + status.size(), kib).ec != std::errc()) {
    return common::Internal("bad VmHWM in " + path);
  }
  return kib * 1024;
}

common::Status ServerProcess::ResetPeakRss() const {
  const std::string path = "/proc/" + std::to_string(child_.pid()) + "/clear_refs";
  std::ofstream out(path);
  out << "5";
  out.flush();
  if (!out) return common::Unavailable("cannot write " + path);
  return common::Status::Ok();
}

int ServerProcess::Stop(std::chrono::milliseconds grace) {
  // Unregister before reaping, so the signal path never kills a reused pid (an interrupt in between
  // still ends the server: it dies with its parent).
  if (cleanup_ != nullptr && cleanup_id_ != 0) cleanup_->Remove(cleanup_id_);
  cleanup_id_ = 0;
  return child_.Terminate(grace);
}

int StopServerAtEndOfRun(ServerProcess& server, const std::string& log_path, int exit_code) {
  const int server_exit = server.Stop();
  if (server_exit != 0) {
    std::fprintf(stderr, "warning: timestore exited with %d on SIGTERM\n", server_exit);
    exit_code = exit_code == 0 ? 1 : exit_code;
  }
  if (exit_code != 0) PrintLogTail(log_path, 10);
  return exit_code;
}

}  // namespace timestore::harness
