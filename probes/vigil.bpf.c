// SPDX-License-Identifier: GPL-2.0
/* vigil.bpf.c — vigil's kernel probes (CO-RE). Observe only: nothing here blocks,
 * modifies or signals a traced task. Records go to one shared ring buffer.
 *
 * Hooks (each exists twice: tp_btf/<name> and raw_tp/<name>; user space autoloads one set):
 *   sys_exit            every syscall in the interest bitmap -> struct vigil_sys_rec
 *   sys_enter           only attached when a syscall flagged VIGIL_SC_ENTER is wanted:
 *                       raw args kept per thread until sys_exit
 *   sched_process_exec  successful execve/execveat -> struct vigil_exec_rec
 *   sched_process_fork  clone/clone3/fork/vfork -> struct vigil_fork_rec
 *   sched_process_exit  thread exit -> struct vigil_exit_rec
 * Records use BPF_RB_NO_WAKEUP unless the backlog passes wakeup_backlog bytes. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "wire.h"

char LICENSE[] SEC("license") = "GPL";

#define AT_FDCWD_VAL -100
#define PF_KTHREAD_VAL 0x00200000
#define S_IFMT_VAL 00170000
#define S_IFSOCK_VAL 0140000
#define AF_UNIX_VAL 1
#define AF_INET_VAL 2
#define AF_INET6_VAL 10

#define SCRATCH_SIZE 32768          /* per-CPU record under construction */
#define SCRATCH_POS_MASK 16383      /* offsets into data[] stay below this */
#define PATHBUF_HALF 4096           /* dentry walks write backwards from here */

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 24);  /* resized by user space before load */
} events SEC(".maps");

struct scratch_buf {
  char b[SCRATCH_SIZE];
};
struct path_buf {
  char b[PATHBUF_HALF * 2];
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct scratch_buf);
} scratch SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct path_buf);
} pathbufs SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct vigil_counters);
} counters SEC(".maps");

/* Guards scratch/pathbufs: syscall tracepoints may be preemptible (faultable), so another
 * task on the same CPU could otherwise reuse the buffer mid-record. Nested users drop
 * their record and count it. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u32);
} scratch_busy SEC(".maps");

struct enter_args {
  __u64 args[6];
  __u32 nr;
  __u32 pad;
};

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);  /* threads that never return are aged out */
  __uint(max_entries, 16384);
  __type(key, __u32);
  __type(value, struct enter_args);
} enter_map SEC(".maps");

/* Open prefilter (wire.h): path prefixes and reversed path suffixes some rule can match. */
struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(max_entries, VIGIL_OPF_ENTRIES);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, struct vigil_opf_prefix_key);
  __type(value, __u8);
} open_prefixes SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(max_entries, VIGIL_OPF_ENTRIES);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, struct vigil_opf_suffix_key);
  __type(value, __u8);
} open_suffixes SEC(".maps");

/* Set by user space before load. */
const volatile __u32 self_tgid = 0;                 /* the daemon: never traced */
const volatile __u64 wakeup_backlog = 1 << 20;      /* force a wake-up past this */
const volatile __u32 nr_execve = 59, nr_execveat = 322;
const volatile __u32 nr_clone = 56, nr_clone3 = 435, nr_fork = 57, nr_vfork = 58;
const volatile struct vigil_sc_desc sc_desc[VIGIL_NR_MAX] = {};

/* Live: user space writes these through the mmaped .bss. */
__u8 sc_interest[VIGIL_NR_MAX] = {};
__u8 want_procexit = 0;
__u8 open_filter = 0;  /* enum vigil_opf_mode */
/* Quick rejects before the tries (wire.h): bit (b1 << 8 | b2) of opf_heads is set when a
 * prefix could start "/<b1><b2>", bit (last << 8 | before_last) of opf_tails when a suffix
 * could end the path with those two bytes. */
__u8 opf_heads[VIGIL_OPF_PAIR_BITS / 8] = {};
__u8 opf_tails[VIGIL_OPF_PAIR_BITS / 8] = {};

/* CO-RE: kernfs_node.parent was renamed __parent in 6.15. */
struct kernfs_node___old {
  struct kernfs_node *parent;
} __attribute__((preserve_access_index));

