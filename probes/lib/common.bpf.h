// SPDX-License-Identifier: GPL-2.0
/* lib/common.bpf.h — state every vigil probe shares: the ring buffer and its per-CPU
 * counters, the per-CPU scratch record and path buffers (with their re-entrancy guard), the
 * settings user space writes before load (.rodata) and live (.bss), and emit()/fill_hdr().
 * Included once, by vigil.bpf.c (one BPF object, one skeleton). */
#pragma once

#include "vmlinux.h"

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "wire.h"

#define AT_FDCWD_VAL -100
#define PF_KTHREAD_VAL 0x00200000
#define S_IFMT_VAL 00170000
#define S_IFSOCK_VAL 0140000
#define AF_UNIX_VAL 1
#define AF_INET_VAL 2
#define AF_INET6_VAL 10

#define SCRATCH_SIZE 32768          /* per-CPU record under construction */
#define SCRATCH_POS_MASK 16383      /* offsets into data[] stay below this */
#define PATHBUF_HALF 4096           /* dentry walks write backwards from here */

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 24);  /* resized by user space before load */
} events SEC(".maps");

struct scratch_buf {
  char b[SCRATCH_SIZE];
};
struct path_buf {
  char b[PATHBUF_HALF * 2];
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct scratch_buf);
} scratch SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct path_buf);
} pathbufs SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct vigil_counters);
} counters SEC(".maps");

/* Guards scratch/pathbufs: syscall tracepoints may be preemptible (faultable), so another
 * task on the same CPU could otherwise reuse the buffer mid-record. Nested users drop
 * their record and count it. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u32);
} scratch_busy SEC(".maps");

/* Set by user space before load. */
const volatile __u32 self_tgid = 0;                 /* the daemon: never traced */
const volatile __u64 wakeup_backlog = 1 << 20;      /* force a wake-up past this */
const volatile __u32 nr_execve = 59, nr_execveat = 322;
const volatile __u32 nr_clone = 56, nr_clone3 = 435, nr_fork = 57, nr_vfork = 58;
/* Calls reported only for some argument values (syscalls/arg_filter.bpf.h). */
const volatile __u32 nr_fcntl = 72, nr_mmap = 9, nr_mprotect = 10;
const volatile struct vigil_sc_desc sc_desc[VIGIL_NR_MAX] = {};

/* Live: user space writes these through the mmaped .bss. */
__u8 sc_interest[VIGIL_NR_MAX] = {};
__u8 want_procexit = 0;

/* Counter indexes (struct vigil_counters). */
enum {
  CNT_EMITTED = 0, CNT_DROPS = 1, CNT_TRUNCATED = 2, CNT_ERRORS = 3, CNT_PREFILTERED = 4,
  CNT_BUSY = 5, CNT_RESERVED = 6, CNT_THROTTLED = 7, CNT_PRIO_DROPS = 8, CNT_THROTTLES = 9,
};

static __always_inline void count(int field)
{
  __u32 zero = 0;
  struct vigil_counters *c = bpf_map_lookup_elem(&counters, &zero);
  if (!c)
    return;
  switch (field) {
  case CNT_EMITTED: c->emitted++; break;
  case CNT_DROPS: c->drops++; break;
  case CNT_TRUNCATED: c->truncated++; break;
  case CNT_ERRORS: c->errors++; break;
  case CNT_PREFILTERED: c->prefiltered++; break;
  case CNT_BUSY: c->busy++; break;
  case CNT_RESERVED: c->reserved++; break;
  case CNT_THROTTLED: c->throttled++; break;
  case CNT_PRIO_DROPS: c->drops++; c->prio_drops++; break;
  default: c->throttles++; break;
  }
}

static __always_inline __u64 wakeup_flags(void)
{
  if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_backlog)
    return BPF_RB_FORCE_WAKEUP;
  return BPF_RB_NO_WAKEUP;
}

/* prio: a record that matters most (sched hooks, PRIO-class calls): its loss is counted
 * apart. Whether a record may be written at all is decided before (lib/flood.bpf.h). */
static __always_inline void emit(void *rec, __u32 size, bool prio)
{
  if (bpf_ringbuf_output(&events, rec, size & (SCRATCH_SIZE - 1), wakeup_flags()))
    count(prio ? CNT_PRIO_DROPS : CNT_DROPS);
  else
    count(CNT_EMITTED);
}

static __always_inline void fill_hdr(struct vigil_hdr *h, __u16 type)
{
  __u64 id = bpf_get_current_pid_tgid();
  h->type = type;
  h->cpu = bpf_get_smp_processor_id();
  h->ts = bpf_ktime_get_boot_ns();
  h->tid = (__u32)id;
  h->tgid = id >> 32;
}

static __always_inline void *get_scratch(void)
{
  __u32 zero = 0;
  return bpf_map_lookup_elem(&scratch, &zero);
}

static __always_inline __u32 *scratch_lock(void)
{
  __u32 zero = 0;
  __u32 *busy = bpf_map_lookup_elem(&scratch_busy, &zero);
  if (!busy)
    return 0;
  if (__sync_lock_test_and_set(busy, 1)) {
    count(CNT_BUSY);
    return 0;
  }
  return busy;
}

static __always_inline void scratch_unlock(__u32 *busy)
{
  __sync_lock_test_and_set(busy, 0);
}

static __always_inline char *get_pathbuf(void)
{
  __u32 zero = 0;
  struct path_buf *p = bpf_map_lookup_elem(&pathbufs, &zero);
  return p ? p->b : 0;
}
