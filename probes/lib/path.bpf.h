// SPDX-License-Identifier: GPL-2.0
/* lib/path.bpf.h — kernel-side path resolution: a dentry/vfsmount walk to the global root
 * (one bpf_loop step per component) and the struct file behind a task's fd. */
#pragma once

#include "lib/common.bpf.h"
#include "lib/copy.bpf.h"

/* Walks dentries up to the global root, writing "/a/b/c" backwards so that it ends at
 * buf[PATHBUF_HALF]. One bpf_loop step per component keeps the verifier's work constant.
 * Up to VIGIL_WALK_MAX components and PATHBUF_HALF - 1 bytes (PATH_MAX); a walk that stops
 * before the root (too deep, too long, unreadable) is reported truncated, never as a
 * shorter valid path. */
#define VIGIL_WALK_MAX 1024
struct walk_ctx {
  struct dentry *dentry;
  struct vfsmount *vfsmnt;
  struct mount *mnt;
  struct mount *mnt_parent;
  __u32 off;
  __u32 done;  /* reached the root (or a pseudo fs's disconnected root) */
};

static long walk_step(__u32 i, void *c)
{
  struct walk_ctx *w = c;
  char *buf = get_pathbuf();
  if (!buf)
    return 1;
  struct dentry *dentry = w->dentry;
  struct vfsmount *vfsmnt = w->vfsmnt;
  struct mount *mnt = w->mnt;
  struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
  struct dentry *d_parent = BPF_CORE_READ(dentry, d_parent);
  if (dentry == mnt_root || dentry == d_parent) {
    if (dentry != mnt_root) {
      /* Disconnected root of a pseudo fs (memfd, pipe, socket): d_path shows its name. */
      struct qstr pname;
      if (bpf_core_read(&pname, sizeof(pname), &dentry->d_name))
        return 1;
      __u32 plen = pname.len, poff = w->off;
      if (plen == 0 || plen + 1 > poff || plen >= PATHBUF_HALF || poff > PATHBUF_HALF)
        return 1;  /* does not fit: truncated */
      poff -= plen;
      __u64 o = poff, n = plen;
      ASM_MASK(o, 4095);
      ASM_MASK(n, 4095);
      bpf_probe_read_kernel(buf + o, n, pname.name);
      poff -= 1;
      buf[poff & (PATHBUF_HALF - 1)] = '/';
      w->off = poff;
      w->done = 1;
      return 1;
    }
    struct mount *mnt_parent = w->mnt_parent;
    if (mnt != mnt_parent) {
      w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
      w->mnt = mnt_parent;
      w->mnt_parent = BPF_CORE_READ(mnt_parent, mnt_parent);
      w->vfsmnt = &mnt_parent->mnt;
      return 0;
    }
    w->done = 1;
    return 1;  /* global root */
  }
  struct qstr name;
  if (bpf_core_read(&name, sizeof(name), &dentry->d_name))
    return 1;
  __u32 len = name.len;
  __u32 off = w->off;
  if (len == 0 || len + 1 > off || len >= PATHBUF_HALF || off > PATHBUF_HALF)
    return 1;
  off -= len;
  __u64 o = off, n = len;
  ASM_MASK(o, 4095);
  ASM_MASK(n, 4095);
  bpf_probe_read_kernel(buf + o, n, name.name);
  off -= 1;
  buf[off & (PATHBUF_HALF - 1)] = '/';
  w->off = off;
  w->dentry = d_parent;
  return 0;
}

static __always_inline __u32 walk_path(struct dentry *dentry, struct vfsmount *vfsmnt, char *buf,
                                       bool *truncated)
{
  struct walk_ctx w = {};
  w.dentry = dentry;
  w.vfsmnt = vfsmnt;
  struct mount *mnt = container_of(vfsmnt, struct mount, mnt);
  w.mnt = mnt;
  w.mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
  w.off = PATHBUF_HALF;
  bpf_loop(VIGIL_WALK_MAX, walk_step, &w, 0);
  *truncated = !w.done;
  __u32 off = w.off;
  if (off >= PATHBUF_HALF) {
    off = PATHBUF_HALF - 1;
    buf[off & (PATHBUF_HALF - 1)] = '/';
  }
  return off;
}

/* Copies a walked path into data[pos]; returns the bytes written (*truncated: the walk did
 * not reach the root, the bytes are the path's last components). */
static __always_inline __u32 put_path_t(char *data, __u32 pos, struct path *path, char *pbuf,
                                        bool *truncated)
{
  if (!pbuf)
    return 0;
  struct dentry *dentry = BPF_CORE_READ(path, dentry);
  struct vfsmount *mnt = BPF_CORE_READ(path, mnt);
  if (!dentry || !mnt)
    return 0;
  __u32 start = walk_path(dentry, mnt, pbuf, truncated);
  __u32 len = PATHBUF_HALF - start;
  if (len >= VIGIL_STR_MAX)
    len = VIGIL_STR_MAX - 1;
  if (start >= PATHBUF_HALF)
    return 0;
  copy_kernel(data, pos, len, &pbuf[start & (PATHBUF_HALF - 1)]);
  return len & (VIGIL_STR_MAX - 1);
}

/* put_path_t for paths whose truncation is counted but not flagged in the record. */
static __always_inline __u32 put_path(char *data, __u32 pos, struct path *path, char *pbuf)
{
  bool truncated = false;
  __u32 len = put_path_t(data, pos, path, pbuf, &truncated);
  if (truncated)
    count(2);
  return len;
}

static __always_inline struct file *fd_file(struct task_struct *task, long fd)
{
  if (fd < 0)
    return 0;
  struct files_struct *files = BPF_CORE_READ(task, files);
  if (!files)
    return 0;
  struct fdtable *fdt = BPF_CORE_READ(files, fdt);
  unsigned int max = BPF_CORE_READ(fdt, max_fds);
  if ((unsigned long)fd >= max)
    return 0;
  struct file **fds = BPF_CORE_READ(fdt, fd);
  struct file *f = 0;
  bpf_core_read(&f, sizeof(f), &fds[fd]);
  return f;
}
