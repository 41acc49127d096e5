// SPDX-License-Identifier: GPL-2.0
/* vigil.bpf.c — vigil's kernel probes (CO-RE). Observe only: nothing here blocks,
 * modifies or signals a traced task. Records go to one shared ring buffer. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "wire.h"

char LICENSE[] SEC("license") = "GPL";

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 22);
} events SEC(".maps");

/* tgid of the daemon itself: never traced. */
const volatile __u32 self_tgid = 0;

SEC("tp_btf/sched_process_exec")
int BPF_PROG(vigil_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
  __u64 id = bpf_get_current_pid_tgid();
  __u32 tgid = id >> 32;
  if (tgid == self_tgid)
    return 0;
  struct vigil_exec_rec *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
  if (!r)
    return 0;
  r->hdr.type = VIGIL_REC_EXEC;
  r->hdr.size = sizeof(*r);
  r->hdr.cpu = bpf_get_smp_processor_id();
  r->hdr.ts = bpf_ktime_get_boot_ns();
  r->hdr.tid = (__u32)id;
  r->hdr.tgid = tgid;
  r->ppid = BPF_CORE_READ(p, real_parent, tgid);
  r->uid = (__u32)bpf_get_current_uid_gid();
  bpf_get_current_comm(r->comm, sizeof(r->comm));
  bpf_probe_read_kernel_str(r->filename, sizeof(r->filename), BPF_CORE_READ(bprm, filename));
  bpf_ringbuf_submit(r, 0);
  return 0;
}
