// SPDX-License-Identifier: GPL-2.0
/* process/exec.bpf.h — sched_process_exec: a successful execve/execveat becomes a
 * struct vigil_exec_rec (ids, credentials, tty, exe inode and flags, exepath, cwd, cgroup,
 * argv and, while a rule reads proc.env, envp, both read from the new mm).
 * The record is built in its own per-CPU buffer (exec_scratch: up to ~112 KiB, more than a
 * per-CPU array value may hold), guarded by the shared scratch lock. */
#pragma once

#include "lib/common.bpf.h"
#include "lib/copy.bpf.h"
#include "lib/path.bpf.h"
#include "lib/cgroup.bpf.h"
#include "lib/syscall.bpf.h"

/* Live switch written by user space: capture the environment (a loaded rule reads
 * proc.env). Off, an exec pays nothing for it. */
__u8 want_env = 0;

#define EXEC_DATA_SIZE 131072  /* data[] room: paths < 16 KiB, env < 32 KiB, args < 64 KiB */
struct exec_buf {
  char b[sizeof(struct vigil_exec_rec) + EXEC_DATA_SIZE];
};
/* One entry per possible CPU (user space sets max_entries before load), indexed by the
 * current CPU: the program cannot migrate while it runs. */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct exec_buf);
} exec_scratch SEC(".maps");

/* Bounded user copies at the offsets exec records use (masks clang cannot fold away). */
static __always_inline long copy_user_env(char *base, __u64 pos, __u64 len, const void *src)
{
  asm volatile("%[p] &= 16383" : [p] "+r"(pos));
  asm volatile("%[l] &= 32767" : [l] "+r"(len));
  return bpf_probe_read_user(base + pos, len, src);
}
static __always_inline long copy_user_args(char *base, __u64 pos, __u64 len, const void *src)
{
  asm volatile("%[p] &= 65535" : [p] "+r"(pos));
  asm volatile("%[l] &= 65535" : [l] "+r"(len));
  return bpf_probe_read_user(base + pos, len, src);
}

/* Copies [start, end) of the new mm into data[pos], at most max - 1 bytes, without the
 * trailing NUL; sets `trunc_flag` (and counts) when cut or unreadable. Returns the length. */
static __always_inline __u32 put_mm_area(char *data, __u32 pos, unsigned long start,
                                         unsigned long end, __u32 max, bool env,
                                         struct vigil_exec_rec *r, __u16 trunc_flag)
{
  unsigned long len = end > start ? end - start : 0;
  if (len >= max) {
    len = max - 1;
    r->flags |= trunc_flag;
    count(CNT_TRUNCATED);
  }
  if (len == 0)
    return 0;
  long err = env ? copy_user_env(data, pos, len, (void *)start)
                 : copy_user_args(data, pos, len, (void *)start);
  if (err) {
    r->flags |= trunc_flag;
    count(CNT_ERRORS);
    return 0;
  }
  if (data[(pos + len - 1) & (EXEC_DATA_SIZE - 1)] == 0)
    len--;
  return (__u32)len;
}

