// sensor.h — the eBPF sensor: loads and attaches vigil's probes, drains the ring buffer and
// hands decoded vigil::Events to a callback. This is what the daemon and `vigil record` call.
// Owner: sensor (transport). Not thread safe: one thread calls Poll(); SetInterest() and
// Stats() may be called between polls from the same thread. Poll() is the hot path (no
// allocation per event); Open() is the cold path (errors carry the real errno).
#pragma once

#include <unistd.h>

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/event.h"
#include "vigil/event_types.h"
#include "vigil/open_prefilter.h"

namespace vigil {

struct SensorOptions {
  std::size_t ring_bytes = 16 << 20;  // rounded up to a power of two (>= page size)
  uint32_t self_tgid = static_cast<uint32_t>(getpid());  // never traced
  std::bitset<kEventTypeCount> interest = std::bitset<kEventTypeCount>().set();  // all
  bool capture_send_recv = false;  // sendto/recvfrom/sendmsg/recvmsg even if in `interest`
  std::size_t wakeup_backlog_bytes = 1 << 20;  // force a consumer wake-up past this backlog
  std::string hook_mode = "auto";  // "auto" (tp_btf, else raw_tp), "tp_btf" or "raw_tp"
  bool capture_args_at_enter = false;  // read syscall args at sys_enter (per-thread map)
                                       // instead of from the exit-time registers
  int drain_interval_ms = 5;  // Poll() checks the ring at least this often
  // Read each new process's environment at exec (exec.env, proc.env). Off, execs pay
  // nothing for it; the daemon turns it on while a loaded rule reads proc.env.
  bool capture_env = false;
  // Flood control (probes/lib/flood.bpf.h): while the ring's backlog is at least a quarter
  // of it, a process producing more than throttle_events records in a throttle_window_ms
  // window (with the backlog past half) is throttled and reported (evt.type = drop);
  // the last eighth of the ring is kept for exec/exit/fork, credential changes, ptrace,
  // module loads, bpf, connects and the other records that matter.
  uint32_t throttle_events = 4096;
  uint32_t throttle_window_ms = 1000;
};

struct SensorStats {
  uint64_t events = 0;          // events delivered to callbacks
  uint64_t records = 0;         // records read from the ring
  uint64_t emitted = 0;         // records the probes wrote (sum over CPUs)
  uint64_t drops = 0;           // records lost, every cause (sum over CPUs)
  std::vector<uint64_t> drops_per_cpu;  // the same per CPU
  // drops by cause (they add up to `drops`):
  uint64_t drops_ring_full = 0;     // the ring had no room
  uint64_t drops_scratch_busy = 0;  // the per-CPU scratch buffer was in use (preemption)
  uint64_t drops_reserve = 0;       // cheap records refused to keep the reserved share free
  uint64_t drops_throttled = 0;     // records of a process throttled for flooding
  uint64_t drops_priority = 0;      // of drops_ring_full: records of the class that matters
  uint64_t throttles = 0;           // processes throttled (flood-control summaries)
  uint64_t truncated = 0;       // strings cut by the probes
  uint64_t probe_errors = 0;    // failed reads in the probes
  uint64_t decode_errors = 0;   // malformed records (counted, skipped)
  uint64_t skipped = 0;         // well-formed records with nothing to report
  uint64_t prefiltered = 0;     // opens the open prefilter kept out of the ring
};

class Sensor {
 public:
  // Loads and attaches the probes. On failure returns nullptr and sets *error to a
  // message naming the step and the real errno.
  static std::unique_ptr<Sensor> Open(const SensorOptions& options, std::string* error);
  ~Sensor();
  Sensor(const Sensor&) = delete;
  Sensor& operator=(const Sensor&) = delete;

  // Live update of the wanted event types (no reload).
  void SetInterest(const std::bitset<kEventTypeCount>& interest);

  // Live switch of SensorOptions::capture_env (no reload).
  void SetEnvCapture(bool enabled);

  // Installs (or, with enabled = false, removes) the kernel open prefilter. Every open is
  // reported while the tries are rewritten, so a change never loses a wanted open. Returns
  // false and sets *error when the filter does not fit the kernel maps (it stays off).
  bool SetOpenPrefilter(const OpenPrefilter& filter, std::string* error);

  // Files the rules name exactly (OpenPrefilter::watched_files), known by (device, inode):
  // the probes report any open of them whatever path reached it, and the event's fd.name
  // reads the rule's path (fd.alias the path used: a hard link, a bind mount). Paths that do
  // not exist (or are not regular files) are listed in *skipped. False with *error when the
  // identities do not fit the kernel map (then no file is watched).
  bool SetWatchedFiles(const std::vector<std::string>& paths, std::vector<std::string>* skipped,
                       std::string* error);

  // Waits up to timeout_ms for events and delivers all available ones. Returns the number
  // of events delivered, or a negative errno on error. Interrupted waits return 0.
  int Poll(int timeout_ms, const std::function<void(const Event&)>& on_event);

  // Compares the maps this process updates at run time (interest bitmap, procexit and env
  // switches,
  // open prefilter tries, bitmaps and mode, the own-object table) with what it installed,
  // restores every difference and returns the names of the parts that differed (empty when
  // nothing was tampered with). Cold path (a few map reads; call about once a second).
  std::vector<std::string> VerifyMaps();
  // Maps frozen after load (BPF_MAP_FREEZE): no process can write them through bpf().
  std::vector<std::string> FrozenMaps() const;

  SensorStats Stats() const;
  std::string_view hook_mode() const noexcept;
  int64_t boot_to_wall_ns() const noexcept;

  struct Impl;

 private:
  explicit Sensor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil
