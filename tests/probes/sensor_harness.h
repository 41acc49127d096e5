// sensor_harness.h — helpers for kernel tests: a shared Sensor per test binary, owned copies
// of events, and waiting for the events of this test's own process tree.
// Test-only; single threaded.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "vigil/event.h"
#include "vigil/sensor.h"

namespace vigil::testing {

// A deep copy of an Event (Events only live during the callback).
struct OwnedEvent {
  EventType type = EventType::kUnknown;
  uint64_t ts_ns = 0;
  uint32_t tid = 0, tgid = 0;
  int64_t res = 0;
  bool is_compat = false;
  bool file_resolved = false, path_truncated = false;
  std::string raw_path;
  struct OwnedArg {
    ArgId id;
    bool is_str;
    int64_t num;
    std::string str;
  };
  std::vector<OwnedArg> args;
  bool has_tuple = false;
  SockTuple tuple;
  std::string unix_path;
  bool has_exec = false;
  ExecInfo exec;
  std::string filename, exepath, comm, argv, cwd, cgroup, env;
  bool has_fork = false;
  ForkInfo fork;
  int32_t exit_code = 0;
  bool io_uring = false;
  bool fixed_file = false;
  mutable ExecInfo exec_view_;  // rebuilt by AsEvent(): views into this object's strings

