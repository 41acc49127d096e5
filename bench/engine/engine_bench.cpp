// engine_bench.cpp — rule evaluation throughput on one core for a realistic event mix
// (execs, opens of various paths, connects, accepts, ptrace, setuid...) against the upstream
// stable rules (falco_rules.yaml) plus everything in the project's rules/ directory.
// Counts heap allocations made during evaluation (global operator new is replaced) and
// reports events/s, ns/event, allocations/event and the p50/p99 per-event cost. The daemon
// path (rules, then the sequence engine for `sequence:` items, in one context) is measured too, and the
// memory of the sequence state with 100,000 live keys.
//
// usage: engine_bench [--events N] [--rules FILE_OR_DIR]... [--no-default-rules] [--daemon-only [ROUNDS]]
// --daemon-only: only the daemon path, ROUNDS times over the events (default 3), for profilers
// (`perf record`, `valgrind --tool=callgrind`) to see the event path without the set-up.
#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <new>
#include <string>
#include <vector>

#include "vigil/rule_loader.h"
#include "vigil/sequence_engine.h"
#include "vigil_config.h"

#include "../../tests/support/counting_new.h"

using vigil::testing::g_allocations;

namespace {

using namespace vigil;

uint64_t NowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

// CPU time of this thread: throughput "on one core" even when the machine is shared.
uint64_t CpuNs() {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

Process Proc(uint32_t pid, uint32_t ppid, const char* comm, const char* exepath, std::vector<std::string> args,
             uint32_t uid) {
  Process p;
  p.pid = pid;
  p.ppid = ppid;
  p.vpid = pid;
  p.sid = pid;
  p.pgid = pid;
  p.comm = comm;
  p.exe = exepath;
  p.exepath = exepath;
  p.args = std::move(args);
  p.uid = p.euid = uid;
  p.gid = p.egid = uid;
  p.loginuid = uid == 0 ? UINT32_MAX : uid;
  p.cwd = "/home/user";
  p.start_ts_ns = 1'700'000'000'000'000'000ULL;
  p.container_id = "host";
  return p;
}

struct Workload {
  ProcessTable table;
  std::vector<Event> events;
  std::vector<std::string> strings;  // backing storage for event string args
};

void Build(Workload* w, std::size_t count) {
  ProcessTable& t = w->table;
  t.Upsert(Proc(1, 0, "systemd", "/usr/lib/systemd/systemd", {}, 0));
  t.Upsert(Proc(100, 1, "sshd", "/usr/sbin/sshd", {"-D"}, 0));
  t.Upsert(Proc(200, 100, "sshd", "/usr/sbin/sshd", {}, 0));
  t.Upsert(Proc(300, 200, "bash", "/usr/bin/bash", {}, 1000));
  t.Upsert(Proc(400, 1, "nginx", "/usr/sbin/nginx", {"-g", "daemon off;"}, 33));
  t.Upsert(Proc(500, 1, "postgres", "/usr/lib/postgresql/15/bin/postgres", {"-D", "/var/lib/postgresql"}, 108));
  t.Upsert(Proc(600, 1, "cron", "/usr/sbin/cron", {"-f"}, 0));
  t.Upsert(Proc(700, 1, "containerd", "/usr/bin/containerd", {}, 0));
  const char* tools[][2] = {{"ls", "/usr/bin/ls"},     {"cat", "/usr/bin/cat"},   {"grep", "/usr/bin/grep"},
                            {"python3", "/usr/bin/python3"}, {"curl", "/usr/bin/curl"}, {"git", "/usr/bin/git"},
                            {"make", "/usr/bin/make"}, {"gcc", "/usr/bin/gcc"},   {"ps", "/usr/bin/ps"},
                            {"sed", "/usr/bin/sed"}};
  for (uint32_t i = 0; i < 200; ++i) {
    auto& tool = tools[i % 10];
    t.Upsert(Proc(1000 + i, i % 3 == 0 ? 300 : (i % 3 == 1 ? 600 : 400), tool[0], tool[1], {"-x", "arg"},
                  i % 2 ? 1000 : 0));
  }
  for (uint32_t fd = 3; fd < 10; ++fd) {
    FdInfo fi;
    fi.type = FdType::kFile;
    fi.name = "/var/log/nginx/access.log";
    t.SetFd(400, fd, fi);
  }

  const char* read_paths[] = {"/etc/ld.so.cache", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/proc/self/stat",
                              "/etc/nsswitch.conf", "/home/user/project/src/main.cpp", "/usr/share/zoneinfo/UTC",
                              "/etc/hosts", "/var/lib/postgresql/15/main/base/1/1259", "/sys/fs/cgroup/cpu.max",
                              "/etc/passwd"};
  const char* write_paths[] = {"/tmp/build-1234.o", "/home/user/project/out.log", "/var/log/nginx/access.log",
                               "/var/lib/postgresql/15/main/pg_wal/000001", "/dev/null", "/tmp/ccXYZ.s"};
  for (const char* p : read_paths) w->strings.emplace_back(p);
  for (const char* p : write_paths) w->strings.emplace_back(p);
  w->events.reserve(count);
  uint64_t ts = 1'700'000'100'000'000'000ULL;
  for (std::size_t i = 0; i < count; ++i) {
    uint32_t pid = 1000 + static_cast<uint32_t>((i * 7919) % 200);
    Event ev;
    ev.ts_ns = ts += 1000;
    ev.tid = ev.tgid = pid;
    std::size_t kind = i % 100;
    if (kind < 45) {  // reads
      ev.type = EventType::kOpenat;
      ev.res = 3;
      ev.AddNum(ArgId::kDirfd, AT_FDCWD);
      ev.AddStr(ArgId::kName, w->strings[(i / 3) % 10]);
      ev.AddNum(ArgId::kFlags, O_RDONLY | O_CLOEXEC);
      ev.AddNum(ArgId::kMode, 0);
    } else if (kind < 65) {  // writes
      ev.type = EventType::kOpenat;
      ev.res = 4;
      ev.AddNum(ArgId::kDirfd, AT_FDCWD);
      ev.AddStr(ArgId::kName, w->strings[10 + (i / 3) % 6]);
      ev.AddNum(ArgId::kFlags, O_WRONLY | O_CREAT | O_TRUNC);
      ev.AddNum(ArgId::kMode, 0644);
    } else if (kind < 75) {  // execs
      ev.type = EventType::kExecve;
      ev.res = 0;
    } else if (kind < 83) {  // connects
      ev.type = EventType::kConnect;
      ev.res = 0;
      ev.AddNum(ArgId::kFd, 5);
      ev.has_tuple = true;
      ev.tuple.family = AF_INET;
      ev.tuple.l4proto = IPPROTO_TCP;
      inet_pton(AF_INET, "10.0.0.5", ev.tuple.sip.data());
      inet_pton(AF_INET, i % 2 ? "10.0.0.9" : "140.82.112.3", ev.tuple.dip.data());
      ev.tuple.sport = static_cast<uint16_t>(40000 + i % 1000);
      ev.tuple.dport = i % 2 ? 5432 : 443;
    } else if (kind < 88) {  // accepts on nginx
      ev.type = EventType::kAccept4;
      ev.tid = ev.tgid = 400;
      ev.res = 8;
      ev.has_tuple = true;
      ev.tuple.family = AF_INET;
      ev.tuple.l4proto = IPPROTO_TCP;
      inet_pton(AF_INET, "10.0.0.5", ev.tuple.sip.data());
      inet_pton(AF_INET, "10.0.0.77", ev.tuple.dip.data());
      ev.tuple.sport = 80;
      ev.tuple.dport = static_cast<uint16_t>(50000 + i % 1000);
    } else if (kind < 93) {  // close
      ev.type = EventType::kClose;
      ev.res = 0;
      ev.AddNum(ArgId::kFd, 3);
    } else if (kind < 96) {  // clone
      ev.type = EventType::kClone;
      ev.res = 0;
    } else if (kind < 98) {  // unlink of temp files
      ev.type = EventType::kUnlinkat;
      ev.res = 0;
      ev.AddNum(ArgId::kDirfd, AT_FDCWD);
      ev.AddStr(ArgId::kName, w->strings[10]);
      ev.AddNum(ArgId::kFlags, 0);
    } else {  // setuid by cron (benign)
      ev.type = EventType::kSetuid;
      ev.tid = ev.tgid = 600;
      ev.res = 0;
      ev.AddNum(ArgId::kUid, 1000);
    }
    w->events.push_back(ev);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n_events = 1'000'000;
  std::vector<std::string> rules;
  bool defaults = true;
  int daemon_only = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--events" && i + 1 < argc) n_events = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--rules" && i + 1 < argc) rules.emplace_back(argv[++i]);
    else if (a == "--no-default-rules") defaults = false;
    else if (a == "--daemon-only") {
      daemon_only = 3;
      if (i + 1 < argc && argv[i + 1][0] != '-') daemon_only = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: %s [--events N] [--rules FILE_OR_DIR]... [--no-default-rules] [--daemon-only [ROUNDS]]\n",
                   argv[0]);
      return 2;
    }
  }
  if (defaults) {
    const char* shared = std::getenv("VIGIL_SHARED_DIR");
    std::string base = shared ? shared : std::string(VIGIL_SOURCE_ROOT) + "/../shared";
    rules.insert(rules.begin(), base + "/falco-rules/falco_rules.yaml");
    if (std::filesystem::is_directory(VIGIL_DEFAULT_RULES_DIR)) rules.emplace_back(VIGIL_DEFAULT_RULES_DIR);
  }
  LoadOptions opts;
  opts.hostname = "bench";
  uint64_t t0 = NowNs();
  LoadResult r = LoadRuleFiles(rules, opts);
  uint64_t load_ns = NowNs() - t0;
  if (!r.ok()) {
    for (const auto& d : r.diagnostics) std::fprintf(stderr, "%s\n", d.ToString().c_str());
    return 1;
  }
  std::printf("rules: %zu active (%zu macros, %zu lists) from", r.ruleset->rule_count(), r.macros, r.lists);
  for (const auto& f : rules) std::printf(" %s", f.c_str());
  std::printf("\nload time: %.1f ms\n", static_cast<double>(load_ns) / 1e6);

