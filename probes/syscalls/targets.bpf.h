// SPDX-License-Identifier: GPL-2.0
/* syscalls/targets.bpf.h — what a call aims at, resolved in the kernel where user space could
 * not tell (issue 13, attacks on vigil):
 *   bpf(*_GET_FD_BY_ID, OBJ_GET_INFO_BY_FD)  args[3] = the object id, args[4] = 1 when the
 *                                            id is one of vigil's own (self_objs)
 *   pidfd_getfd                              args[3] = the pid the pidfd refers to
 * Runs only for those two syscall numbers, after the interest bitmap. */
#pragma once

#include "lib/common.bpf.h"
#include "lib/path.bpf.h"

#define BPF_PROG_GET_FD_BY_ID_VAL 13
#define BPF_MAP_GET_FD_BY_ID_VAL 14
#define BPF_OBJ_GET_INFO_BY_FD_VAL 15
#define BPF_LINK_GET_FD_BY_ID_VAL 30

enum vigil_obj_kind { VIGIL_OBJ_PROG = 1, VIGIL_OBJ_MAP = 2, VIGIL_OBJ_LINK = 3 };

/* vigil's own programs, maps and links: key kind << 32 | id, filled by user space after
 * load. Frozen for writes from user space? No: BPF_MAP_FREEZE would also stop the daemon
 * re-filling it; the daemon verifies it instead (Sensor::VerifyMaps). */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 256);
  __type(key, __u64);
  __type(value, __u8);
} self_objs SEC(".maps");

const volatile __u32 nr_bpf = 321, nr_pidfd_getfd = 438;

static __always_inline bool is_self_obj(__u32 kind, __u32 id)
{
  __u64 key = ((__u64)kind << 32) | id;
  return bpf_map_lookup_elem(&self_objs, &key) != 0;
}

static __always_inline void resolve_targets(struct task_struct *task, __u32 nr,
                                            struct vigil_sys_rec *r)
{
  if (nr == nr_bpf) {
    __u32 cmd = (__u32)r->args[0];
    const void *attr = (const void *)r->args[1];
    __u32 id = 0;
    bool self = false;
    r->args[3] = 0;
    r->args[4] = 0;
    if (cmd == BPF_PROG_GET_FD_BY_ID_VAL || cmd == BPF_MAP_GET_FD_BY_ID_VAL ||
        cmd == BPF_LINK_GET_FD_BY_ID_VAL) {
      bpf_probe_read_user(&id, sizeof(id), attr);
      __u32 kind = cmd == BPF_PROG_GET_FD_BY_ID_VAL  ? VIGIL_OBJ_PROG
                   : cmd == BPF_MAP_GET_FD_BY_ID_VAL ? VIGIL_OBJ_MAP
                                                     : VIGIL_OBJ_LINK;
      self = is_self_obj(kind, id);
    } else if (cmd == BPF_OBJ_GET_INFO_BY_FD_VAL && r->res == 0) {
      /* attr->info: { u32 bpf_fd; u32 info_len; u64 info; }; every *_info starts with
       * { u32 type; u32 id; } */
      __u64 info = 0;
      bpf_probe_read_user(&info, sizeof(info), (const char *)attr + 8);
      bpf_probe_read_user(&id, sizeof(id), (const char *)info + 4);
      self = is_self_obj(VIGIL_OBJ_PROG, id) || is_self_obj(VIGIL_OBJ_MAP, id) ||
             is_self_obj(VIGIL_OBJ_LINK, id);
    } else {
      return;
    }
    r->args[3] = id;
    r->args[4] = self ? 1 : 0;
    return;
  }
  if (nr == nr_pidfd_getfd) {
    r->args[3] = 0;
    struct file *f = fd_file(task, (int)r->args[0]);
    if (!f)
      return;
    struct pid *p = BPF_CORE_READ(f, f_inode, i_private);
    if (!p)
      p = BPF_CORE_READ(f, private_data);
    if (!p)
      return;
    r->args[3] = (__u32)BPF_CORE_READ(p, numbers[0].nr);
  }
}
