// sensor_harness.h — helpers for kernel tests: a shared Sensor per test binary, owned copies
// of events, and waiting for the events of this test's own process tree.
// Test-only; single threaded.
#pragma once

#include <unistd.h>

#include <chrono>
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
  std::string filename, exepath, comm, argv, cwd, cgroup;
  bool has_fork = false;
  ForkInfo fork;
  int32_t exit_code = 0;

  explicit OwnedEvent(const Event& ev) {
    type = ev.type;
    ts_ns = ev.ts_ns;
    tid = ev.tid;
    tgid = ev.tgid;
    res = ev.res;
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
      exec.filename = exec.exepath = exec.comm = exec.args = exec.cwd = exec.cgroup = {};
      exec.env = {};
    }
    if (ev.fork) {
      has_fork = true;
      fork = *ev.fork;
    }
    exit_code = ev.exit_code;
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

inline SensorOptions TestOptions() {
  SensorOptions o;
  o.self_tgid = 0;  // tests trace their own process
  o.ring_bytes = 8 << 20;
  return o;
}

// Polls `sensor` until `match` accepted `want` events or the timeout passes.
inline std::vector<OwnedEvent> WaitFor(Sensor& sensor,
                                       const std::function<bool(const Event&)>& match,
                                       std::size_t want = 1, int timeout_ms = 5000) {
  std::vector<OwnedEvent> out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::function<void(const Event&)> cb = [&](const Event& ev) {
    if (match(ev)) out.emplace_back(ev);
  };
  while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
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
  if (child > 0) waitpid(child, status, 0);
  return child;
}

}  // namespace vigil::testing