  Workload w;
  Build(&w, n_events);
  const Ruleset& rs = *r.ruleset;
  std::size_t alerts = 0;
  std::function<void(const Alert&)> on_alert = [&](const Alert&) { ++alerts; };

  if (daemon_only > 0) {
    SequenceEngine seq;
    seq.SetRuleset(r.ruleset);
    const uint64_t c0 = CpuNs();
    for (int round = 0; round < daemon_only; ++round)
      for (const Event& ev : w.events) rs.Evaluate(ev, w.table, on_alert, nullptr, &seq);
    const double total = static_cast<double>(w.events.size()) * daemon_only;
    const double cpu = static_cast<double>(CpuNs() - c0);
    std::printf("daemon path only: %.0f events/s per CPU-second (%.1f ns CPU/event), %zu alerts\n", total / (cpu / 1e9),
                cpu / total, alerts);
    return 0;
  }

  // Warm-up (user database snapshot, caches).
  for (std::size_t i = 0; i < std::min<std::size_t>(w.events.size(), 10000); ++i) rs.Evaluate(w.events[i], w.table, on_alert);

  // Throughput, CountMatches path (no alert building).
  uint64_t a0 = g_allocations.load();
  t0 = NowNs();
  uint64_t c0 = CpuNs();
  std::size_t matches = 0;
  for (const Event& ev : w.events) matches += rs.CountMatches(ev, w.table);
  uint64_t count_cpu = CpuNs() - c0;
  uint64_t count_ns = NowNs() - t0;
  uint64_t count_allocs = g_allocations.load() - a0;