static __always_inline int on_exec(struct task_struct *task, struct linux_binprm *bprm)
{
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  if (tgid == self_tgid)
    return 0;
  bool compat = false;
  __u32 nr = current_syscall_nr(&compat);
  if (nr != nr_execve && nr != nr_execveat) {
    /* syscall number not readable here (or a kernel-initiated exec): report as execve;
     * user space reclassifies fd-relative execs ("/dev/fd/N") as execveat */
    if (!interested(nr_execve) && !interested(nr_execveat))
      return 0;
    nr = nr_execve;
  } else if (!interested(nr)) {
    return 0;
  }
  __u32 cpu = bpf_get_smp_processor_id();
  struct vigil_exec_rec *r = bpf_map_lookup_elem(&exec_scratch, &cpu);
  char *pbuf = get_pathbuf();
  if (!r || !pbuf) {
    count(CNT_ERRORS);
    return 0;
  }
  __u32 *busy = scratch_lock();
  if (!busy)
    return 0;
  fill_hdr(&r->hdr, VIGIL_REC_EXEC);
  r->nr = nr;
  r->flags = compat ? VIGIL_EXEC_COMPAT : 0;
  r->pad2 = 0;

  r->ppid = BPF_CORE_READ(task, real_parent, tgid);
  struct signal_struct *sig = BPF_CORE_READ(task, signal);
  r->sid = BPF_CORE_READ(sig, pids[PIDTYPE_SID], numbers[0].nr);
  r->pgid = BPF_CORE_READ(sig, pids[PIDTYPE_PGID], numbers[0].nr);
  struct pid *tp = BPF_CORE_READ(task, thread_pid);
  unsigned int level = BPF_CORE_READ(tp, level);
  int vnr = 0;
  bpf_core_read(&vnr, sizeof(vnr), &tp->numbers[level & 31].nr);
  r->vpid = vnr;
  struct pid *pg = BPF_CORE_READ(sig, pids[PIDTYPE_PGID]);
  unsigned int pglevel = BPF_CORE_READ(pg, level);
  int vpg = 0;
  bpf_core_read(&vpg, sizeof(vpg), &pg->numbers[pglevel & 31].nr);
  r->vpgid = vpg;

  const struct cred *cred = BPF_CORE_READ(task, cred);
  r->uid = BPF_CORE_READ(cred, uid.val);
  r->gid = BPF_CORE_READ(cred, gid.val);
  r->euid = BPF_CORE_READ(cred, euid.val);
  r->egid = BPF_CORE_READ(cred, egid.val);
  r->cap_permitted = BPF_CORE_READ(cred, cap_permitted.val);
  r->cap_effective = BPF_CORE_READ(cred, cap_effective.val);
  r->cap_inheritable = BPF_CORE_READ(cred, cap_inheritable.val);
  r->loginuid = BPF_CORE_READ(task, loginuid.val);

  r->tty = 0;
  struct tty_struct *tty = BPF_CORE_READ(sig, tty);
  if (tty) {
    __u32 index = BPF_CORE_READ(tty, index);
    __u32 major = BPF_CORE_READ(tty, driver, major);
    __u32 minor = BPF_CORE_READ(tty, driver, minor_start) + index;
    /* new_encode_dev(), the /proc/<pid>/stat tty_nr encoding */
    r->tty = (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
  }
  r->start_boot_ns = BPF_CORE_READ(task, group_leader, start_boottime);
  bpf_get_current_comm(r->comm, sizeof(r->comm));

  struct file *exe = BPF_CORE_READ(bprm, file);
  struct inode *inode = BPF_CORE_READ(exe, f_inode);
  r->exe_ino = BPF_CORE_READ(inode, i_ino);
  if (bpf_core_field_exists(inode->i_ctime_sec)) {
    /* the top bits of i_ctime_nsec are multigrain flags (I_CTIME_QUERIED) */
    r->exe_ctime_ns = BPF_CORE_READ(inode, i_ctime_sec) * 1000000000ull +
                      (BPF_CORE_READ(inode, i_ctime_nsec) & 0x3fffffff);
    r->exe_mtime_ns = BPF_CORE_READ(inode, i_mtime_sec) * 1000000000ull +
                      (BPF_CORE_READ(inode, i_mtime_nsec) & 0x3fffffff);
  } else {
    r->exe_ctime_ns = 0;
    r->exe_mtime_ns = 0;
  }
  __u16 mode = BPF_CORE_READ(inode, i_mode);
  __u32 iuid = BPF_CORE_READ(inode, i_uid.val);
  __u32 igid = BPF_CORE_READ(inode, i_gid.val);
  __u32 fsuid = BPF_CORE_READ(cred, fsuid.val);
  __u32 fsgid = BPF_CORE_READ(cred, fsgid.val);
  bool writable = (mode & 0002) || (fsuid == iuid && (mode & 0200)) ||
                  (fsgid == igid && (mode & 0020)) ||
                  ((r->cap_effective & (1ull << 1 /* CAP_DAC_OVERRIDE */)) && (mode & 0222));
  if (writable)
    r->flags |= VIGIL_EXEC_WRITABLE;
  /* overlayfs: the executable has an upper-layer dentry (written or copied up inside the
   * container, not shipped in the image) */
  struct dentry *exe_dentry = BPF_CORE_READ(exe, f_path.dentry);
  struct inode *ovl_vfs_inode = BPF_CORE_READ(exe_dentry, d_inode);
  if (BPF_CORE_READ(exe_dentry, d_sb, s_magic) == 0x794c7630 /* OVERLAYFS_SUPER_MAGIC */ &&
      bpf_core_type_exists(struct ovl_inode)) {
    struct ovl_inode *oi = container_of(ovl_vfs_inode, struct ovl_inode, vfs_inode);
    if (BPF_CORE_READ(oi, __upperdentry))
      r->flags |= VIGIL_EXEC_UPPER;
  }
  char prefix[8] = {};
  const unsigned char *dname = BPF_CORE_READ(exe, f_path.dentry, d_name.name);
  bpf_probe_read_kernel(prefix, 6, dname);
  if (prefix[0] == 'm' && prefix[1] == 'e' && prefix[2] == 'm' && prefix[3] == 'f' &&
      prefix[4] == 'd' && prefix[5] == ':')
    r->flags |= VIGIL_EXEC_MEMFD;

  char *data = (char *)(r + 1);
  __u32 pos = 0;
  /* filename */
  long n = copy_kernel_str(data, pos, BPF_CORE_READ(bprm, filename));
  __u32 len = n > 0 ? (__u32)(n - 1) : 0;
  r->str_len[0] = len;
  pos += len;
  /* exepath */
  struct path exe_path;
  bpf_core_read(&exe_path, sizeof(exe_path), &exe->f_path);
  len = put_path(data, pos, &exe_path, pbuf);
  r->str_len[1] = len;
  pos += len;
  /* cwd */
  struct path pwd;
  struct fs_struct *fs = BPF_CORE_READ(task, fs);
  bpf_core_read(&pwd, sizeof(pwd), &fs->pwd);
  len = put_path(data, pos, &pwd, pbuf);
  r->str_len[2] = len;
  pos += len;
  /* cgroup */
  len = cgroup_path(task, data, pos, pbuf);
  r->str_len[3] = len;
  pos += len;
  /* env, then argv, from the new mm (pos < 16 KiB here) */
  struct mm_struct *mm = BPF_CORE_READ(task, mm);
  len = 0;
  if (want_env) {
    r->flags |= VIGIL_EXEC_ENV;
    len = put_mm_area(data, pos, BPF_CORE_READ(mm, env_start), BPF_CORE_READ(mm, env_end),
                      VIGIL_ENV_MAX, true, r, VIGIL_EXEC_ENV_TRUNCATED);
  }
  r->str_len[4] = len;
  pos += len;
  len = put_mm_area(data, pos, BPF_CORE_READ(mm, arg_start), BPF_CORE_READ(mm, arg_end),
                    VIGIL_ARGS_MAX, false, r, VIGIL_EXEC_TRUNCATED);
  r->str_len[5] = len;
  pos += len;
  __u32 size = sizeof(*r) + pos;
  r->hdr.size = size;
  if (bpf_ringbuf_output(&events, r, size & (EXEC_DATA_SIZE - 1), wakeup_flags()))
    count(CNT_PRIO_DROPS);
  else
    count(CNT_EMITTED);
  scratch_unlock(busy);
  return 0;
}
