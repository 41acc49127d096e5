// SPDX-License-Identifier: GPL-2.0
/* lib/cgroup.bpf.h — the task's cgroup path (first v1 hierarchy / v2) from kernfs nodes;
 * user space derives the container id from it. */
#pragma once

#include "lib/common.bpf.h"
#include "lib/copy.bpf.h"

/* CO-RE: kernfs_node.parent was renamed __parent in 6.15. */
struct kernfs_node___old {
  struct kernfs_node *parent;
} __attribute__((preserve_access_index));

struct kn_ctx {
  struct kernfs_node *kn;
  __u32 off;
};

static long kn_step(__u32 i, void *c)
{
  struct kn_ctx *w = c;
  char *pbuf = get_pathbuf();
  struct kernfs_node *kn = w->kn;
  if (!pbuf || !kn)
    return 1;
  struct kernfs_node *parent;
  if (bpf_core_field_exists(struct kernfs_node___old, parent))
    parent = BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
  else
    parent = BPF_CORE_READ(kn, __parent);
  if (!parent)
    return 1;  /* the root's name is the hierarchy's, not part of the path */
  const char *name = BPF_CORE_READ(kn, name);
  /* 256: container runtimes name cgroups "docker-<64 hex>.scope", "<64 hex>", ... */
  char tmp[256];
  long n = bpf_probe_read_kernel_str(tmp, sizeof(tmp), name);
  if (n <= 1)
    return 1;
  __u32 len = (__u32)(n - 1);
  __u32 off = w->off;
  if (len + 1 > off || off > PATHBUF_HALF)
    return 1;
  off -= len;
  __u64 o = off, nl = len;
  ASM_MASK(o, 4095);
  ASM_MASK(nl, 255);
  bpf_probe_read_kernel(pbuf + o, nl, name);
  off -= 1;
  pbuf[off & (PATHBUF_HALF - 1)] = '/';
  w->off = off;
  w->kn = parent;
  return 0;
}

static __always_inline __u32 cgroup_path(struct task_struct *task, char *data, __u32 pos,
                                         char *pbuf)
{
  if (!pbuf)
    return 0;
  struct kn_ctx w = {};
  w.kn = BPF_CORE_READ(task, cgroups, subsys[0], cgroup, kn);
  w.off = PATHBUF_HALF;
  bpf_loop(32, kn_step, &w, 0);
  __u32 off = w.off;
  if (off >= PATHBUF_HALF) {
    off = PATHBUF_HALF - 1;
    pbuf[off & (PATHBUF_HALF - 1)] = '/';
  }
  __u32 len = PATHBUF_HALF - off;
  if (len >= VIGIL_STR_MAX)
    len = VIGIL_STR_MAX - 1;
  copy_kernel(data, pos, len, &pbuf[off & (PATHBUF_HALF - 1)]);
  return len & (VIGIL_STR_MAX - 1);
}
