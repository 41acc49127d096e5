// SPDX-License-Identifier: GPL-2.0
/* process/fork_exit.bpf.h — sched_process_fork (clone/clone3/fork/vfork with flags) and
 * sched_process_exit (only while a rule or the state tables want exits). */
#pragma once

#include "lib/common.bpf.h"
#include "lib/syscall.bpf.h"
#include "lib/flood.bpf.h"

static __always_inline int on_fork(struct task_struct *parent, struct task_struct *child)
{
  __u64 id = bpf_get_current_pid_tgid();
  if ((id >> 32) == self_tgid)
    return 0;
  if (BPF_CORE_READ(parent, flags) & PF_KTHREAD_VAL)
    return 0;
  bool compat = false;
  __u32 nr = current_syscall_nr(&compat);
  if (!interested(nr))
    return 0;
  struct vigil_fork_rec r = {};
  fill_hdr(&r.hdr, VIGIL_REC_FORK);
  r.hdr.size = sizeof(r);
  r.nr = nr;
  r.rflags = compat ? VIGIL_FORK_COMPAT : 0;
  r.child_tid = BPF_CORE_READ(child, pid);
  r.child_tgid = BPF_CORE_READ(child, tgid);
  struct pid *tp = BPF_CORE_READ(child, thread_pid);
  unsigned int level = BPF_CORE_READ(tp, level);
  int vnr = 0;
  bpf_core_read(&vnr, sizeof(vnr), &tp->numbers[level & 31].nr);
  r.child_vtid = vnr;
  struct pt_regs *regs = current_user_regs();
  __u64 arg0 = compat ? compat_arg0(regs) : BPF_CORE_READ(regs, di);
  if (nr == nr_clone) {
    r.flags = compat ? (__u32)arg0 : arg0;
  } else if (nr == nr_clone3) {
    __u64 flags = 0;
    bpf_probe_read_user(&flags, sizeof(flags), (void *)arg0);
    r.flags = flags;
  } else if (nr == nr_vfork) {
    r.flags = 0x00004000 | 0x00000100;  /* CLONE_VFORK | CLONE_VM */
  }
  emit(&r, sizeof(r), true);
  return 0;
}

static __always_inline int on_exit(struct task_struct *task, bool group_dead)
{
  __u64 id = bpf_get_current_pid_tgid();
  if ((id >> 32) == self_tgid)
    return 0;
  if (group_dead)
    flood_exit(id >> 32, (__u32)id);
  if (!want_procexit)
    return 0;
  if (BPF_CORE_READ(task, flags) & PF_KTHREAD_VAL)
    return 0;
  struct vigil_exit_rec r = {};
  fill_hdr(&r.hdr, VIGIL_REC_EXIT);
  r.hdr.size = sizeof(r);
  r.exit_code = BPF_CORE_READ(task, exit_code);
  r.group_dead = group_dead;
  emit(&r, sizeof(r), true);
  return 0;
}