static __always_inline void count(int field)
{
  __u32 zero = 0;
  struct vigil_counters *c = bpf_map_lookup_elem(&counters, &zero);
  if (!c)
    return;
  if (field == 0)
    c->emitted++;
  else if (field == 1)
    c->drops++;
  else if (field == 2)
    c->truncated++;
  else if (field == 3)
    c->errors++;
  else
    c->prefiltered++;
}

static __always_inline void emit(void *rec, __u32 size)
{
  __u64 flags = BPF_RB_NO_WAKEUP;
  if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_backlog)
    flags = BPF_RB_FORCE_WAKEUP;
  if (bpf_ringbuf_output(&events, rec, size & (SCRATCH_SIZE - 1), flags))
    count(1);
  else
    count(0);
}

static __always_inline void fill_hdr(struct vigil_hdr *h, __u16 type)
{
  __u64 id = bpf_get_current_pid_tgid();
  h->type = type;
  h->cpu = bpf_get_smp_processor_id();
  h->ts = bpf_ktime_get_boot_ns();
  h->tid = (__u32)id;
  h->tgid = id >> 32;
}

static __always_inline void *get_scratch(void)
{
  __u32 zero = 0;
  return bpf_map_lookup_elem(&scratch, &zero);
}

static __always_inline __u32 *scratch_lock(void)
{
  __u32 zero = 0;
  __u32 *busy = bpf_map_lookup_elem(&scratch_busy, &zero);
  if (!busy)
    return 0;
  if (__sync_lock_test_and_set(busy, 1)) {
    count(1);
    return 0;
  }
  return busy;
}

static __always_inline void scratch_unlock(__u32 *busy)
{
  __sync_lock_test_and_set(busy, 0);
}

static __always_inline char *get_pathbuf(void)
{
  __u32 zero = 0;
  struct path_buf *p = bpf_map_lookup_elem(&pathbufs, &zero);
  return p ? p->b : 0;
}

/* v &= m in a way clang cannot fold away (v must be a 64-bit lvalue). */
#define ASM_MASK(v, m) asm volatile("%[x] &= " #m : [x] "+r"(v))

/* Bounded copies into the scratch record: the masks are applied in asm so that clang cannot
 * drop them (the verifier needs them to prove the access stays inside the map value). */
static __always_inline long copy_kernel(char *base, __u64 pos, __u64 len, const void *src)
{
  asm volatile("%[p] &= 16383" : [p] "+r"(pos));
  asm volatile("%[l] &= 4095" : [l] "+r"(len));
  return bpf_probe_read_kernel(base + pos, len, src);
}

static __always_inline long copy_user(char *base, __u64 pos, __u64 len, const void *src)
{
  asm volatile("%[p] &= 16383" : [p] "+r"(pos));
  asm volatile("%[l] &= 4095" : [l] "+r"(len));
  return bpf_probe_read_user(base + pos, len, src);
}

static __always_inline long copy_user_str(char *base, __u64 pos, const void *src)
{
  asm volatile("%[p] &= 16383" : [p] "+r"(pos));
  return bpf_probe_read_user_str(base + pos, VIGIL_STR_MAX, src);
}

static __always_inline long copy_kernel_str(char *base, __u64 pos, const void *src)
{
  asm volatile("%[p] &= 16383" : [p] "+r"(pos));
  return bpf_probe_read_kernel_str(base + pos, VIGIL_STR_MAX, src);
}

/* Walks dentries up to the global root, writing "/a/b/c" backwards so that it ends at
 * buf[PATHBUF_HALF]. One bpf_loop step per component keeps the verifier's work constant. */
