// SPDX-License-Identifier: GPL-2.0
/* lib/compat.bpf.h — 32-bit (compat) syscalls of 64-bit tasks: int $0x80 and compat
 * sysenter/syscall enter the kernel with i386 numbers in orig_ax and i386 argument
 * registers (ebx, ecx, edx, esi, edi, ebp). The task's TS_COMPAT status (set by the compat
 * entry, cleared on the return to user mode, so visible at sys_enter and sys_exit) says which
 * ABI the number belongs to: never the number alone.
 * A compat call is translated to the native number of the same vigil event type
 * (compat_nr, filled by user space from transport's i386 table) so that the interest bitmap,
 * sc_desc and the decoder apply unchanged; the record carries VIGIL_SYS_COMPAT. i386 numbers
 * vigil has no event for translate to VIGIL_COMPAT_NONE and are dropped (never decoded as
 * x86_64 numbers). socketcall is demultiplexed by its call number (socketcall_nr); its
 * arguments are an array of u32 in user memory, read at sys_exit (the kernel copied them at
 * entry: a racing thread could change what vigil reads, not what the kernel did; the socket
 * tuple comes from the kernel socket). Hot path: one status load per syscall. */
#pragma once

#include "lib/common.bpf.h"

#define TS_COMPAT_VAL 0x0002

const volatile __u16 compat_nr[VIGIL_NR_MAX] = {};
const volatile __u16 socketcall_nr[VIGIL_SOCKETCALL_MAX] = {};
const volatile __u32 compat_nr_socketcall = 0xffffffff;

/* True when the current syscall entered through a 32-bit entry point. */
static __always_inline bool current_is_compat(bool btf)
{
#if defined(__TARGET_ARCH_x86)
  if (btf)
    return bpf_get_current_task_btf()->thread_info.status & TS_COMPAT_VAL;
  struct task_struct *t = (struct task_struct *)bpf_get_current_task();
  return BPF_CORE_READ(t, thread_info.status) & TS_COMPAT_VAL;
#else
  return false;
#endif
}

/* Native number for a compat number (VIGIL_NR_MAX when vigil has no such event). */
static __always_inline __u32 compat_to_native(long cnr)
{
  if (cnr < 0 || cnr >= VIGIL_NR_MAX)
    return VIGIL_NR_MAX;
  __u16 n = compat_nr[cnr];
  return n == VIGIL_COMPAT_NONE ? VIGIL_NR_MAX : n;
}

/* Translates the current compat syscall: returns the native number (VIGIL_NR_MAX: not
 * traced) and fills a[] with its arguments (32-bit registers zero-extended, as the kernel's
 * compat wrappers read them; socketcall: its user array). */
static __always_inline __u32 compat_syscall(struct pt_regs *regs, __u64 *a)
{
#if defined(__TARGET_ARCH_x86)
  struct pt_regs r;
  if (bpf_probe_read_kernel(&r, sizeof(r), regs))
    return VIGIL_NR_MAX;
  a[0] = (__u32)r.bx; a[1] = (__u32)r.cx; a[2] = (__u32)r.dx;
  a[3] = (__u32)r.si; a[4] = (__u32)r.di; a[5] = (__u32)r.bp;
  long cnr = r.orig_ax;
  if ((__u64)cnr != compat_nr_socketcall)
    return compat_to_native(cnr);
  __u64 call = a[0];
  if (call >= VIGIL_SOCKETCALL_MAX)
    return VIGIL_NR_MAX;
  __u16 n = socketcall_nr[call];
  if (n == VIGIL_COMPAT_NONE)
    return VIGIL_NR_MAX;
  /* Arguments per call, as the kernel's socketcall reads them (net/socket.c nargs[]). */
  static const __u8 nargs[21] = {0, 3, 3, 3, 2, 3, 3, 3, 4, 4, 4, 6, 6, 2, 5, 5, 3, 3, 4, 5, 4};
  __u32 count = call < 21 ? nargs[call] : 0;
  __u64 uargs = a[1];
  for (int i = 0; i < 6; i++) {
    __u32 v = 0;
    if (i < count && bpf_probe_read_user(&v, sizeof(v), (void *)(uargs + 4 * i)))
      v = 0;
    a[i] = v;  /* 0 past the call's arguments (send has no address: sendto's stay 0) */
  }
  return n;
#else
  return VIGIL_NR_MAX;
#endif
}

/* First argument of the current compat syscall (clone flags, clone3 args pointer). */
static __always_inline __u64 compat_arg0(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
  return (__u32)BPF_CORE_READ(regs, bx);
#else
  return 0;
#endif
}
