// SPDX-License-Identifier: GPL-2.0
/* lib/path.bpf.h — kernel-side path resolution: a dentry/vfsmount walk to the global root
 * (one bpf_loop step per component) and the struct file behind a task's fd. Kernel objects
 * are read directly (lib/kptr.bpf.h): one helper call per component (its name), none per
 * pointer. Hot path: every successful open in the interest set walks its file. */
#pragma once

#include "lib/common.bpf.h"
#include "lib/copy.bpf.h"
#include "lib/kptr.bpf.h"

/* Walks dentries up to the global root, writing "/a/b/c" backwards so that it ends at
 * buf[PATHBUF_HALF]. One bpf_loop step per component keeps the verifier's work constant.
 * Up to VIGIL_WALK_MAX components and PATHBUF_HALF - 1 bytes (PATH_MAX); a walk that stops
 * before the root (too deep, too long, unreadable) is reported truncated, never as a
 * shorter valid path. Addresses are kept as integers and cast at each use. */
#define VIGIL_WALK_MAX 1024
struct walk_ctx {
  __u64 dentry;    /* the component to write next */
  __u64 mnt;       /* its struct mount */
  __u64 mnt_root;  /* that mount's root dentry */
  __u32 off;
  __u32 done;      /* reached the root (or a pseudo fs's disconnected root) */
};

/* Writes the name of dentry d in front of w->off; false when it does not fit. */
static __always_inline bool walk_put_name(struct walk_ctx *w, char *buf, struct dentry *d)
{
  __u32 len = d->d_name.len;
  const unsigned char *name = d->d_name.name;
  __u32 off = w->off;
  if (len == 0 || len + 1 > off || len >= PATHBUF_HALF || off > PATHBUF_HALF)
    return false;
  off -= len;
  __u64 o = off, n = len;
  ASM_MASK(o, 4095);
  ASM_MASK(n, 4095);
  bpf_probe_read_kernel(buf + o, n, name);
  off -= 1;
  buf[off & (PATHBUF_HALF - 1)] = '/';
  w->off = off;
  return true;
}

static long walk_step(__u32 i, void *c)
{
  struct walk_ctx *w = c;
  char *buf = get_pathbuf();
  if (!buf)
    return 1;
  struct dentry *d = KPTR(struct dentry, w->dentry);
  __u64 parent = (__u64)d->d_parent;
  if (w->dentry == w->mnt_root || w->dentry == parent) {
    if (w->dentry != w->mnt_root) {
      /* Disconnected root of a pseudo fs (memfd, pipe, socket): d_path shows its name. */
      if (walk_put_name(w, buf, d))
        w->done = 1;
      return 1;  /* or does not fit: truncated */
    }
    struct mount *m = KPTR(struct mount, w->mnt);
    __u64 mnt_parent = (__u64)m->mnt_parent;
    if (w->mnt != mnt_parent) {
      w->dentry = (__u64)m->mnt_mountpoint;
      w->mnt = mnt_parent;
      w->mnt_root = (__u64)KPTR(struct mount, mnt_parent)->mnt.mnt_root;
      return 0;
    }
    w->done = 1;
    return 1;  /* global root */
  }
  if (!walk_put_name(w, buf, d))
    return 1;
  w->dentry = parent;
  return 0;
}

static __always_inline __u32 walk_path(struct dentry *dentry, struct vfsmount *vfsmnt, char *buf,
                                       bool *truncated)
{
  struct walk_ctx w = {};
  w.dentry = (__u64)dentry;
  w.mnt = (__u64)container_of(vfsmnt, struct mount, mnt);
  w.mnt_root = (__u64)KPTR(struct vfsmount, vfsmnt)->mnt_root;
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
 * not reach the root, the bytes are the path's last components). `path` is a local copy. */
static __always_inline __u32 put_path_t(char *data, __u32 pos, struct path *path, char *pbuf,
                                        bool *truncated)
{
  if (!pbuf)
    return 0;
  struct dentry *dentry = path->dentry;
  struct vfsmount *mnt = path->mnt;
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

/* True when the task's root directory is not the root of its mount namespace (chroot(2)):
 * an absolute path the task passes is then under that directory. Not a hot path (calls
 * with a path argument other than opens). */
static __always_inline bool task_chrooted(struct task_struct *task)
{
  struct task_struct *t = KPTR(struct task_struct, task);
  struct fs_struct *fs = t->fs;
  struct nsproxy *nsp = t->nsproxy;
  if (!fs || !nsp)
    return false;
  struct mnt_namespace *ns = nsp->mnt_ns;
  if (!ns)
    return false;
  struct mount *nsroot = ns->root;
  if (!nsroot)
    return false;
  __u64 root_mnt = (__u64)container_of(fs->root.mnt, struct mount, mnt);
  return root_mnt != (__u64)nsroot || (__u64)fs->root.dentry != (__u64)nsroot->mnt.mnt_root;
}

static __always_inline struct file *fd_file(struct task_struct *task, long fd)
{
  if (fd < 0)
    return 0;
  struct files_struct *files = KPTR(struct task_struct, task)->files;
  if (!files)
    return 0;
  struct fdtable *fdt = files->fdt;
  if (!fdt)
    return 0;
  unsigned int max = fdt->max_fds;
  if ((unsigned long)fd >= max)
    return 0;
  struct file **fds = fdt->fd;
  struct file *f = 0;
  bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
  return f;
}
