// SPDX-License-Identifier: GPL-2.0
/* lib/syscall.bpf.h — the current syscall: its number, its arguments from the user
 * registers, the interest bitmap test, and args saved at sys_enter for calls that need them. */
#pragma once

#include "lib/common.bpf.h"
#include "lib/compat.bpf.h"

struct enter_args {
  __u64 args[6];
  __u32 nr;
  __u32 pad;
};

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);  /* threads that never return are aged out */
  __uint(max_entries, 16384);
  __type(key, __u32);
  __type(value, struct enter_args);
} enter_map SEC(".maps");

/* Syscall number of the current task (its user pt_regs: orig_ax). */
static __always_inline struct pt_regs *current_user_regs(void)
{
  return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

/* Native syscall number of the current task's call; a 32-bit call is translated
 * (lib/compat.bpf.h) and *compat set; 0xffffffff when there is none / no equivalent. */
static __always_inline __u32 current_syscall_nr(bool *compat)
{
  long nr = BPF_CORE_READ(current_user_regs(), orig_ax);
  *compat = current_is_compat(false);
  if (*compat) {
    __u32 n = compat_to_native(nr);
    return n >= VIGIL_NR_MAX ? 0xffffffff : n;
  }
  return nr < 0 ? 0xffffffff : (__u32)nr;
}

static __always_inline bool interested(__u32 nr)
{
  return nr < VIGIL_NR_MAX && sc_interest[nr];
}

/* ---- syscalls -------------------------------------------------------------------------- */

static __always_inline void read_args(struct pt_regs *regs, __u64 *a)
{
  struct pt_regs r;
  bpf_probe_read_kernel(&r, sizeof(r), regs);
#if defined(__TARGET_ARCH_x86)
  a[0] = r.di; a[1] = r.si; a[2] = r.dx; a[3] = r.r10; a[4] = r.r8; a[5] = r.r9;
#else
  a[0] = PT_REGS_PARM1_CORE_SYSCALL(regs);
  a[1] = PT_REGS_PARM2_CORE_SYSCALL(regs);
  a[2] = PT_REGS_PARM3_CORE_SYSCALL(regs);
  a[3] = PT_REGS_PARM4_CORE_SYSCALL(regs);
  a[4] = PT_REGS_PARM5_CORE_SYSCALL(regs);
  a[5] = 0;
#endif
}

/* Syscall argument i (0..5) from the user registers. */
static __always_inline __u64 syscall_arg(struct pt_regs *regs, __u32 i, bool btf)
{
#if defined(__TARGET_ARCH_x86)
  if (btf) {
    switch (i) {
    case 0: return regs->di;
    case 1: return regs->si;
    case 2: return regs->dx;
    case 3: return regs->r10;
    case 4: return regs->r8;
    default: return regs->r9;
    }
  }
  switch (i) {
  case 0: return BPF_CORE_READ(regs, di);
  case 1: return BPF_CORE_READ(regs, si);
  case 2: return BPF_CORE_READ(regs, dx);
  case 3: return BPF_CORE_READ(regs, r10);
  case 4: return BPF_CORE_READ(regs, r8);
  default: return BPF_CORE_READ(regs, r9);
  }
#else
  switch (i) {
  case 0: return PT_REGS_PARM1_CORE_SYSCALL(regs);
  case 1: return PT_REGS_PARM2_CORE_SYSCALL(regs);
  case 2: return PT_REGS_PARM3_CORE_SYSCALL(regs);
  case 3: return PT_REGS_PARM4_CORE_SYSCALL(regs);
  default: return PT_REGS_PARM5_CORE_SYSCALL(regs);
  }
#endif
}
