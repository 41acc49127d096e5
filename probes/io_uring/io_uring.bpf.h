// SPDX-License-Identifier: GPL-2.0
/* io_uring/io_uring.bpf.h — io_uring requests as the syscalls they replace. io_uring work is
 * no syscall, so sys_exit never sees it; these hooks turn the requests that open files,
 * connect, accept, create sockets, rename, unlink, link, symlink or make directories into the
 * same struct vigil_sys_rec the syscall would produce (nr = that syscall's number, args laid
 * out as the syscall's registers), flagged VIGIL_SYS_IO_URING. Rules written for openat or
 * connect fire unchanged.
 *
 *   io_uring_complete    opens (the file the kernel opened, walked from the installed fd or,
 *                        for an open into a registered-file slot, from the ring's fixed-file
 *                        table: VIGIL_SYS_FIXED_FILE, the slot is the fd), connect (tuple of
 *                        the socket), accept (tuple of the new fd), socket; reads and writes
 *                        (READ/READV/READ_FIXED/READV_FIXED/READ_MULTISHOT as read/readv,
 *                        WRITE/WRITEV/WRITE_FIXED/WRITEV_FIXED as write/writev) of regular
 *                        files, from the request's own struct file, when iou_rw asks for them
 *                        and, with the open prefilter on, only for watched files
 *                        (watched_files, by identity); the result is the CQE's
 *   io_uring_submit_req  renameat, unlinkat, mkdirat, linkat, symlinkat: their kernel copies
 *                        of the paths are freed before completion, so these are reported at
 *                        submission with res = 0 (the outcome is not known yet)
 *
 * Reads and writes are not in the interest bitmap (that would make sys_exit report every
 * read(2) and write(2)): iou_rw says which of the two the rules want. Each other request's
 * syscall number goes through the interest bitmap first: a rule set that
 * wants none of these types pays one opcode load and a byte test per request. The owner
 * task is req->tctx->task (completions may run in an io-wq worker or task work). Hot path. */
#pragma once

#include "lib/common.bpf.h"
#include "lib/copy.bpf.h"
#include "lib/path.bpf.h"
#include "lib/file.bpf.h"
#include "lib/syscall.bpf.h"
#include "lib/flood.bpf.h"
#include "syscalls/net.bpf.h"
#include "syscalls/open_prefilter.bpf.h"

/* Syscall numbers the requests are reported as (set by user space before load). */
const volatile __u32 nr_openat = 257, nr_openat2 = 437, nr_connect = 42, nr_accept4 = 288,
                     nr_socket = 41, nr_renameat2 = 316, nr_unlinkat = 263, nr_mkdirat = 258,
                     nr_linkat = 265, nr_symlinkat = 266, nr_read = 0, nr_write = 1,
                     nr_readv = 19, nr_writev = 20;

/* Live (user space, .bss): VIGIL_IOU_READS | VIGIL_IOU_WRITES when a rule wants read(v) /
 * write(v) events; io_uring reads and writes are reported only then. */
__u8 iou_rw = 0;

#define O_LARGEFILE_VAL 0100000
#define S_IFREG_VAL 0100000
#define IOU_FILE_INDEX_ALLOC 0xffffffffu /* IORING_FILE_INDEX_ALLOC */
#define IOU_OP_READV 1
#define IOU_OP_WRITEV 2
#define IOU_OP_READ_FIXED 4
#define IOU_OP_WRITE_FIXED 5
#define IOU_OP_READ 22
#define IOU_OP_WRITE 23
#define IOU_OP_READ_MULTISHOT 49
#define IOU_OP_READV_FIXED 60
#define IOU_OP_WRITEV_FIXED 61
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

/* The syscall a read or write request is reported as; VIGIL_NR_MAX for other requests. */
static __always_inline __u32 iou_rw_nr(__u8 op, bool *write)
{
  switch (op) {
  case IOU_OP_READ: case IOU_OP_READ_FIXED: case IOU_OP_READ_MULTISHOT:
    *write = false; return nr_read;
  case IOU_OP_READV: case IOU_OP_READV_FIXED: *write = false; return nr_readv;
  case IOU_OP_WRITE: case IOU_OP_WRITE_FIXED: *write = true; return nr_write;
  case IOU_OP_WRITEV: case IOU_OP_WRITEV_FIXED: *write = true; return nr_writev;
  default: return VIGIL_NR_MAX;
  }
}

/* The file in registered-file slot `slot` of the request's ring (io_uring's fixed-file
 * table: rsrc nodes whose file_ptr carries flag bits in its low bits), 0 when empty. */