  // Throughput, Evaluate path (alerts built for matches).
  alerts = 0;
  a0 = g_allocations.load();
  t0 = NowNs();
  c0 = CpuNs();
  for (const Event& ev : w.events) rs.Evaluate(ev, w.table, on_alert);
  uint64_t eval_cpu = CpuNs() - c0;
  uint64_t eval_ns = NowNs() - t0;
  uint64_t eval_allocs = g_allocations.load() - a0;
  std::size_t eval_alerts = alerts;

  // Allocations on events that match nothing.
  uint64_t nomatch_allocs = 0, nomatch_events = 0;
  for (const Event& ev : w.events) {
    uint64_t before = g_allocations.load();
    std::size_t m = rs.Evaluate(ev, w.table, on_alert);
    if (m == 0) {
      nomatch_allocs += g_allocations.load() - before;
      ++nomatch_events;
    }
  }

  // Daemon path: rules, then the sequence engine (sequence and threshold rules) in the same
  // per-event context (Ruleset::Evaluate with the engine, as daemon/daemon.cpp calls it).
  SequenceEngine seq;
  seq.SetRuleset(r.ruleset);
  for (std::size_t i = 0; i < std::min<std::size_t>(w.events.size(), 10000); ++i) seq.Process(w.events[i], w.table, on_alert);
  alerts = 0;
  a0 = g_allocations.load();
  t0 = NowNs();
  c0 = CpuNs();
  for (const Event& ev : w.events) rs.Evaluate(ev, w.table, on_alert, nullptr, &seq);
  uint64_t daemon_cpu = CpuNs() - c0;
  uint64_t daemon_ns = NowNs() - t0;
  uint64_t daemon_allocs = g_allocations.load() - a0;
  std::size_t daemon_alerts = alerts;
  uint64_t seq_nomatch_allocs = 0;
  {
    // Sequences alone, and their allocations on events that neither start nor advance a match.
    c0 = CpuNs();
    for (const Event& ev : w.events) seq.Process(ev, w.table, on_alert);
    uint64_t seq_cpu = CpuNs() - c0;
    std::printf("sequences: %zu active; SequenceEngine::Process alone %.1f ns CPU/event\n", seq.sequence_count(),
                static_cast<double>(seq_cpu) / static_cast<double>(w.events.size()));
    SequenceEngine fresh;  // no live state: every later step is skipped
    fresh.SetRuleset(r.ruleset);
    for (const Event& ev : w.events) {
      const uint64_t before = g_allocations.load();
      const uint64_t matched = fresh.step_matches();
      fresh.Process(ev, w.table, on_alert);
      if (fresh.step_matches() == matched) seq_nomatch_allocs += g_allocations.load() - before;
    }
  }

