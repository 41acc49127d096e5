// SPDX-License-Identifier: GPL-2.0
/* syscalls/paths.bpf.h — path arguments of syscall records: the caller's string and, for a
 * relative one, the directory it is relative to (cwd or dirfd) resolved in the kernel. */
#pragma once

#include "lib/common.bpf.h"
#include "lib/copy.bpf.h"
#include "lib/path.bpf.h"

/* Reads user string args[str_arg] into data[pos] and, when relative, the directory it is
 * relative to into data[pos + len] (when absolute and the task is chrooted,
 * VIGIL_SYS_ROOTED: its root directory). Returns the bytes written; lens get both lengths. */
static __always_inline __u32 put_user_path(struct vigil_sys_rec *r, char *data, __u32 pos,
                                           __u8 str_arg, __u8 dir_arg, int slot,
                                           struct task_struct *task, char *pbuf)
{
  if (str_arg >= 6)
    return 0;
  const char *uptr = (const char *)r->args[str_arg];
  long n = copy_user_str(data, pos, uptr);
  __u32 len = n > 0 ? (__u32)(n - 1) : 0;
  if (len == VIGIL_STR_MAX - 1) {
    r->flags |= VIGIL_SYS_TRUNCATED;
    count(2);
  }
  __u32 written = len & (VIGIL_STR_MAX - 1);
  r->str_len[slot * 2] = written;
  r->str_len[slot * 2 + 1] = 0;
  if (slot == 1 && (dir_arg & 0xf8) == VIGIL_DIR_EXTRA) {
    const char *xptr = (const char *)r->args[dir_arg & 7];
    long xn = copy_user_str(data, pos + written, xptr);
    __u32 xlen = xn > 0 ? (__u32)(xn - 1) & (VIGIL_STR_MAX - 1) : 0;
    r->str_len[3] = xlen;
    return written + xlen;
  }
  if (written == 0 || dir_arg == VIGIL_ARG_NONE)
    return written;
  struct path dir;
  if (data[pos & SCRATCH_POS_MASK] == '/') {
    /* absolute: under the task's root, which is the walk's root unless chrooted */
    if (!(r->flags & VIGIL_SYS_ROOTED))
      return written;
    struct fs_struct *fs = BPF_CORE_READ(task, fs);
    if (bpf_core_read(&dir, sizeof(dir), &fs->root))
      return written;
  } else if (dir_arg == VIGIL_DIR_CWD || (dir_arg < 6 && (int)r->args[dir_arg] == AT_FDCWD_VAL)) {
    struct fs_struct *fs = BPF_CORE_READ(task, fs);
    if (bpf_core_read(&dir, sizeof(dir), &fs->pwd))
      return written;
  } else if (dir_arg < 6) {
    struct file *f = fd_file(task, (int)r->args[dir_arg]);
    if (!f || bpf_core_read(&dir, sizeof(dir), &f->f_path))
      return written;
  } else {
    return written;
  }
  __u32 dlen = put_path(data, pos + written, &dir, pbuf);
  r->str_len[slot * 2 + 1] = dlen;
  return written + dlen;
}

/* The path of the file behind fd (the call's result: open_by_handle_at has no path
 * argument) into string slot 0, walked in the kernel. Returns the bytes written. */
static __always_inline __u32 put_fd_path(struct vigil_sys_rec *r, char *data, __u32 pos,
                                         struct task_struct *task, long fd, char *pbuf)
{
  struct file *f = fd_file(task, fd);
  struct path p;
  if (!f || bpf_core_read(&p, sizeof(p), &f->f_path))
    return 0;
  __u32 len = put_path(data, pos, &p, pbuf);
  r->str_len[0] = len;
  return len;
}
