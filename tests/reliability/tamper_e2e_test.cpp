// Kernel suite (issue 13): an attacker with root takes the running daemon's interest map by
// id and clears the openat bit, hoping to open a watched file unseen. The grab itself
// alerts (vigil's own BPF object), the daemon's map verifier restores the bit within 2 s and
// alerts, and a later watched open alerts again. Only the daemon this test started is
// touched (its maps are found through its own /proc/<pid>/fdinfo).
#include <bpf/bpf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../support/vigil_process.h"
#include "wire.h"
#include "vigil.skel.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using testing::ReadJsonLines;
using testing::RunChild;
using testing::TempDir;
using testing::VigilProcess;
using testing::WaitUntil;

// Map ids held by process `pid` (from /proc/<pid>/fdinfo/*: "map_id:").
std::vector<uint32_t> MapIdsOf(pid_t pid) {
  std::vector<uint32_t> ids;
  std::string dir = "/proc/" + std::to_string(pid) + "/fdinfo";
  DIR* d = opendir(dir.c_str());
  if (!d) return ids;
  while (dirent* e = readdir(d)) {
    std::ifstream in(dir + "/" + e->d_name);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("map_id:", 0) == 0) ids.push_back(static_cast<uint32_t>(std::stoul(line.substr(7))));
    }
  }
  closedir(d);
  return ids;
}

// An fd for the daemon's .bss map (the live interest bitmap), taken by id as an attacker
// would; -1 when not found.
int GrabBss(pid_t daemon, uint32_t* value_size) {
  for (uint32_t id : MapIdsOf(daemon)) {
    int fd = bpf_map_get_fd_by_id(id);
    if (fd < 0) continue;
    bpf_map_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && std::strstr(info.name, ".bss") != nullptr) {
      *value_size = info.value_size;
      return fd;
    }
    close(fd);
  }
  return -1;
}

const nlohmann::json* Find(const std::vector<nlohmann::json>& alerts, const std::string& rule,
                           pid_t pid = -1) {
  for (const auto& a : alerts) {
    if (a.value("rule", "") != rule) continue;
    if (pid < 0) return &a;
    const auto& f = a["output_fields"];
    if (f.contains("proc.pid") && f["proc.pid"].is_number() && f["proc.pid"].get<int64_t>() == pid)
      return &a;
  }
  return nullptr;
}

TEST(TamperE2E, ClearedInterestBitIsRestoredAndReported) {
  TempDir dir;
  const std::string watched = dir.path() + "/watched/";
  ASSERT_EQ(mkdir(watched.c_str(), 0700), 0);
  const std::string file = watched + "secret";
  { std::ofstream(file) << "x\n"; }
  std::string rules = dir.Write("rules.yaml",
                                "- rule: Tamper Watched Open\n  desc: test rule\n"
                                "  condition: evt.type in (open, openat) and fd.name startswith " +
                                    watched +
                                    "\n  output: watched open (file=%fd.name pid=%proc.pid)\n"
                                    "  priority: WARNING\n");
  std::string config = dir.Write(
      "vigil.yaml", "rules_files: [" + rules + "]\n"
                    "sensor: {ring_buffer_mb: 8}\n"
                    "outputs:\n"
                    "  stdout: {enabled: false}\n"
                    "  file: {enabled: true, path: " + dir.path() + "/alerts.jsonl}\n");
  VigilProcess vigil({"run", "-c", config}, dir.path() + "/vigil.log");
  ASSERT_TRUE(vigil.WaitForLog("probes attached", 60s)) << vigil.Log();
  EXPECT_TRUE(vigil.WaitForLog("maps frozen after load: counters", 5s)) << vigil.Log();
  const std::string alerts_path = dir.path() + "/alerts.jsonl";
  auto open_until_alert = [&](std::chrono::milliseconds timeout) {
    const nlohmann::json* found = nullptr;
    std::vector<nlohmann::json> alerts;
    WaitUntil(
        [&] {
          int status = 0;
          pid_t pid = RunChild({"/bin/cat", file}, &status);
          return WaitUntil(
              [&] {
                alerts = ReadJsonLines(alerts_path);
                found = Find(alerts, "Tamper Watched Open", pid);
                return found != nullptr;
              },
              1000ms);
        },
        timeout);
    return found != nullptr;
  };
  ASSERT_TRUE(open_until_alert(15s)) << vigil.Log();

  // The attack: take the map by id, clear openat's interest byte, write it back.
  uint32_t vsize = 0;
  int fd = GrabBss(vigil.pid(), &vsize);
  ASSERT_GE(fd, 0) << "no .bss map found in the daemon's fds";
  std::vector<uint8_t> value(vsize);
  const uint32_t key = 0;
  ASSERT_EQ(bpf_map_lookup_elem(fd, &key, value.data()), 0);
  const std::size_t off = offsetof(vigil_bpf::vigil_bpf__bss, sc_interest) + SYS_openat;
  ASSERT_LT(off, value.size());
  ASSERT_EQ(value[off], 1) << "openat not of interest before the attack";
  value[off] = 0;
  ASSERT_EQ(bpf_map_update_elem(fd, &key, value.data(), BPF_ANY), 0);
  const auto cleared_at = std::chrono::steady_clock::now();

  // Restored within 2 s.
  bool restored = WaitUntil(
      [&] {
        std::vector<uint8_t> now(vsize);
        return bpf_map_lookup_elem(fd, &key, now.data()) == 0 && now[off] == 1;
      },
      2000ms);
  const auto restore_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - cleared_at).count();
  EXPECT_TRUE(restored) << "interest byte still cleared after " << restore_ms << " ms";
  close(fd);

  // Both the verifier's alert and the grab (this process took vigil's map by id) alerted.
  std::vector<nlohmann::json> alerts;
  EXPECT_TRUE(WaitUntil(
      [&] {
        alerts = ReadJsonLines(alerts_path);
        return Find(alerts, "vigil tampering: probe maps modified") != nullptr;
      },
      3000ms))
      << vigil.Log();
  const nlohmann::json* map_alert = Find(alerts, "vigil tampering: probe maps modified");
  if (map_alert) {
    EXPECT_EQ((*map_alert)["priority"], "Critical");
    EXPECT_NE((*map_alert)["output"].get<std::string>().find("syscall interest bitmap"),
              std::string::npos);
  }
  EXPECT_TRUE(WaitUntil(
      [&] {
        alerts = ReadJsonLines(alerts_path);
        return Find(alerts, "vigil tampering: vigil's BPF objects accessed", getpid()) != nullptr;
      },
      3000ms))
      << vigil.Log();

  // A later watched open alerts again.
  EXPECT_TRUE(open_until_alert(5s)) << vigil.Log();
  EXPECT_EQ(vigil.Stop(), 0);
}

}  // namespace
}  // namespace vigil