static __always_inline struct file *iou_fixed_file(struct io_kiocb *req, __u32 slot)
{
  struct io_ring_ctx *ctx = BPF_CORE_READ(req, ctx);
  if (!ctx || slot >= BPF_CORE_READ(ctx, file_table.data.nr))
    return 0;
  struct io_rsrc_node **nodes = BPF_CORE_READ(ctx, file_table.data.nodes);
  struct io_rsrc_node *node = 0;
  if (!nodes || bpf_core_read(&node, sizeof(node), &nodes[slot]) || !node)
    return 0;
  unsigned long p = BPF_CORE_READ(node, file_ptr);
  return (struct file *)(p & ~7UL);
}

/* The kernel-resolved file k into string slot 1 (str1), dev/ino into the record:
 * VIGIL_SYS_FILE as sys_exit builds it for an open. Returns the bytes written. */
static __always_inline __u32 iou_put_file(struct vigil_sys_rec *r, char *data, __u32 pos,
                                          struct kfile *k, char *pbuf)
{
  __u32 flen = k->len;
  if (flen >= VIGIL_STR_MAX)
    flen = VIGIL_STR_MAX - 1;
  copy_kernel(data, pos, flen, &pbuf[k->start & (PATHBUF_HALF - 1)]);
  flen &= VIGIL_STR_MAX - 1;
  r->str_len[2] = flen;
  r->flags |= VIGIL_SYS_FILE;
  if (k->truncated)
    r->flags |= VIGIL_SYS_FILE_TRUNCATED;
  r->ino = k->ino;
  r->dev = k->dev;
  return flen;
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
  bool write = false;
  __u32 nr = iou_rw_nr(op, &write);
  struct file *rwf = 0;
  if (nr != VIGIL_NR_MAX) {
    /* a read or write: only of regular files, only when the rules want it */
    if (!complete || res < 0 || !(iou_rw & (write ? VIGIL_IOU_WRITES : VIGIL_IOU_READS)))
      return 0;
    rwf = BPF_CORE_READ(req, file);
    if (!rwf)
      return 0;
    struct inode *ino = BPF_CORE_READ(rwf, f_inode);
    if ((BPF_CORE_READ(ino, i_mode) & S_IFMT_VAL) != S_IFREG_VAL)
      return 0;
    /* With the open prefilter on, only watched files (by identity: no path walk for the
     * others, which a database doing io_uring reads would pay on every request). */
    if ((open_filter & VIGIL_OPF_ON) &&
        !open_file_watched(BPF_CORE_READ(ino, i_sb, s_dev), BPF_CORE_READ(ino, i_ino)))
      return 0;
  } else {
    nr = iou_nr(op);
    if (!interested(nr))
      return 0;
  }
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
  r->ino = 0;
  r->dev = 0;
  r->pad2 = 0;
  __builtin_memset(r->args, 0, sizeof(r->args));
  char *data = (char *)(r + 1);
  char *pbuf = get_pathbuf();
  __u32 pos = 0;
  void *cmd = &req->cmd;
  struct file *named = 0;  /* the file the event names (opens, reads, writes) */
  if (rwf) {
    /* The request's own file (a fixed file's too): the fd number is not kept until
     * completion, so the event names the file, not the fd. */
    named = rwf;
    r->args[0] = (__u64)-1;
    struct io_rw *rw = cmd;
    r->args[2] = BPF_CORE_READ(rw, len);
    if (BPF_CORE_READ(req, flags) & 1 /* REQ_F_FIXED_FILE */)
      r->flags |= VIGIL_SYS_FIXED_FILE;
  } else if (op == IOU_OP_OPENAT || op == IOU_OP_OPENAT2) {
    struct io_open *o = cmd;
    r->args[0] = (__u64)(__s64)BPF_CORE_READ(o, dfd);
    /* io_uring forces O_LARGEFILE into how.flags; the syscall's register never has it */
    r->args[2] = BPF_CORE_READ(o, how.flags) & ~(__u64)O_LARGEFILE_VAL;
    r->args[3] = BPF_CORE_READ(o, how.mode);
    if (res >= 0) {
      /* An open into a registered-file slot installs no fd: the file is in the ring's
       * table, at the slot the request named (file_slot - 1) or, for
       * IORING_FILE_INDEX_ALLOC, the one the CQE returns. That slot is the event's fd. */
      __u32 fslot = BPF_CORE_READ(o, file_slot);
      if (fslot == 0) {
        named = fd_file(task, res);
      } else {
        __u32 slot = fslot == IOU_FILE_INDEX_ALLOC ? (__u32)res : fslot - 1;
        named = iou_fixed_file(req, slot);
        r->res = slot;
        r->flags |= VIGIL_SYS_FIXED_FILE;
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
  if (named) {
    /* Only opens, reads and writes set it, and they wrote no strings yet (pos = 0). */
    struct kfile kf = {};
    if (pbuf && resolve_file(named, pbuf, &kf))
      pos = iou_put_file(r, data, 0, &kf, pbuf);
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
