// SPDX-License-Identifier: GPL-2.0
/* syscalls/sys_exit.bpf.h — the generic syscall probe: sys_exit builds a struct
 * vigil_sys_rec for every call in the interest bitmap (args, socket tuple, paths) as the
 * syscall table (sc_desc) describes it; sys_enter keeps raw args for calls flagged
 * VIGIL_SC_ENTER. */
#pragma once

#include "lib/common.bpf.h"
#include "lib/copy.bpf.h"
#include "lib/path.bpf.h"
#include "lib/file.bpf.h"
#include "lib/syscall.bpf.h"
#include "lib/flood.bpf.h"
#include "syscalls/net.bpf.h"
#include "syscalls/paths.bpf.h"
#include "syscalls/open_prefilter.bpf.h"
#include "syscalls/arg_filter.bpf.h"
#include "syscalls/targets.bpf.h"

/* btf: regs is a trusted BTF pointer (tp_btf) and can be read directly. cargs: the
 * arguments of a 32-bit call (lib/compat.bpf.h; nr is then already translated), else 0. */
static __always_inline int on_sys_exit(struct pt_regs *regs, long ret, __u32 nr, bool btf,
                                       const __u64 *cargs)
{
  if (!interested(nr))
    return 0;
  __u64 id = bpf_get_current_pid_tgid();
  if ((id >> 32) == self_tgid)
    return 0;
  if (!args_wanted(regs, nr, btf))
    return 0;
  __u8 dflags = sc_desc[nr].flags;
  if ((dflags & VIGIL_SC_SKIP_SUCCESS) && ret >= 0) {
    if (dflags & VIGIL_SC_ENTER) {
      __u32 tid = (__u32)id;
      bpf_map_delete_elem(&enter_map, &tid);
    }
    return 0;
  }
  const bool is_open = dflags & VIGIL_SC_OPEN;
  /* A failed open has no file: its string is judged before any record work. */
  if (is_open && ret < 0 && !open_wanted(regs, nr, dflags, btf, cargs)) {
    count(4);
    return 0;
  }
  /* A successful open is judged first (below): the gate only decides records. */
  const bool opened = is_open && ret >= 0;
  if (!opened && !flood_gate(id >> 32, (__u32)id, nr))
    return 0;
  struct vigil_sys_rec *r = get_scratch();
  if (!r)
    return 0;
  __u32 *busy = scratch_lock();
  if (!busy)
    return 0;
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  char *pbuf = get_pathbuf();
  /* A successful open: the file the kernel opened decides (lib/file.bpf.h). */
  struct kfile kf = {};
  bool has_file = opened && resolve_fd_file(task, ret, pbuf, &kf);
  __u8 parg = sc_desc[nr].str_arg[0];
  if (parg > 5)
    parg = 0;
  /* O_RDONLY|O_TRUNC truncated the file: a write, which FMODE_WRITE does not show. */
  if (has_file && !kf.write)
    kf.write = open_flags_arg(regs, cargs, parg, dflags, btf) & O_TRUNC_VAL;
  if (has_file && pbuf && !open_file_watched(kf.dev, kf.ino) &&
      !open_file_wanted(kf.start, kf.write, kf.truncated, call_arg(regs, cargs, parg, btf))) {
    scratch_unlock(busy);
    count(4);
    return 0;
  }
  if (opened && !flood_gate(id >> 32, (__u32)id, nr)) {
    scratch_unlock(busy);
    return 0;
  }
  fill_hdr(&r->hdr, VIGIL_REC_SYSCALL);
  r->nr = nr;
  r->flags = cargs ? VIGIL_SYS_COMPAT : 0;
  r->pad = 0;
  r->res = ret;
  r->str_len[0] = r->str_len[1] = r->str_len[2] = r->str_len[3] = 0;
  if (dflags & VIGIL_SC_ENTER) {
    __u32 tid = (__u32)id;
    struct enter_args *ea = bpf_map_lookup_elem(&enter_map, &tid);
    if (ea && ea->nr == nr) {
      __builtin_memcpy(r->args, ea->args, sizeof(r->args));
      r->flags |= VIGIL_SYS_ENTER_ARGS;
      bpf_map_delete_elem(&enter_map, &tid);
    } else if (cargs) {
      __builtin_memcpy(r->args, cargs, sizeof(r->args));
    } else {
      read_args(regs, r->args);
    }
  } else if (cargs) {
    __builtin_memcpy(r->args, cargs, sizeof(r->args));
  } else {
    read_args(regs, r->args);
  }

  if (dflags & VIGIL_SC_DEREF_A2) {
    __u64 how[2] = {};
    if (bpf_probe_read_user(how, sizeof(how), (void *)r->args[2]))
      count(3);
    r->args[2] = how[0];
    r->args[3] = how[1];
  }
  if (nr == nr_bpf || nr == nr_pidfd_getfd)
    resolve_targets(task, nr, r);
  char *data = (char *)(r + 1);
  __u32 pos = 0;
  if (dflags & VIGIL_SC_TUPLE) {
    struct vigil_tuple *t = (struct vigil_tuple *)data;
    __builtin_memset(t, 0, sizeof(*t));
    __u8 fd_arg = sc_desc[nr].fd_arg;
    long fd = fd_arg == VIGIL_FD_RES ? ret : (fd_arg < 6 ? (long)(int)r->args[fd_arg] : -1);
    sock_tuple(task, fd, t);
    if (dflags & VIGIL_SC_USER_ADDR) {
      __u8 aa = sc_desc[nr].addr_arg, la = sc_desc[nr].addr_len_arg;
      if (aa < 6 && la < 6) {
        long ulen = (long)(int)r->args[la];
        if (dflags & VIGIL_SC_USER_ADDR_PLEN) {
          int l = 0;
          bpf_probe_read_user(&l, sizeof(l), (void *)r->args[la]);
          ulen = l;
        }
        user_addr(t, (const void *)r->args[aa], ulen, fd_arg == VIGIL_ARG_NONE);
      }
    }
    r->flags |= VIGIL_SYS_HAS_TUPLE;
    pos = sizeof(struct vigil_tuple);
  }
  r->ino = 0;
  r->dev = 0;
  r->pad2 = 0;
  if (has_file && pbuf) {
    /* raw caller string (no dir: the kernel path below is the resolution), then the file */
    pos += put_user_path(r, data, pos, sc_desc[nr].str_arg[0], VIGIL_ARG_NONE, 0, task, pbuf);
    __u32 flen = kf.len;
    if (flen >= VIGIL_STR_MAX)
      flen = VIGIL_STR_MAX - 1;
    copy_kernel(data, pos, flen, &pbuf[kf.start & (PATHBUF_HALF - 1)]);
    flen &= VIGIL_STR_MAX - 1;
    r->str_len[2] = flen;
    pos += flen;
    r->flags |= VIGIL_SYS_FILE;
    if (kf.truncated)
      r->flags |= VIGIL_SYS_FILE_TRUNCATED;
    r->ino = kf.ino;
    r->dev = kf.dev;
  } else {
    /* The file behind an fd instead of a path: open_by_handle_at's result, mmap's fd, or the
     * dirfd of a call given a NULL path (futimens = utimensat(fd, NULL): VIGIL_DIR_FD_FILE). */
    __u8 sa = sc_desc[nr].str_arg[0], da = sc_desc[nr].dir_arg[0];
    long pfd = -1;
    if (sa < 6 && task_chrooted(task))
      r->flags |= VIGIL_SYS_ROOTED;
    if ((da & 0xf8) == VIGIL_DIR_FD_FILE) {
      da &= 7;
      if (sa < 6 && da < 6 && r->args[sa & 7] == 0)
        pfd = (int)r->args[da & 7];
    } else if (sa == VIGIL_STR_RES_FD) {
      pfd = ret;
    } else if (sa == VIGIL_STR_FD_ARG && da < 6) {
      pfd = (int)r->args[da & 7];
    }
    if (pfd >= 0)
      pos += put_fd_path(r, data, pos, task, pfd, pbuf);
    else
      pos += put_user_path(r, data, pos, sa, da, 0, task, pbuf);
    pos += put_user_path(r, data, pos, sc_desc[nr].str_arg[1], sc_desc[nr].dir_arg[1], 1, task,
                         pbuf);
  }
  __u32 size = sizeof(*r) + pos;
  r->hdr.size = size;
  emit(r, size, sc_is_prio(nr));
  scratch_unlock(busy);
  return 0;
}

static __always_inline int on_sys_enter(struct pt_regs *regs, __u32 nr, const __u64 *cargs)
{
  if (!interested(nr) || !(sc_desc[nr].flags & VIGIL_SC_ENTER))
    return 0;
  __u64 id = bpf_get_current_pid_tgid();
  if ((id >> 32) == self_tgid)
    return 0;
  struct enter_args ea = {};
  ea.nr = nr;
  if (cargs)
    __builtin_memcpy(ea.args, cargs, sizeof(ea.args));
  else
    read_args(regs, ea.args);
  __u32 tid = (__u32)id;
  bpf_map_update_elem(&enter_map, &tid, &ea, BPF_ANY);
  return 0;
}
