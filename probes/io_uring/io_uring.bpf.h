// SPDX-License-Identifier: GPL-2.0
/* io_uring/io_uring.bpf.h — io_uring requests as the syscalls they replace. io_uring work is
 * no syscall, so sys_exit never sees it; these hooks turn the requests that open files,
 * connect, accept, create sockets, rename, unlink, link, symlink or make directories into the
 * same struct vigil_sys_rec the syscall would produce (nr = that syscall's number, args laid
 * out as the syscall's registers), flagged VIGIL_SYS_IO_URING. Rules written for openat or
 * connect fire unchanged.
 *
 *   io_uring_complete    opens (path of the installed fd, walked in the kernel), connect
 *                        (tuple of the socket), accept (tuple of the new fd), socket; the
 *                        result is the CQE's
 *   io_uring_submit_req  renameat, unlinkat, mkdirat, linkat, symlinkat: their kernel copies
 *                        of the paths are freed before completion, so these are reported at
 *                        submission with res = 0 (the outcome is not known yet)
 *
 * Each request's syscall number goes through the interest bitmap first: a rule set that
 * wants none of these types pays one opcode load and a byte test per request. The owner
 * task is req->tctx->task (completions may run in an io-wq worker or task work). Hot path. */
#pragma once

#include "lib/common.bpf.h"
#include "lib/copy.bpf.h"
#include "lib/path.bpf.h"
#include "lib/syscall.bpf.h"
#include "lib/flood.bpf.h"
#include "syscalls/net.bpf.h"

/* Syscall numbers the requests are reported as (set by user space before load). */
const volatile __u32 nr_openat = 257, nr_openat2 = 437, nr_connect = 42, nr_accept4 = 288,
                     nr_socket = 41, nr_renameat2 = 316, nr_unlinkat = 263, nr_mkdirat = 258,
                     nr_linkat = 265, nr_symlinkat = 266;

#define O_LARGEFILE_VAL 0100000
#define IOU_OP_ACCEPT 13
#define IOU_OP_CONNECT 16
#define IOU_OP_OPENAT 18
#define IOU_OP_OPENAT2 28
#define IOU_OP_RENAMEAT 35
#define IOU_OP_UNLINKAT 36
#define IOU_OP_MKDIRAT 37
#define IOU_OP_SYMLINKAT 38
#define IOU_OP_LINKAT 39
#define IOU_OP_SOCKET 45

static __always_inline __u32 iou_nr(__u8 op)
{
  switch (op) {
  case IOU_OP_OPENAT: return nr_openat;
  case IOU_OP_OPENAT2: return nr_openat2;
  case IOU_OP_CONNECT: return nr_connect;
  case IOU_OP_ACCEPT: return nr_accept4;
  case IOU_OP_SOCKET: return nr_socket;
  case IOU_OP_RENAMEAT: return nr_renameat2;
  case IOU_OP_UNLINKAT: return nr_unlinkat;
  case IOU_OP_MKDIRAT: return nr_mkdirat;
  case IOU_OP_LINKAT: return nr_linkat;
  case IOU_OP_SYMLINKAT: return nr_symlinkat;
  default: return VIGIL_NR_MAX;
  }
}

/* The header of a record made for `task` (not necessarily current). */
static __always_inline void iou_fill_hdr(struct vigil_hdr *h, struct task_struct *task)
{
  h->type = VIGIL_REC_SYSCALL;
  h->cpu = bpf_get_smp_processor_id();
  h->ts = bpf_ktime_get_boot_ns();
  h->tid = BPF_CORE_READ(task, pid);
  h->tgid = BPF_CORE_READ(task, tgid);
}

/* A kernel path string (struct filename) into string slot `slot`, and, when relative, the
 * directory it is relative to (dfd or the task's cwd). Returns the bytes written. */
static __always_inline __u32 iou_put_name(struct vigil_sys_rec *r, char *data, __u32 pos,
                                          struct filename *fn, int dfd, int slot,
                                          struct task_struct *task, char *pbuf)
{
  const char *name = BPF_CORE_READ(fn, name);
  if (!name)
    return 0;
  long n = copy_kernel_str(data, pos, name);
  __u32 len = n > 0 ? (__u32)(n - 1) : 0;
  if (len == VIGIL_STR_MAX - 1) {
    r->flags |= VIGIL_SYS_TRUNCATED;
    count(2);
  }
  __u32 written = len & (VIGIL_STR_MAX - 1);
  r->str_len[slot * 2] = written;
  r->str_len[slot * 2 + 1] = 0;
  if (written == 0 || data[pos & SCRATCH_POS_MASK] == '/')
    return written;
  struct path dir;
  if (dfd == AT_FDCWD_VAL) {
    struct fs_struct *fs = BPF_CORE_READ(task, fs);
    if (!fs || bpf_core_read(&dir, sizeof(dir), &fs->pwd))
      return written;
  } else {
    struct file *f = fd_file(task, dfd);
    if (!f || bpf_core_read(&dir, sizeof(dir), &f->f_path))
      return written;
  }
  __u32 dlen = put_path(data, pos + written, &dir, pbuf);
  r->str_len[slot * 2 + 1] = dlen;
  return written + dlen;
}

