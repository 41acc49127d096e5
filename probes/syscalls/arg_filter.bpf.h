// SPDX-License-Identifier: GPL-2.0
/* syscalls/arg_filter.bpf.h — in-kernel argument filters for calls that are frequent but
 * interesting only for some argument values: fcntl only when it duplicates an fd
 * (F_DUPFD, F_DUPFD_CLOEXEC: reported as dup), mmap/mprotect only when the mapping becomes
 * executable (PROT_EXEC). Checked right after the interest bitmap, before any record work:
 * a rule set that does not want these calls never reaches this code. Hot path. */
#pragma once

#include "lib/common.bpf.h"
#include "lib/syscall.bpf.h"

#define F_DUPFD_VAL 0
#define F_DUPFD_CLOEXEC_VAL 1030
#define PROT_EXEC_VAL 0x4

/* false when the call's arguments say nobody wants it. */
static __always_inline bool args_wanted(struct pt_regs *regs, __u32 nr, bool btf)
{
  if (nr == nr_fcntl) {
    __u32 cmd = (__u32)syscall_arg(regs, 1, btf);
    return cmd == F_DUPFD_VAL || cmd == F_DUPFD_CLOEXEC_VAL;
  }
  if (nr == nr_mmap || nr == nr_mprotect)
    return (syscall_arg(regs, 2, btf) & PROT_EXEC_VAL) != 0;
  return true;
}