  explicit OwnedEvent(const Event& ev) {
    type = ev.type;
    ts_ns = ev.ts_ns;
    tid = ev.tid;
    tgid = ev.tgid;
    res = ev.res;
    is_compat = ev.is_compat;
    file_resolved = ev.file_resolved;
    path_truncated = ev.path_truncated;
    raw_path.assign(ev.raw_path);
    for (uint8_t i = 0; i < ev.nargs; ++i) {
      const Arg& a = ev.args[i];
      args.push_back({a.id, a.is_str, a.num, std::string(a.str)});
    }
    has_tuple = ev.has_tuple;
    tuple = ev.tuple;
    unix_path.assign(ev.tuple.unix_path);
    tuple.unix_path = {};
    if (ev.exec) {
      has_exec = true;
      exec = *ev.exec;
      filename.assign(ev.exec->filename);
      exepath.assign(ev.exec->exepath);
      comm.assign(ev.exec->comm);
      argv.assign(ev.exec->args);
      cwd.assign(ev.exec->cwd);
      cgroup.assign(ev.exec->cgroup);
      env.assign(ev.exec->env);
      exec.filename = exec.exepath = exec.comm = exec.args = exec.cwd = exec.cgroup = {};
      exec.env = {};
    }
    if (ev.fork) {
      has_fork = true;
      fork = *ev.fork;
    }
    exit_code = ev.exit_code;
    io_uring = ev.io_uring;
    fixed_file = ev.fixed_file;
  }
  // A view of this copy as an Event (valid while this object lives, unchanged).
  Event AsEvent() const {
    Event ev;
    ev.type = type;
    ev.ts_ns = ts_ns;
    ev.tid = tid;
    ev.tgid = tgid;
    ev.res = res;
    ev.is_compat = is_compat;
    ev.file_resolved = file_resolved;
    ev.path_truncated = path_truncated;
    ev.raw_path = raw_path;
    for (const auto& a : args) {
      if (a.is_str) ev.AddStr(a.id, a.str);
      else ev.AddNum(a.id, a.num);
    }
    ev.has_tuple = has_tuple;
    ev.tuple = tuple;
    ev.tuple.unix_path = unix_path;
    exec_view_ = exec;
    exec_view_.filename = filename;
    exec_view_.exepath = exepath;
    exec_view_.comm = comm;
    exec_view_.args = argv;
    exec_view_.cwd = cwd;
    exec_view_.cgroup = cgroup;
    exec_view_.env = env;
    ev.exec = has_exec ? &exec_view_ : nullptr;
    ev.fork = has_fork ? &fork : nullptr;
    ev.exit_code = exit_code;
    ev.io_uring = io_uring;
    ev.fixed_file = fixed_file;
    return ev;
  }
  const OwnedArg* Find(ArgId id) const {
    for (const auto& a : args)
      if (a.id == id) return &a;
    return nullptr;
  }
  int64_t Num(ArgId id, int64_t dflt = INT64_MIN) const {
    const OwnedArg* a = Find(id);
    return a && !a->is_str ? a->num : dflt;
  }
  std::string Str(ArgId id) const {
    const OwnedArg* a = Find(id);
    return a && a->is_str ? a->str : std::string("<missing>");
  }
};

// Wall clock in ns (events carry wall-clock timestamps).
inline uint64_t WallNowNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

inline SensorOptions TestOptions() {
  SensorOptions o;
  o.self_tgid = 0;  // tests trace their own process
  o.ring_bytes = 8 << 20;
  return o;
}

// Process ids whose events the harness keeps (this process and children it forked).
inline std::vector<uint32_t>& TrackedTgids() {
  static std::vector<uint32_t> tgids{static_cast<uint32_t>(getpid())};
  return tgids;
}
inline void Track(pid_t pid) { TrackedTgids().push_back(static_cast<uint32_t>(pid)); }

// Every event of a tracked tgid each sensor delivered so far: several WaitFor calls can
// look for different events of the same action without consuming each other's.
inline std::vector<OwnedEvent>& LogOf(Sensor& sensor) {
  static std::map<Sensor*, std::vector<OwnedEvent>> logs;
  return logs[&sensor];
}

// Polls `sensor` until `match` accepted `want` events (already logged ones count) or the
// timeout passes. Returns the matching events in arrival order.
inline std::vector<OwnedEvent> WaitFor(Sensor& sensor,
                                       const std::function<bool(const Event&)>& match,
                                       std::size_t want = 1, int timeout_ms = 5000) {
  auto& log = LogOf(sensor);
  std::vector<OwnedEvent> out;
  std::function<void(const Event&)> cb = [&](const Event& ev) {
    const auto& tracked = TrackedTgids();
    if (std::find(tracked.begin(), tracked.end(), ev.tgid) == tracked.end() &&
        !(ev.fork && std::find(tracked.begin(), tracked.end(), ev.fork->child_tgid) !=
                         tracked.end())) {
      return;
    }
    log.emplace_back(ev);
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::size_t scanned = 0;
  for (;;) {
    for (; scanned < log.size(); ++scanned) {
      if (match(log[scanned].AsEvent())) out.push_back(log[scanned]);
    }
    if (out.size() >= want || std::chrono::steady_clock::now() >= deadline) break;
    int n = sensor.Poll(50, cb);
    if (n < 0) {
      ADD_FAILURE() << "Poll failed: " << n;
      break;
    }
  }
  return out;
}

// Drains whatever is queued (events of earlier actions).
inline void Drain(Sensor& sensor) {
  std::function<void(const Event&)> cb = [](const Event&) {};
  while (sensor.Poll(0, cb) > 0) {
  }
}

// A new directory under /tmp named <prefix>XXXXXX, as its real path (the probes report
// resolved paths); "" (and a test failure) when it cannot be made.
inline std::string MakeRealTempDir(const std::string& prefix) {
  std::string tmpl = prefix + "XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp " << tmpl;
    return "";
  }
  char real[4096];
  if (realpath(tmpl.c_str(), real) == nullptr) {
    ADD_FAILURE() << "realpath " << tmpl;
    return "";
  }
  return real;
}

// One Sensor per test binary, opened on first use. Fails the test (never skips) when the
// kernel refuses the probes.
inline Sensor* SharedSensor() {
  static std::unique_ptr<Sensor> sensor;
  static std::string error;
  if (!sensor && error.empty()) {
    sensor = Sensor::Open(TestOptions(), &error);
  }
  EXPECT_NE(sensor, nullptr) << "Sensor::Open: " << error;
  return sensor.get();
}

}  // namespace vigil::testing

#include <sys/wait.h>

namespace vigil::testing {

// Forks, runs fn in the child and _exits with its result. Returns the child's pid and
// stores its wait status.
template <typename Fn>
pid_t RunChild(Fn fn, int* status) {
  pid_t child = fork();
  if (child == 0) _exit(fn());
  if (child > 0) {
    Track(child);
    waitpid(child, status, 0);
  }
  return child;
}

}  // namespace vigil::testing