struct walk_ctx {
  struct dentry *dentry;
  struct vfsmount *vfsmnt;
  struct mount *mnt;
  struct mount *mnt_parent;
  __u32 off;
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
        return 1;
      poff -= plen;
      __u64 o = poff, n = plen;
      ASM_MASK(o, 4095);
      ASM_MASK(n, 4095);
      bpf_probe_read_kernel(buf + o, n, pname.name);
      poff -= 1;
      buf[poff & (PATHBUF_HALF - 1)] = '/';
      w->off = poff;
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

static __always_inline __u32 walk_path(struct dentry *dentry, struct vfsmount *vfsmnt, char *buf)
{
  struct walk_ctx w = {};
  w.dentry = dentry;
  w.vfsmnt = vfsmnt;
  struct mount *mnt = container_of(vfsmnt, struct mount, mnt);
  w.mnt = mnt;
  w.mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
  w.off = PATHBUF_HALF;
  bpf_loop(64, walk_step, &w, 0);
  __u32 off = w.off;
  if (off >= PATHBUF_HALF) {
    off = PATHBUF_HALF - 1;
    buf[off & (PATHBUF_HALF - 1)] = '/';
  }
  return off;
}

/* Copies a walked path into data[pos]; returns the bytes written. */
static __always_inline __u32 put_path(char *data, __u32 pos, struct path *path, char *pbuf)
{
  if (!pbuf)
    return 0;
  struct dentry *dentry = BPF_CORE_READ(path, dentry);
  struct vfsmount *mnt = BPF_CORE_READ(path, mnt);
  if (!dentry || !mnt)
    return 0;
  __u32 start = walk_path(dentry, mnt, pbuf);
  __u32 len = PATHBUF_HALF - start;
  if (len >= VIGIL_STR_MAX)
    len = VIGIL_STR_MAX - 1;
  if (start >= PATHBUF_HALF)
    return 0;
  copy_kernel(data, pos, len, &pbuf[start & (PATHBUF_HALF - 1)]);
  return len & (VIGIL_STR_MAX - 1);
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

/* Syscall number of the current task (its user pt_regs: orig_ax). */
static __always_inline struct pt_regs *current_user_regs(void)
{
  return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

static __always_inline __u32 current_syscall_nr(void)
{
  long nr = BPF_CORE_READ(current_user_regs(), orig_ax);
  return nr < 0 ? 0xffffffff : (__u32)nr;
}

static __always_inline bool interested(__u32 nr)
{
  return nr < VIGIL_NR_MAX && sc_interest[nr];
}

/* ---- exec ---------------------------------------------------------------------------- */

static __always_inline int on_exec(struct task_struct *task, struct linux_binprm *bprm)
{
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  if (tgid == self_tgid)
    return 0;
  __u32 nr = current_syscall_nr();
  if (nr != nr_execve && nr != nr_execveat) {
    /* syscall number not readable here (or a kernel-initiated exec): report as execve;
     * user space reclassifies fd-relative execs ("/dev/fd/N") as execveat */
    if (!interested(nr_execve) && !interested(nr_execveat))
      return 0;
    nr = nr_execve;
  } else if (!interested(nr)) {
    return 0;
  }
  struct vigil_exec_rec *r = get_scratch();
  char *pbuf = get_pathbuf();
  if (!r || !pbuf)
    return 0;
  __u32 *busy = scratch_lock();
  if (!busy)
    return 0;
  fill_hdr(&r->hdr, VIGIL_REC_EXEC);
  r->nr = nr;
  r->flags = 0;
  r->pad = 0;
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
  /* argv from the new mm */
  struct mm_struct *mm = BPF_CORE_READ(task, mm);
  unsigned long arg_start = BPF_CORE_READ(mm, arg_start);
  unsigned long arg_end = BPF_CORE_READ(mm, arg_end);
  unsigned long alen = arg_end > arg_start ? arg_end - arg_start : 0;
  if (alen >= VIGIL_ARGS_MAX) {
    alen = VIGIL_ARGS_MAX - 1;
    r->flags |= VIGIL_EXEC_TRUNCATED;
    count(2);
  }
  if (alen > 0 &&
      copy_user(data, pos, alen, (void *)arg_start)) {
    alen = 0;
    count(3);
  }
  /* drop the trailing NUL of the last argument */
  if (alen > 0 && data[(pos + alen - 1) & SCRATCH_POS_MASK] == 0)
    alen--;
  r->str_len[4] = alen;
  pos += alen;
  __u32 size = sizeof(*r) + pos;
  r->hdr.size = size;
  emit(r, size);
  scratch_unlock(busy);
  return 0;
}

/* ---- fork / exit ----------------------------------------------------------------------- */

static __always_inline int on_fork(struct task_struct *parent, struct task_struct *child)
{
  __u64 id = bpf_get_current_pid_tgid();
  if ((id >> 32) == self_tgid)
    return 0;
  if (BPF_CORE_READ(parent, flags) & PF_KTHREAD_VAL)
    return 0;
  __u32 nr = current_syscall_nr();
  if (!interested(nr))
    return 0;
  struct vigil_fork_rec r = {};
  fill_hdr(&r.hdr, VIGIL_REC_FORK);
  r.hdr.size = sizeof(r);
  r.nr = nr;
  r.child_tid = BPF_CORE_READ(child, pid);
  r.child_tgid = BPF_CORE_READ(child, tgid);
  struct pid *tp = BPF_CORE_READ(child, thread_pid);
  unsigned int level = BPF_CORE_READ(tp, level);
  int vnr = 0;
  bpf_core_read(&vnr, sizeof(vnr), &tp->numbers[level & 31].nr);
  r.child_vtid = vnr;
  struct pt_regs *regs = current_user_regs();
  if (nr == nr_clone) {
    r.flags = BPF_CORE_READ(regs, di);
  } else if (nr == nr_clone3) {
    __u64 flags = 0;
    bpf_probe_read_user(&flags, sizeof(flags), (void *)BPF_CORE_READ(regs, di));
    r.flags = flags;
  } else if (nr == nr_vfork) {
    r.flags = 0x00004000 | 0x00000100;  /* CLONE_VFORK | CLONE_VM */
  }
  emit(&r, sizeof(r));
  return 0;
}

static __always_inline int on_exit(struct task_struct *task, bool group_dead)
{
  __u64 id = bpf_get_current_pid_tgid();
  if ((id >> 32) == self_tgid || !want_procexit)
    return 0;
  if (BPF_CORE_READ(task, flags) & PF_KTHREAD_VAL)
    return 0;
  struct vigil_exit_rec r = {};
  fill_hdr(&r.hdr, VIGIL_REC_EXIT);
  r.hdr.size = sizeof(r);
  r.exit_code = BPF_CORE_READ(task, exit_code);
  r.group_dead = group_dead;
  emit(&r, sizeof(r));
  return 0;
}

/* ---- syscalls -------------------------------------------------------------------------- */

static __always_inline void read_args(struct pt_regs *regs, __u64 *a)
{
  struct pt_regs r;
  bpf_probe_read_kernel(&r, sizeof(r), regs);
#if defined(__TARGET_ARCH_x86)
  a[0] = r.di; a[1] = r.si; a[2] = r.dx; a[3] = r.r10; a[4] = r.r8; a[5] = r.r9;
#else
  a[0] = PT_REGS_PARM1_CORE_SYSCALL(regs);
  a[1] = PT_REGS_PARM2_CORE_SYSCALL(regs);
  a[2] = PT_REGS_PARM3_CORE_SYSCALL(regs);
  a[3] = PT_REGS_PARM4_CORE_SYSCALL(regs);
  a[4] = PT_REGS_PARM5_CORE_SYSCALL(regs);
  a[5] = 0;
#endif
}

static __always_inline void sock_tuple(struct task_struct *task, long fd,
                                       struct vigil_tuple *t)
{
  struct file *f = fd_file(task, fd);
  if (!f)
    return;
  __u16 mode = BPF_CORE_READ(f, f_inode, i_mode);
  if ((mode & S_IFMT_VAL) != S_IFSOCK_VAL)
    return;
  struct socket *sock = BPF_CORE_READ(f, private_data);
  struct sock *sk = BPF_CORE_READ(sock, sk);
  if (!sk)
    return;
  __u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
  t->family = family;
  t->l4proto = BPF_CORE_READ(sk, sk_protocol);
  if (family == AF_INET_VAL) {
    __u32 saddr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
    __u32 daddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
    __builtin_memcpy(t->sip, &saddr, 4);
    __builtin_memcpy(t->dip, &daddr, 4);
  } else if (family == AF_INET6_VAL) {
    bpf_core_read(t->sip, 16, &sk->__sk_common.skc_v6_rcv_saddr);
    bpf_core_read(t->dip, 16, &sk->__sk_common.skc_v6_daddr);
  } else if (family == AF_UNIX_VAL) {
    struct unix_sock *us = (struct unix_sock *)sk;
    struct unix_address *addr = BPF_CORE_READ(us, addr);
    if (!addr) {
      struct unix_sock *peer = (struct unix_sock *)BPF_CORE_READ(us, peer);
      if (peer)
        addr = BPF_CORE_READ(peer, addr);
    }
    if (addr) {
      int alen = BPF_CORE_READ(addr, len) - 2;  /* minus sun_family */
      if (alen > 0) {
        if (alen > VIGIL_UNIX_PATH_MAX - 1)
          alen = VIGIL_UNIX_PATH_MAX - 1;
        __u64 n = (__u64)alen;
        ASM_MASK(n, 127);
        bpf_probe_read_kernel(t->unix_path, n, &addr->name[0].sun_path);
        if (t->unix_path[0] == 0)
          t->unix_path[0] = '@';  /* abstract */
        t->unix_len = alen;
      }
    }
    return;
  } else {
    return;
  }
  t->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
  t->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
}

/* Fills missing remote details from the user's sockaddr (failed / unconnected calls). */
static __always_inline void user_addr(struct vigil_tuple *t, const void *uaddr, long ulen,
                                      bool bound)
{
  if (!uaddr || ulen < 2)
    return;
  __u16 family = 0;
  if (bpf_probe_read_user(&family, sizeof(family), uaddr))
    return;
  if (t->family == 0)
    t->family = family;
  if (family == AF_INET_VAL && ulen >= 8) {
    struct { __u16 fam; __u16 port; __u32 addr; } in = {};
    bpf_probe_read_user(&in, sizeof(in), uaddr);
    if (t->dport == 0 || bound) {
      t->dport = bpf_ntohs(in.port);
      __builtin_memcpy(t->dip, &in.addr, 4);
    }
  } else if (family == AF_INET6_VAL && ulen >= 24) {
    struct { __u16 fam; __u16 port; __u32 flow; __u8 addr[16]; } in6 = {};
    bpf_probe_read_user(&in6, sizeof(in6), uaddr);
    if (t->dport == 0 || bound) {
      t->dport = bpf_ntohs(in6.port);
      __builtin_memcpy(t->dip, in6.addr, 16);
    }
  } else if (family == AF_UNIX_VAL && ulen > 2 && t->unix_len == 0) {
    long plen = ulen - 2;
    if (plen > VIGIL_UNIX_PATH_MAX - 1)
      plen = VIGIL_UNIX_PATH_MAX - 1;
    __u64 n = (__u64)plen;
    ASM_MASK(n, 127);
    bpf_probe_read_user(t->unix_path, n, (const char *)uaddr + 2);
    if (t->unix_path[0] == 0)
      t->unix_path[0] = '@';
    __u32 l = 0;
    for (int i = 0; i < VIGIL_UNIX_PATH_MAX - 1; i++) {
      if (i >= plen || t->unix_path[i] == 0)
        break;
      l++;
    }
    t->unix_len = l;
  }
}

/* Reads user string args[str_arg] into data[pos] and, when relative, the directory it is
 * relative to into data[pos + len]. Returns the bytes written; lens get both lengths. */
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
  if (data[pos & SCRATCH_POS_MASK] == '/')
    return written;
  struct path dir;
  if (dir_arg == VIGIL_DIR_CWD || (dir_arg < 6 && (int)r->args[dir_arg] == AT_FDCWD_VAL)) {
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

/* ---- open prefilter ----------------------------------------------------------------- */

static __always_inline bool opf_allows(__u8 *v, bool write)
{
  return v && ((*v & VIGIL_OPF_READS) || (write && (*v & VIGIL_OPF_WRITES)));
}

/* 0 when no rule can match an open of the user path at `upath` (wire.h): the path is
 * absolute and normalised and neither starts with a known prefix nor ends with a known
 * suffix for this open mode. Anything it cannot check is reported (1): relative paths, "."
 * segments, ".." anywhere, "//", paths of 255 bytes or more, unreadable paths.
 * A global function: the verifier checks it once. The keys live on its stack (no shared
 * buffer, so no lock even though syscall tracepoints may be preempted). */
__noinline int open_path_wanted(__u64 upath, int write)
{
  struct vigil_opf_prefix_key fwd;
  struct vigil_opf_suffix_key rev;
  long n = bpf_probe_read_user_str(fwd.data, sizeof(fwd.data), (void *)upath);
  if (n <= 1 || n >= (long)sizeof(fwd.data))
    return 1;
  __u32 len = (__u32)(n - 1);
  if (fwd.data[0] != '/')
    return 1;
  /* Ends at the NUL rather than at len: exits that pinned len to each possible value would
   * multiply the verifier's states in the loop below. */
  for (__u32 i = 0; i < VIGIL_OPF_PREFIX_MAX - 1; i++) {
    __u8 c = fwd.data[i];
    if (c == 0)
      break;
    __u8 c1 = fwd.data[(i + 1) & (VIGIL_OPF_PREFIX_MAX - 1)];
    if (c == '.' && c1 == '.')
      return 1;  /* ".." anywhere */
    if (c == '/') {
      if (c1 == '/')
        return 1;  /* "//" */
      if (c1 == '.') {
        __u8 c2 = fwd.data[(i + 2) & (VIGIL_OPF_PREFIX_MAX - 1)];
        if (c2 == '/' || c2 == 0)
          return 1;  /* "/./" or a final "/." */
      }
    }
  }
  __u32 head = ((__u32)fwd.data[1] << 8) | fwd.data[2];
  if (opf_heads[(head >> 3) & (VIGIL_OPF_PAIR_BITS / 8 - 1)] & (1 << (head & 7))) {
    fwd.prefixlen = len * 8;
    if (opf_allows(bpf_map_lookup_elem(&open_prefixes, &fwd), write))
      return 1;
  }
  __u32 tail = ((__u32)fwd.data[(len - 1) & (VIGIL_OPF_PREFIX_MAX - 1)] << 8) |
               fwd.data[(len - 2) & (VIGIL_OPF_PREFIX_MAX - 1)];
  if (!(opf_tails[(tail >> 3) & (VIGIL_OPF_PAIR_BITS / 8 - 1)] & (1 << (tail & 7))))
    return 0;
  /* A separate loop: a branch on len - 1 - i inside the scan would split the verifier's
   * states on every iteration. Runs only when a suffix can end with the last two bytes. */
  for (__u32 t = 0; t < VIGIL_OPF_SUFFIX_MAX; t++) {
    if (t >= len)
      break;
    rev.data[t] = fwd.data[(len - 1 - t) & (VIGIL_OPF_PREFIX_MAX - 1)];
  }
  rev.prefixlen = (len < VIGIL_OPF_SUFFIX_MAX ? len : VIGIL_OPF_SUFFIX_MAX) * 8;
  return opf_allows(bpf_map_lookup_elem(&open_suffixes, &rev), write) ? 1 : 0;
}

/* Syscall argument i (0..5) from the user registers. */
static __always_inline __u64 syscall_arg(struct pt_regs *regs, __u32 i, bool btf)
{
#if defined(__TARGET_ARCH_x86)
  if (btf) {
    switch (i) {
    case 0: return regs->di;
    case 1: return regs->si;
    case 2: return regs->dx;
    case 3: return regs->r10;
    case 4: return regs->r8;
    default: return regs->r9;
    }
  }
  switch (i) {
  case 0: return BPF_CORE_READ(regs, di);
  case 1: return BPF_CORE_READ(regs, si);
  case 2: return BPF_CORE_READ(regs, dx);
  case 3: return BPF_CORE_READ(regs, r10);
  case 4: return BPF_CORE_READ(regs, r8);
  default: return BPF_CORE_READ(regs, r9);
  }
#else
  switch (i) {
  case 0: return PT_REGS_PARM1_CORE_SYSCALL(regs);
  case 1: return PT_REGS_PARM2_CORE_SYSCALL(regs);
  case 2: return PT_REGS_PARM3_CORE_SYSCALL(regs);
  case 3: return PT_REGS_PARM4_CORE_SYSCALL(regs);
  default: return PT_REGS_PARM5_CORE_SYSCALL(regs);
  }
#endif
}

/* False when the open prefilter drops this open (see open_path_wanted). Reads only the
 * path and flags arguments, before any record is built. */
static __always_inline bool open_wanted(struct pt_regs *regs, __u32 nr, __u8 dflags, bool btf)
{
  __u8 mode = open_filter;
  if (!(mode & VIGIL_OPF_ON))
    return true;
  __u8 parg = sc_desc[nr].str_arg[0];
  if (parg >= 5)
    return true;
  bool write = true;
  if (!(dflags & VIGIL_SC_OPEN_WRITE)) {
    __u64 flags = syscall_arg(regs, parg + 1, btf);
    if (dflags & VIGIL_SC_DEREF_A2) {  /* openat2: flags are the first u64 of open_how */
      __u64 how_flags = 0;
      if (bpf_probe_read_user(&how_flags, sizeof(how_flags), (void *)flags))
        return true;
      flags = how_flags;
    }
    __u64 acc = flags & 3;          /* O_ACCMODE */
    write = acc == 1 || acc == 2;   /* O_WRONLY, O_RDWR */
  }
  if (write && (mode & VIGIL_OPF_ALL_WRITES))
    return true;
  return open_path_wanted(syscall_arg(regs, parg, btf), write) != 0;
}

/* btf: regs is a trusted BTF pointer (tp_btf) and can be read directly. */
static __always_inline int on_sys_exit(struct pt_regs *regs, long ret, __u32 nr, bool btf)
{
  if (!interested(nr))
    return 0;
  __u64 id = bpf_get_current_pid_tgid();
  if ((id >> 32) == self_tgid)
    return 0;
  __u8 dflags = sc_desc[nr].flags;
  if ((dflags & VIGIL_SC_SKIP_SUCCESS) && ret >= 0) {
    if (dflags & VIGIL_SC_ENTER) {
      __u32 tid = (__u32)id;
      bpf_map_delete_elem(&enter_map, &tid);
    }
    return 0;
  }
  /* Before any record work: most opens on a busy host are dropped here. */
  if ((dflags & VIGIL_SC_OPEN) && !open_wanted(regs, nr, dflags, btf)) {
    count(4);
    return 0;
  }
  struct vigil_sys_rec *r = get_scratch();
  if (!r)
    return 0;
  __u32 *busy = scratch_lock();
  if (!busy)
    return 0;
  fill_hdr(&r->hdr, VIGIL_REC_SYSCALL);
  r->nr = nr;
  r->flags = 0;
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
    } else {
      read_args(regs, r->args);
    }
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
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
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
  char *pbuf = get_pathbuf();
  pos += put_user_path(r, data, pos, sc_desc[nr].str_arg[0], sc_desc[nr].dir_arg[0], 0, task,
                       pbuf);
  pos += put_user_path(r, data, pos, sc_desc[nr].str_arg[1], sc_desc[nr].dir_arg[1], 1, task,
                       pbuf);
  __u32 size = sizeof(*r) + pos;
  r->hdr.size = size;
  emit(r, size);
  scratch_unlock(busy);
  return 0;
}

static __always_inline int on_sys_enter(struct pt_regs *regs, __u32 nr)
{
  if (!interested(nr) || !(sc_desc[nr].flags & VIGIL_SC_ENTER))
    return 0;
  __u64 id = bpf_get_current_pid_tgid();
  if ((id >> 32) == self_tgid)
    return 0;
  struct enter_args ea = {};
  ea.nr = nr;
  read_args(regs, ea.args);
  __u32 tid = (__u32)id;
  bpf_map_update_elem(&enter_map, &tid, &ea, BPF_ANY);
  return 0;
}

/* ---- tp_btf: direct BTF reads ------------------------------------------------------------ */

SEC("tp_btf/sys_exit")
int BPF_PROG(vigil_sys_exit_btf, struct pt_regs *regs, long ret)
{
  long nr = regs->orig_ax;
  if (nr < 0 || nr >= VIGIL_NR_MAX)
    return 0;
  return on_sys_exit(regs, ret, (__u32)nr, true);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(vigil_sys_enter_btf, struct pt_regs *regs, long id)
{
  if (id < 0 || id >= VIGIL_NR_MAX)
    return 0;
  return on_sys_enter(regs, (__u32)id);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(vigil_exec_btf, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
  return on_exec(p, bprm);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(vigil_fork_btf, struct task_struct *parent, struct task_struct *child)
{
  return on_fork(parent, child);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(vigil_exit_btf, struct task_struct *p, bool group_dead)
{
  return on_exit(p, group_dead);
}

/* ---- raw_tp fallback: probe reads ----------------------------------------------------- */

SEC("raw_tp/sys_exit")
int BPF_PROG(vigil_sys_exit_raw, struct pt_regs *regs, long ret)
{
  long nr = BPF_CORE_READ(regs, orig_ax);
  if (nr < 0 || nr >= VIGIL_NR_MAX)
    return 0;
  return on_sys_exit(regs, ret, (__u32)nr, false);
}

SEC("raw_tp/sys_enter")
int BPF_PROG(vigil_sys_enter_raw, struct pt_regs *regs, long id)
{
  if (id < 0 || id >= VIGIL_NR_MAX)
    return 0;
  return on_sys_enter(regs, (__u32)id);
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(vigil_exec_raw, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
  return on_exec(p, bprm);
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(vigil_fork_raw, struct task_struct *parent, struct task_struct *child)
{
  return on_fork(parent, child);
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(vigil_exit_raw, struct task_struct *p, bool group_dead)
{
  return on_exit(p, group_dead);
}
