// cmd_record.cpp — `vigil record`: records decoded kernel events as JSON Lines.
// Opens the sensor, snapshots /proc into a ProcessTable, applies every event to the table
// and writes the stream (format 2, state/include/vigil/record_writer.h: a header, each
// process's details once, then events that refer to them) until the duration passes or
// SIGINT/SIGTERM arrives; prints counts to stderr at the end. The file is created 0600 and
// the environment is left out unless --with-env.
#include <CLI/CLI.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <unordered_set>

#include "commands.h"
#include "vigil/event_jsonl.h"
#include "vigil/proc_scan.h"
#include "vigil/process_table.h"
#include "vigil/record_writer.h"
#include "vigil/sensor.h"

namespace vigil::cli {
namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop.store(true); }

struct RecordArgs {
  std::string output;
  std::string old_o;  // -o: a config override elsewhere; here only an error that says so
  double duration_s = 0;
  bool with_env = false;
  std::string filter;
  int64_t pid = 0;
  std::size_t ring_mb = 16;
  bool send_recv = false;
};

// Event types whose events keep the process table right (always traced, written only when
// the filter asks for them).
constexpr EventType kLifecycle[] = {EventType::kExecve, EventType::kExecveat, EventType::kClone,
                                    EventType::kClone3, EventType::kFork,    EventType::kVfork,
                                    EventType::kProcExit};

bool HasFdArg(EventType t) {
  switch (t) {
    case EventType::kOpen: case EventType::kOpenat: case EventType::kOpenat2:
    case EventType::kCreat: case EventType::kOpenByHandleAt: case EventType::kConnect: case EventType::kAccept:
    case EventType::kAccept4: case EventType::kBind: case EventType::kListen:
    case EventType::kSendto: case EventType::kRecvfrom: case EventType::kSocket:
    case EventType::kDup: case EventType::kDup2: case EventType::kDup3:
    case EventType::kMemfdCreate:
      return true;
    default:
      return false;
  }
}

// Creates (or truncates) the recording 0600: it holds command lines, paths and, with
// --with-env, environments. An existing file keeps its owner but loses other users' access.
FILE* OpenRecording(const std::string& path) {
  if (path == "-") return stdout;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return nullptr;
  if (::fchmod(fd, 0600) != 0) {
    const int e = errno;
    ::close(fd);
    errno = e;
    return nullptr;
  }
  FILE* f = ::fdopen(fd, "w");
  if (f == nullptr) ::close(fd);
  return f;
}

