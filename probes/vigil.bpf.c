// SPDX-License-Identifier: GPL-2.0
/* vigil.bpf.c — vigil's kernel probes (CO-RE): the attach points. Observe only: nothing here blocks,
 * modifies or signals a traced task. Records go to one shared ring buffer.
 *
 * Hooks (each exists twice: tp_btf/<name> and raw_tp/<name>; user space autoloads one set):
 *   sys_exit            every syscall in the interest bitmap -> struct vigil_sys_rec
 *   sys_enter           only attached when a syscall flagged VIGIL_SC_ENTER is wanted:
 *                       raw args kept per thread until sys_exit
 *   sched_process_exec  successful execve/execveat -> struct vigil_exec_rec
 *   sched_process_fork  clone/clone3/fork/vfork -> struct vigil_fork_rec
 *   sched_process_exit  thread exit -> struct vigil_exit_rec
 *   io_uring_submit_req / io_uring_complete  io_uring requests -> struct vigil_sys_rec
 * Records use BPF_RB_NO_WAKEUP unless the backlog passes wakeup_backlog bytes.
 *
 * Layout (one BPF object, one skeleton; headers hold one concept each, as Tetragon's
 * bpf/lib and bpf/process do):
 *   lib/common.bpf.h            ring buffer, counters, scratch buffers, settings, emit()
 *   lib/flood.bpf.h             flood control: reserved share, per-process throttling
 *   lib/copy.bpf.h              verifier-friendly bounded copies
 *   lib/kptr.bpf.h              direct (fault-guarded) reads of kernel objects
 *   lib/path.bpf.h              dentry walk to the root, fd -> struct file
 *   lib/cgroup.bpf.h            cgroup path from kernfs
 *   lib/syscall.bpf.h           syscall number, args, interest bitmap
 *   lib/compat.bpf.h            32-bit (i386 ABI) calls: detection and translation
 *   process/exec.bpf.h          exec records
 *   process/fork_exit.bpf.h     fork and exit records
 *   syscalls/net.bpf.h          socket tuples
 *   syscalls/paths.bpf.h        path arguments
 *   syscalls/open_prefilter.bpf.h  the rules' open prefilter
 *   syscalls/sys_exit.bpf.h     the generic syscall record
 *   syscalls/arg_filter.bpf.h   fcntl / mmap / mprotect argument filters
 *   io_uring/io_uring.bpf.h     io_uring requests reported as their syscalls */
#include "lib/common.bpf.h"
#include "process/exec.bpf.h"
#include "process/fork_exit.bpf.h"
#include "syscalls/sys_exit.bpf.h"
#include "io_uring/io_uring.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* ---- tp_btf: direct BTF reads ------------------------------------------------------------ */

SEC("tp_btf/sys_exit")
int BPF_PROG(vigil_sys_exit_btf, struct pt_regs *regs, long ret)
{
  __u64 cargs[6];
  const __u64 *ca = 0;
  long nr;
  if (current_is_compat(true)) {
    nr = compat_syscall(regs, cargs);
    ca = cargs;
  } else {
    nr = regs->orig_ax;
  }
  if (nr < 0 || nr >= VIGIL_NR_MAX)
    return 0;
  return on_sys_exit(regs, ret, (__u32)nr, true, ca);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(vigil_sys_enter_btf, struct pt_regs *regs, long id)
{
  __u64 cargs[6];
  const __u64 *ca = 0;
  if (current_is_compat(true)) {
    id = compat_syscall(regs, cargs);
    ca = cargs;
  }
  if (id < 0 || id >= VIGIL_NR_MAX)
    return 0;
  return on_sys_enter(regs, (__u32)id, ca);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(vigil_exec_btf, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
  return on_exec(p, bprm);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(vigil_fork_btf, struct task_struct *parent, struct task_struct *child)
{
  return on_fork(parent, child);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(vigil_exit_btf, struct task_struct *p, bool group_dead)
{
  return on_exit(p, group_dead);
}

SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(vigil_iou_submit_btf, struct io_kiocb *req)
{
  return on_iou_submit(req);
}

SEC("tp_btf/io_uring_complete")
int BPF_PROG(vigil_iou_complete_btf, struct io_ring_ctx *ring, void *req, struct io_uring_cqe *cqe)
{
  return on_iou_complete(req, cqe);
}

/* ---- raw_tp fallback: probe reads ----------------------------------------------------- */

SEC("raw_tp/sys_exit")
int BPF_PROG(vigil_sys_exit_raw, struct pt_regs *regs, long ret)
{
  __u64 cargs[6];
  const __u64 *ca = 0;
  long nr;
  if (current_is_compat(false)) {
    nr = compat_syscall(regs, cargs);
    ca = cargs;
  } else {
    nr = BPF_CORE_READ(regs, orig_ax);
  }
  if (nr < 0 || nr >= VIGIL_NR_MAX)
    return 0;
  return on_sys_exit(regs, ret, (__u32)nr, false, ca);
}

SEC("raw_tp/sys_enter")
int BPF_PROG(vigil_sys_enter_raw, struct pt_regs *regs, long id)
{
  __u64 cargs[6];
  const __u64 *ca = 0;
  if (current_is_compat(false)) {
    id = compat_syscall(regs, cargs);
    ca = cargs;
  }
  if (id < 0 || id >= VIGIL_NR_MAX)
    return 0;
  return on_sys_enter(regs, (__u32)id, ca);
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(vigil_exec_raw, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
  return on_exec(p, bprm);
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(vigil_fork_raw, struct task_struct *parent, struct task_struct *child)
{
  return on_fork(parent, child);
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(vigil_exit_raw, struct task_struct *p, bool group_dead)
{
  return on_exit(p, group_dead);
}

SEC("raw_tp/io_uring_submit_req")
int BPF_PROG(vigil_iou_submit_raw, struct io_kiocb *req)
{
  return on_iou_submit(req);
}

SEC("raw_tp/io_uring_complete")
int BPF_PROG(vigil_iou_complete_raw, struct io_ring_ctx *ring, void *req, struct io_uring_cqe *cqe)
{
  return on_iou_complete(req, cqe);
}
