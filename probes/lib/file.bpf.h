// SPDX-License-Identifier: GPL-2.0
/* lib/file.bpf.h — the file an open returned, read from the kernel: the struct file behind
 * the fd, its path walked to the real root (symlinks, "..", dirfd, chroot, /proc/self/root
 * and /proc/self/fd/N reopens already resolved by the kernel), device, inode and open mode.
 * Nothing here reads user memory, so a thread racing on the caller's path buffer cannot
 * change it. Uses the per-CPU path buffer: callers hold the scratch lock. Hot path (every
 * successful open in the interest bitmap). */
#pragma once

#include "lib/common.bpf.h"
#include "lib/path.bpf.h"

#define FMODE_WRITE_VAL 0x2

struct kfile {
  __u32 start;     /* the path is pbuf[start .. PATHBUF_HALF), NUL at pbuf[PATHBUF_HALF] */
  __u32 len;
  bool truncated;  /* the walk stopped before the root: the bytes are the last components */
  bool write;      /* opened for writing (FMODE_WRITE) */
  __u32 dev;       /* kernel dev_t of the superblock (MAJOR << 20 | MINOR) */
  __u64 ino;
};

/* Resolves the open file `f` into k (path in pbuf). False when there is no file. */
static __always_inline bool resolve_file(struct file *fp, char *pbuf, struct kfile *k)
{
  if (!fp || !pbuf)
    return false;
  struct file *f = KPTR(struct file, fp);
  struct dentry *dentry = f->f_path.dentry;
  struct vfsmount *mnt = f->f_path.mnt;
  if (!dentry || !mnt)
    return false;
  bool truncated = false;
  __u32 start = walk_path(dentry, mnt, pbuf, &truncated);
  if (start >= PATHBUF_HALF)
    return false;
  pbuf[PATHBUF_HALF] = 0;
  k->start = start;
  k->len = PATHBUF_HALF - start;
  k->truncated = truncated;
  k->write = f->f_mode & FMODE_WRITE_VAL;
  struct inode *inode = f->f_inode;
  k->ino = inode->i_ino;
  k->dev = inode->i_sb->s_dev;
  if (truncated)
    count(2);
  return true;
}

/* Resolves fd `fd` of `task` into k (path in pbuf). False when there is no such file. */
static __always_inline bool resolve_fd_file(struct task_struct *task, long fd, char *pbuf,
                                            struct kfile *k)
{
  return resolve_file(fd_file(task, fd), pbuf, k);
}