  // Per-event latency distribution (timer overhead included, ~20-30 ns).
  std::vector<uint32_t> lat;
  lat.reserve(w.events.size());
  for (const Event& ev : w.events) {
    uint64_t s = NowNs();
    rs.CountMatches(ev, w.table);
    lat.push_back(static_cast<uint32_t>(NowNs() - s));
  }
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) { return lat[std::min(lat.size() - 1, static_cast<std::size_t>(p * static_cast<double>(lat.size())))]; };

  double n = static_cast<double>(w.events.size());
  std::printf("events: %zu (45%% reads, 20%% writes, 10%% execve, 8%% connect, 5%% accept4, 5%% close, 3%% clone, 2%% unlinkat, 2%% setuid)\n",
              w.events.size());
  std::printf("CountMatches: %.0f events/s per CPU-second (%.1f ns CPU/event; wall %.0f events/s), %llu allocations (%.4f/event), %zu matches\n",
              n / (static_cast<double>(count_cpu) / 1e9), static_cast<double>(count_cpu) / n,
              n / (static_cast<double>(count_ns) / 1e9),
              static_cast<unsigned long long>(count_allocs), static_cast<double>(count_allocs) / n, matches);
  std::printf("Evaluate:     %.0f events/s per CPU-second (%.1f ns CPU/event; wall %.0f events/s), %llu allocations (%.4f/event), %zu alerts\n",
              n / (static_cast<double>(eval_cpu) / 1e9), static_cast<double>(eval_cpu) / n,
              n / (static_cast<double>(eval_ns) / 1e9),
              static_cast<unsigned long long>(eval_allocs), static_cast<double>(eval_allocs) / n, eval_alerts);
  std::printf("non-matching events: %llu, allocations on them: %llu\n",
              static_cast<unsigned long long>(nomatch_events), static_cast<unsigned long long>(nomatch_allocs));
  std::printf("Evaluate + sequences (daemon path): %.0f events/s per CPU-second (%.1f ns CPU/event; wall %.0f events/s), %llu allocations (%.4f/event), %zu alerts; allocations on events no step matches: %llu\n",
              n / (static_cast<double>(daemon_cpu) / 1e9), static_cast<double>(daemon_cpu) / n,
              n / (static_cast<double>(daemon_ns) / 1e9), static_cast<unsigned long long>(daemon_allocs),
              static_cast<double>(daemon_allocs) / n, daemon_alerts, static_cast<unsigned long long>(seq_nomatch_allocs));
  if (seq.sequence_count() > 0) {
    // Memory at 100k live keys: 50k downloader sessions each write a file in /tmp, the first
    // step of two default sequences ("Downloaded File Executed": key proc.sid, captures
    // fd.name, proc.name, proc.cmdline; "Dropped Binary Made Executable and Run").
    SequenceOptions so;
    so.max_keys = 200000;
    SequenceEngine big(so);
    big.SetRuleset(r.ruleset);
    ProcessTable table;
    std::string path;
    uint64_t before_bytes = 0;
    for (uint32_t i = 0; i < 50000; ++i) {
      Process p = Proc(100000 + i, 1, "curl", "/usr/bin/curl", {"-sSLo", "/tmp/dl", "https://example.com/x"}, 1000);
      p.sid = 100000 + i;
      table.Upsert(std::move(p));
    }
    path.reserve(64);
    uint64_t c1 = CpuNs();
    for (uint32_t i = 0; i < 50000; ++i) {
      Event ev;
      ev.ts_ns = 1'700'000'200'000'000'000ULL + i * 1000ULL;
      ev.tid = ev.tgid = 100000 + i;
      ev.type = EventType::kOpenat;
      ev.res = 3;
      path = "/tmp/dl-" + std::to_string(i);
      ev.AddNum(ArgId::kDirfd, AT_FDCWD);
      ev.AddStr(ArgId::kName, path);
      ev.AddNum(ArgId::kFlags, O_WRONLY | O_CREAT | O_TRUNC);
      ev.AddNum(ArgId::kMode, 0644);
      big.Process(ev, table, on_alert);
    }
    uint64_t fill_cpu = CpuNs() - c1;
    SequenceStats st = big.stats();
    std::printf("sequence state: %zu live keys, %zu partial matches, ~%.1f MiB (%.0f bytes/key); first-step event creating keys %.0f ns CPU\n",
                st.keys_live, st.partials_live, static_cast<double>(st.state_bytes - before_bytes) / (1 << 20),
                static_cast<double>(st.state_bytes) / static_cast<double>(st.keys_live ? st.keys_live : 1),
                static_cast<double>(fill_cpu) / 50000.0);
  }
  std::printf("per-event wall cost (includes ~20 ns timer and preemption on a shared machine): p50 %u ns, p90 %u ns, p99 %u ns, p99.9 %u ns, max %u ns\n", pct(0.5), pct(0.9),
              pct(0.99), pct(0.999), lat.back());
  return 0;
}