static __always_inline int on_iou(struct io_kiocb *req, long res, bool complete)
{
  __u8 op = BPF_CORE_READ(req, opcode);
  __u32 nr = iou_nr(op);
  if (!interested(nr))
    return 0;
  bool at_submit = op == IOU_OP_RENAMEAT || op == IOU_OP_UNLINKAT || op == IOU_OP_MKDIRAT ||
                   op == IOU_OP_LINKAT || op == IOU_OP_SYMLINKAT;
  if (at_submit == complete)
    return 0;
  struct task_struct *task = BPF_CORE_READ(req, tctx, task);
  if (!task)
    return 0;
  __u32 tgid = BPF_CORE_READ(task, tgid);
  if (tgid == self_tgid)
    return 0;
  if (!flood_gate(tgid, BPF_CORE_READ(task, pid), nr))
    return 0;
  struct vigil_sys_rec *r = get_scratch();
  if (!r)
    return 0;
  __u32 *busy = scratch_lock();
  if (!busy)
    return 0;
  iou_fill_hdr(&r->hdr, task);
  r->nr = nr;
  r->flags = VIGIL_SYS_IO_URING;
  r->pad = 0;
  r->res = res;
  r->str_len[0] = r->str_len[1] = r->str_len[2] = r->str_len[3] = 0;
  __builtin_memset(r->args, 0, sizeof(r->args));
  char *data = (char *)(r + 1);
  char *pbuf = get_pathbuf();
  __u32 pos = 0;
  void *cmd = &req->cmd;
  if (op == IOU_OP_OPENAT || op == IOU_OP_OPENAT2) {
    struct io_open *o = cmd;
    r->args[0] = (__u64)(__s64)BPF_CORE_READ(o, dfd);
    /* io_uring forces O_LARGEFILE into how.flags; the syscall's register never has it */
    r->args[2] = BPF_CORE_READ(o, how.flags) & ~(__u64)O_LARGEFILE_VAL;
    r->args[3] = BPF_CORE_READ(o, how.mode);
    if (res >= 0 && BPF_CORE_READ(o, file_slot) == 0) {
      struct file *f = fd_file(task, res);
      struct path p;
      if (f && !bpf_core_read(&p, sizeof(p), &f->f_path)) {
        pos = put_path(data, 0, &p, pbuf);
        r->str_len[0] = pos;
      }
    }
  } else if (op == IOU_OP_CONNECT || op == IOU_OP_ACCEPT) {
    struct vigil_tuple *t = (struct vigil_tuple *)data;
    __builtin_memset(t, 0, sizeof(*t));
    struct file *sf = op == IOU_OP_CONNECT ? BPF_CORE_READ(req, file)
                                           : (res >= 0 ? fd_file(task, res) : 0);
    sock_tuple_file(sf, t);
    r->args[0] = (__u64)-1;  /* the ring's request names no fd number */
    r->flags |= VIGIL_SYS_HAS_TUPLE;
    pos = sizeof(struct vigil_tuple);
  } else if (op == IOU_OP_SOCKET) {
    struct io_socket *s = cmd;
    r->args[0] = BPF_CORE_READ(s, domain);
    r->args[1] = BPF_CORE_READ(s, type);
    r->args[2] = BPF_CORE_READ(s, protocol);
  } else if (op == IOU_OP_RENAMEAT || op == IOU_OP_LINKAT) {
    /* io_rename and io_link share the layout: file, old_dfd, new_dfd, oldpath, newpath, flags */
    struct io_rename *rn = cmd;
    int od = BPF_CORE_READ(rn, old_dfd), nd = BPF_CORE_READ(rn, new_dfd);
    r->args[0] = (__u64)(__s64)od;
    r->args[2] = (__u64)(__s64)nd;
    r->args[4] = BPF_CORE_READ(rn, flags);
    pos = iou_put_name(r, data, 0, BPF_CORE_READ(rn, oldpath), od, 0, task, pbuf);
    pos += iou_put_name(r, data, pos, BPF_CORE_READ(rn, newpath), nd, 1, task, pbuf);
  } else if (op == IOU_OP_UNLINKAT) {
    struct io_unlink *u = cmd;
    int d = BPF_CORE_READ(u, dfd);
    r->args[0] = (__u64)(__s64)d;
    r->args[2] = BPF_CORE_READ(u, flags);
    pos = iou_put_name(r, data, 0, BPF_CORE_READ(u, filename), d, 0, task, pbuf);
  } else if (op == IOU_OP_MKDIRAT) {
    struct io_mkdir *m = cmd;
    int d = BPF_CORE_READ(m, dfd);
    r->args[0] = (__u64)(__s64)d;
    r->args[2] = BPF_CORE_READ(m, mode);
    pos = iou_put_name(r, data, 0, BPF_CORE_READ(m, filename), d, 0, task, pbuf);
  } else if (op == IOU_OP_SYMLINKAT) {
    /* symlinkat(target, newdirfd, linkpath): io_link's oldpath is the target */
    struct io_link *l = cmd;
    int nd = BPF_CORE_READ(l, new_dfd);
    r->args[1] = (__u64)(__s64)nd;
    pos = iou_put_name(r, data, 0, BPF_CORE_READ(l, oldpath), AT_FDCWD_VAL, 0, task, pbuf);
    r->str_len[1] = 0;  /* the target is kept as written */
    pos = r->str_len[0];
    pos += iou_put_name(r, data, pos, BPF_CORE_READ(l, newpath), nd, 1, task, pbuf);
  }
  __u32 size = sizeof(*r) + (pos & (SCRATCH_SIZE / 2 - 1));
  r->hdr.size = size;
  emit(r, size, sc_is_prio(nr));
  scratch_unlock(busy);
  return 0;
}

static __always_inline int on_iou_submit(struct io_kiocb *req)
{
  return on_iou(req, 0, false);
}

static __always_inline int on_iou_complete(void *req, struct io_uring_cqe *cqe)
{
  long res = BPF_CORE_READ(cqe, res);
  return on_iou((struct io_kiocb *)req, res, true);
}