int RunRecord(const RecordArgs& args) {
  if (!args.old_o.empty()) {
    std::fprintf(stderr,
                 "vigil record: -o overrides a config key in `vigil run`/`replay`; write the "
                 "recording with -w/--output-file %s\n",
                 args.old_o.c_str());
    return 2;
  }
  if (args.output.empty()) {
    std::fprintf(stderr, "vigil record: --output-file (-w) FILE is required ('-' for stdout)\n");
    return 2;
  }
  std::bitset<kEventTypeCount> wanted;
  if (args.filter.empty()) {
    wanted.set();
  } else {
    std::stringstream ss(args.filter);
    std::string name;
    while (std::getline(ss, name, ',')) {
      if (name.empty()) continue;
      auto t = EventTypeFromName(name);
      if (!t) {
        std::fprintf(stderr, "vigil record: --filter-syscalls: unknown event type '%s'\n",
                     name.c_str());
        return 2;
      }
      wanted.set(static_cast<std::size_t>(*t));
    }
  }
  SensorOptions options;
  options.ring_bytes = args.ring_mb << 20;
  options.interest = wanted;
  for (EventType t : kLifecycle) options.interest.set(static_cast<std::size_t>(t));
  options.capture_send_recv =
      args.send_recv || (!args.filter.empty() &&
                         (wanted.test(static_cast<std::size_t>(EventType::kSendto)) ||
                          wanted.test(static_cast<std::size_t>(EventType::kRecvfrom))));

  options.capture_env = args.with_env;  // envp at exec too (exec.env)

  FILE* out = OpenRecording(args.output);
  if (out == nullptr) {
    std::fprintf(stderr, "vigil record: cannot open %s: %s\n", args.output.c_str(),
                 std::strerror(errno));
    return 1;
  }
  std::string error;
  auto sensor = Sensor::Open(options, &error);
  if (!sensor) {
    std::fprintf(stderr, "vigil record: cannot start the sensor: %s\n", error.c_str());
    if (out != stdout) std::fclose(out);
    return 1;
  }
  ProcessTable table;
  ProcScanOptions scan;
  scan.read_env = args.with_env;  // without --with-env no environ is even read
  table.SetResolver(ProcResolver(scan));
  const std::size_t snap = SnapshotProcesses(table, scan);

  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  std::unordered_set<uint32_t> tree;  // --pid: the process and its descendants
  if (args.pid > 0) tree.insert(static_cast<uint32_t>(args.pid));

  uint64_t written = 0, seen = 0, bytes = 0;
  std::string buf;
  buf.reserve(1 << 20);
  JsonlWriteOptions write_options;
  write_options.with_env = args.with_env;
  RecordWriter writer(write_options);
  {
    char host[256] = {0};
    ::gethostname(host, sizeof(host) - 1);
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    writer.AppendHeader(host, std::chrono::duration_cast<std::chrono::nanoseconds>(now).count(),
                        &buf);
  }
  auto flush = [&] {
    if (!buf.empty()) {
      std::fwrite(buf.data(), 1, buf.size(), out);
      bytes += buf.size();
      buf.clear();
    }
  };
  std::function<void(const Event&)> on_event = [&](const Event& ev) {
    ++seen;
    table.Apply(ev);
    if (args.pid > 0) {
      if (ev.fork && tree.count(ev.tgid)) tree.insert(ev.fork->child_tgid);
      if (!tree.count(ev.tgid)) return;
    }
    if (!wanted.test(static_cast<std::size_t>(ev.type))) return;
    const Process* proc = table.FindOrResolve(ev.tgid);
    const FdInfo* fd = nullptr;
    if (HasFdArg(ev.type)) {
      if (const Arg* a = ev.Find(ArgId::kFd); a && !a->is_str) fd = table.FindFd(ev.tgid, a->num);
    }
    writer.Append(ev, proc, fd, table, &buf);
    ++written;
    if (buf.size() > (512 << 10)) flush();
  };

  std::fprintf(stderr, "vigil record: hook mode %s, %zu processes in the snapshot, writing %s\n",
               std::string(sensor->hook_mode()).c_str(), snap, args.output.c_str());
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::duration<double>(args.duration_s);
  int rc = 0;
  while (!g_stop.load()) {
    if (args.duration_s > 0 && std::chrono::steady_clock::now() >= deadline) break;
    int n = sensor->Poll(100, on_event);
    if (n < 0) {
      std::fprintf(stderr, "vigil record: poll failed: %s\n", std::strerror(-n));
      rc = 1;
      break;
    }
  }
  sensor->Poll(0, on_event);  // drain what is queued
  flush();
  std::fflush(out);
  if (out != stdout) std::fclose(out);
  const SensorStats st = sensor->Stats();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr,
               "vigil record: %llu events written (%llu seen, %zu process records, %llu bytes, "
               "%.0f bytes/event) in %.1f s; drops %llu, decode errors %llu, truncated strings "
               "%llu\n",
               static_cast<unsigned long long>(written), static_cast<unsigned long long>(seen),
               writer.process_records(), static_cast<unsigned long long>(bytes),
               written ? static_cast<double>(bytes) / static_cast<double>(written) : 0.0,
               secs, static_cast<unsigned long long>(st.drops),
               static_cast<unsigned long long>(st.decode_errors),
               static_cast<unsigned long long>(st.truncated));
  return rc;
}

}  // namespace

Runner AddRecordCommand(CLI::App& app) {
  auto args = std::make_shared<RecordArgs>();
  CLI::App* cmd = app.add_subcommand("record", "Record decoded kernel events as JSON Lines");
  cmd->add_option("-w,--output-file,--output", args->output,
                  "Recording to write, created 0600 ('-' for stdout)");
  cmd->add_option("-o", args->old_o, "(not a file here: see -w)")->group("");
  cmd->add_flag("--with-env", args->with_env,
                "Also record each process's environment (may hold secrets; off by default)");
  cmd->add_option("--duration", args->duration_s, "Stop after this many seconds (default: until SIGINT/SIGTERM)");
  cmd->add_option("--filter-syscalls", args->filter,
                  "Comma-separated event types to write (Falco names: open,openat,execve,...)");
  cmd->add_option("--pid", args->pid, "Only write events of this process and its descendants");
  cmd->add_option("--ring-mb", args->ring_mb, "Ring buffer size in MiB")->capture_default_str();
  cmd->add_flag("--send-recv", args->send_recv, "Also trace sendto/recvfrom/sendmsg/recvmsg");
  return [args] { return RunRecord(*args); };
}

}  // namespace vigil::cli
