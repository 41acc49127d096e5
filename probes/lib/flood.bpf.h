// SPDX-License-Identifier: GPL-2.0
/* lib/flood.bpf.h — flood control: a flood of cheap records (junk opens, connects) must not
 * push out the records that matter (issue 13, part 4).
 *
 * Three levers, all keyed on the ring's backlog (bytes written, not yet read):
 *   - no load (backlog < size >> flood_pressure_shift): nothing is looked up or counted,
 *     unless some process is being throttled (one array read);
 *   - reserved share: CHEAP records may not fill the last size >> flood_reserve_shift bytes;
 *     RESERVE and PRIO records (connect; exec failures, setuid family, ptrace, module
 *     loads, bpf...) and the sched hooks' records (exec, fork, exit) may;
 *   - throttling: while loaded, each process's records are counted in a window of
 *     throttle_window_ns; past throttle_events with the backlog over size >>
 *     flood_throttle_shift the process is throttled: its records are dropped while the ring
 *     stays loaded (PRIO ones only inside the reserve), and struct vigil_throttle_rec
 *     reports it (BEGIN at once; END with the drops per syscall at the window's end or at
 *     its exit), so rules and the SIEM know who flooded and what was lost.
 * The sched hooks and the summaries are never throttled. Counts are approximate under races
 * (plain increments); the decision itself only needs their order of magnitude. */
#pragma once

#include "lib/common.bpf.h"

/* Set by user space before load. */
const volatile __u8 sc_class[VIGIL_NR_MAX] = {};  /* enum vigil_sc_class per syscall nr */
const volatile __u32 flood_pressure_shift = 2;
const volatile __u32 flood_throttle_shift = 1;
const volatile __u32 flood_reserve_shift = 3;
const volatile __u32 throttle_events = 4096;
const volatile __u64 throttle_window_ns = 1000000000ULL;

struct throttle_state {
  __u64 window_start;
  __u64 begin_ns;
  __u64 dropped;
  __u64 other;
  __u32 events;
  __u32 throttled;
  __u16 nr1[VIGIL_THROTTLE_TOP];  /* syscall nr + 1; 0 = unused */
  __u32 nr_count[VIGIL_THROTTLE_TOP];
};

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 4096);
  __type(key, __u32);
  __type(value, struct throttle_state);
} throttle SEC(".maps");

/* One entry: the number of processes being throttled now (frozen for user space). */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __s64);
} throttle_active SEC(".maps");

static __always_inline void emit_throttle(__u32 tgid, __u32 tid, struct throttle_state *st,
                                          __u32 phase)
{
  struct vigil_throttle_rec *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
  if (!r) {
    count(CNT_PRIO_DROPS);
    return;
  }
  r->hdr.type = VIGIL_REC_THROTTLE;
  r->hdr.size = sizeof(*r);
  r->hdr.cpu = bpf_get_smp_processor_id();
  r->hdr.ts = bpf_ktime_get_boot_ns();
  r->hdr.tid = tid;
  r->hdr.tgid = tgid;
  r->phase = phase;
  r->pad = 0;
  r->dropped = st->dropped;
  r->begin_ns = st->begin_ns;
  r->window_events = st->events;
  for (int i = 0; i < VIGIL_THROTTLE_TOP; i++) {
    __u16 n1 = st->nr1[i];
    r->nr[i] = n1 ? n1 - 1 : VIGIL_NR_MAX;
    r->nr_count[i] = st->nr_count[i];
  }
  r->other = st->other;
  bpf_ringbuf_submit(r, BPF_RB_FORCE_WAKEUP);
  count(CNT_EMITTED);
}

static __always_inline void throttle_active_add(__s64 d)
{
  __u32 zero = 0;
  __s64 *a = bpf_map_lookup_elem(&throttle_active, &zero);
  if (a)
    __sync_fetch_and_add(a, d);
}

static __always_inline void note_throttled_drop(struct throttle_state *st, __u32 nr)
{
  st->dropped++;
  count(CNT_THROTTLED);
  __u16 n1 = (__u16)(nr + 1);
  for (int i = 0; i < VIGIL_THROTTLE_TOP; i++) {
    if (st->nr1[i] == n1) {
      st->nr_count[i]++;
      return;
    }
    if (st->nr1[i] == 0) {
      st->nr1[i] = n1;
      st->nr_count[i] = 1;
      return;
    }
  }
  st->other++;
}

/* Whether a syscall-type record (nr, of process tgid) may be written. Counts what it refuses. */
static __always_inline bool flood_gate(__u32 tgid, __u32 tid, __u32 nr)
{
  __u8 cls = sc_class[nr & (VIGIL_NR_MAX - 1)];
  __u64 size = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE);
  __u64 used = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
  bool loaded = used >= (size >> flood_pressure_shift);
  __u32 zero = 0;
  __s64 *active = bpf_map_lookup_elem(&throttle_active, &zero);
  if (!loaded && (!active || *active <= 0))
    return true;
  __u64 now = bpf_ktime_get_boot_ns();
  struct throttle_state *st = bpf_map_lookup_elem(&throttle, &tgid);
  if (st && now - st->window_start >= throttle_window_ns) {
    if (st->throttled) {
      emit_throttle(tgid, tid, st, VIGIL_THROTTLE_END);
      throttle_active_add(-1);
    }
    bpf_map_delete_elem(&throttle, &tgid);
    st = 0;
  }
  if (!loaded)
    return true;  /* a throttled process is only held back while the ring is loaded */
  bool in_reserve = used >= size - (size >> flood_reserve_shift);
  if (!st) {
    struct throttle_state fresh = {};
    fresh.window_start = now;
    bpf_map_update_elem(&throttle, &tgid, &fresh, BPF_NOEXIST);
    st = bpf_map_lookup_elem(&throttle, &tgid);
  }
  if (st) {
    st->events++;
    if (!st->throttled && st->events > throttle_events &&
        used >= (size >> flood_throttle_shift)) {
      if (__sync_lock_test_and_set(&st->throttled, 1) == 0) {
        st->begin_ns = now;
        throttle_active_add(1);
        count(CNT_THROTTLES);
        emit_throttle(tgid, tid, st, VIGIL_THROTTLE_BEGIN);
      }
    }
    if (st->throttled && !(cls == VIGIL_CLASS_PRIO && !in_reserve)) {
      note_throttled_drop(st, nr);
      return false;
    }
  }
  if (cls == VIGIL_CLASS_CHEAP && in_reserve) {
    count(CNT_RESERVED);
    return false;
  }
  return true;
}

/* At a process's exit: the END summary of a throttle still open. */
static __always_inline void flood_exit(__u32 tgid, __u32 tid)
{
  __u32 zero = 0;
  __s64 *active = bpf_map_lookup_elem(&throttle_active, &zero);
  if (!active || *active <= 0)
    return;
  struct throttle_state *st = bpf_map_lookup_elem(&throttle, &tgid);
  if (!st)
    return;
  if (st->throttled) {
    emit_throttle(tgid, tid, st, VIGIL_THROTTLE_END);
    throttle_active_add(-1);
  }
  bpf_map_delete_elem(&throttle, &tgid);
}

/* Whether records of class cls count as the ones that matter (for the drop counters). */
static __always_inline bool sc_is_prio(__u32 nr)
{
  return sc_class[nr & (VIGIL_NR_MAX - 1)] != VIGIL_CLASS_CHEAP;
}
