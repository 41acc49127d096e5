/* wire.h — the binary records the BPF probes write into the ring buffer, and the
 * configuration tables user space hands the probes.
 * Owner: sensor (probes/ + transport/). Shared verbatim by the BPF programs (C, via
 * vmlinux.h types) and the C++ decoder (via <linux/types.h>). Every record starts with
 * struct vigil_hdr; sizes are checked with static asserts on both sides. Changing a layout
 * means changing both sides and bumping VIGIL_WIRE_VERSION. Plain data, no state. */
#ifndef VIGIL_PROBES_WIRE_H
#define VIGIL_PROBES_WIRE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define VIGIL_WIRE_VERSION 5

/* Syscall numbers the probes consider (array sizes); larger numbers are ignored. */
#define VIGIL_NR_MAX 512

/* Compat (i386) translation tables (probes/lib/compat.bpf.h): an entry with no native
 * equivalent vigil traces, and the number of socketcall call numbers the table covers. */
#define VIGIL_COMPAT_NONE 0xffff
#define VIGIL_SOCKETCALL_MAX 32

enum vigil_rec_type {
  VIGIL_REC_EXEC = 1,    /* sched_process_exec: struct vigil_exec_rec */
  VIGIL_REC_SYSCALL = 2, /* sys_exit: struct vigil_sys_rec */
  VIGIL_REC_FORK = 3,    /* sched_process_fork: struct vigil_fork_rec */
  VIGIL_REC_EXIT = 4,    /* sched_process_exit: struct vigil_exit_rec */
  VIGIL_REC_THROTTLE = 5,/* flood control: struct vigil_throttle_rec */
};

struct vigil_hdr {
  __u16 type;   /* enum vigil_rec_type */
  __u16 cpu;
  __u32 size;   /* total record size including this header (exec records pass 64 KiB) */
  __u64 ts;     /* bpf_ktime_get_boot_ns() */
  __u32 tid;
  __u32 tgid;
};

/* ---- syscall records --------------------------------------------------------------- */

/* Per-syscall description (indexed by syscall nr), filled by user space before load. */
#define VIGIL_ARG_NONE 0xff  /* no such argument */
#define VIGIL_DIR_CWD 0xfe   /* relative paths resolve against the task's cwd */
#define VIGIL_FD_RES 0xfd    /* the socket fd is the syscall's result (accept) */
#define VIGIL_STR_RES_FD 0xfc /* str_arg[0]: the path of the file behind the returned fd,
                                resolved in the kernel (open_by_handle_at) */
#define VIGIL_STR_FD_ARG 0xfb /* str_arg[0]: the path of the file behind the fd in arg
                                dir_arg[0], resolved in the kernel (mmap's file) */
#define VIGIL_DIR_EXTRA 0xe0 /* dir_arg[1] = VIGIL_DIR_EXTRA | i: the dir1 slot holds the
                                plain user string of arg i instead (mount's source) */
#define VIGIL_DIR_FD_FILE 0xd0 /* dir_arg[0] = VIGIL_DIR_FD_FILE | i: the dirfd is arg i, and
                                  a NULL path names the file behind that fd itself
                                  (utimensat(fd, NULL) = futimens): its kernel path is then
                                  string 0 */

enum vigil_sc_flags {
  VIGIL_SC_ENTER = 1 << 0,         /* capture raw args at sys_enter (per-thread map) */
  VIGIL_SC_SKIP_SUCCESS = 1 << 1,  /* success reported by a sched_* hook (exec/fork) */
  VIGIL_SC_TUPLE = 1 << 2,         /* decode the socket tuple of fd_arg */
  VIGIL_SC_USER_ADDR = 1 << 3,     /* sockaddr at addr_arg, length in addr_len_arg */
  VIGIL_SC_USER_ADDR_PLEN = 1 << 4,/* addr_len_arg is a pointer to the length (accept) */
  VIGIL_SC_DEREF_A2 = 1 << 5,      /* args[2] points to two u64 (openat2's open_how):
                                      they replace args[2] and args[3] */
  VIGIL_SC_OPEN = 1 << 6,          /* opens a path: str_arg[0] is the path and the next
                                      argument the open flags (subject to the prefilter) */
  VIGIL_SC_OPEN_WRITE = 1 << 7,    /* always opens for writing (creat) */
};

struct vigil_sc_desc {
  __u8 flags;          /* enum vigil_sc_flags */
  __u8 str_arg[2];     /* arg index of a user string (path), or VIGIL_ARG_NONE */
  __u8 dir_arg[2];     /* dirfd arg index for str_arg[i], VIGIL_DIR_CWD or NONE */
  __u8 fd_arg;         /* socket fd arg index, VIGIL_FD_RES, or NONE */
  __u8 addr_arg;       /* user sockaddr arg index or NONE */
  __u8 addr_len_arg;
};

#define VIGIL_UNIX_PATH_MAX 108

/* Socket endpoints. Client -> server like Falco: for connect/sendto s* = local, d* =
 * remote; for accept s* = remote client, d* = local server; for bind d* = bound address. */
struct vigil_tuple {
  __u16 family;
  __u8 l4proto;
  __u8 unix_len;
  __u16 sport;  /* host byte order */
  __u16 dport;
  __u8 sip[16];
  __u8 dip[16];
  char unix_path[VIGIL_UNIX_PATH_MAX];
};

enum vigil_sys_flags {
  VIGIL_SYS_HAS_TUPLE = 1 << 0,  /* data starts with struct vigil_tuple */
  VIGIL_SYS_TRUNCATED = 1 << 1,  /* a string was cut at VIGIL_STR_MAX */
  VIGIL_SYS_ENTER_ARGS = 1 << 2, /* args come from sys_enter */
  VIGIL_SYS_COMPAT = 1 << 3,     /* a 32-bit (i386 ABI) call: nr is the native number of
                                    the same event type, args the 32-bit arguments */
  VIGIL_SYS_FILE = 1 << 4,       /* open family success: the str1 slot holds the path of the
                                    file the kernel opened (walked from the struct file behind
                                    the returned fd), dev/ino are set; str0 is the caller's
                                    raw string (dir0 empty) */
  VIGIL_SYS_FILE_TRUNCATED = 1 << 5, /* that walk stopped before the root (deeper than the
                                    walk cap or longer than PATH_MAX): str1 holds the path's
                                    last components only */
  VIGIL_SYS_IO_URING = 1 << 6,   /* an io_uring request reported as the syscall nr */
  VIGIL_SYS_FIXED_FILE = 1 << 7, /* io_uring: the file is a registered (fixed) file; for an
                                    open into a slot, res is the slot, not an fd */
  VIGIL_SYS_ROOTED = 1 << 8,     /* the task's root is not its mount namespace's root
                                    (chroot): an absolute string's dir slot holds that
                                    root, walked in the kernel, and the string is under it */
};

/* iou_rw (.bss): which io_uring reads/writes the rules want (probes/io_uring). */
enum vigil_iou_rw {
  VIGIL_IOU_READS = 1 << 0,
  VIGIL_IOU_WRITES = 1 << 1,
};

#define VIGIL_STR_MAX 4096  /* per string slot (PATH_MAX), power of two */

/* data[] holds, in order: the tuple (if VIGIL_SYS_HAS_TUPLE), then str_len[0..3] bytes
 * of the strings str0, dir0, str1, dir1 (no NULs). dirN is the directory a relative strN
 * is resolved against (empty when strN is absolute or unresolvable). */
struct vigil_sys_rec {
  struct vigil_hdr hdr;
  __u16 nr;
  __u16 flags;      /* enum vigil_sys_flags */
  __u16 str_len[4];
  __u32 pad;
  __s64 res;
  __u64 args[6];
  __u64 ino;        /* VIGIL_SYS_FILE: inode of the opened file */
  __u32 dev;        /* VIGIL_SYS_FILE: kernel dev_t (MAJOR << 20 | MINOR) */
  __u32 pad2;
};

/* ---- process life cycle ------------------------------------------------------------ */

struct vigil_fork_rec {
  struct vigil_hdr hdr;  /* the parent */
  __u16 nr;              /* clone / clone3 / fork / vfork (syscall of the parent) */
  __u16 rflags;          /* VIGIL_FORK_COMPAT: the parent's call was 32-bit */
  __u32 child_tid;
  __u32 child_tgid;
  __u32 child_vtid;
  __u64 flags;           /* clone flags */
};

#define VIGIL_FORK_COMPAT 1

struct vigil_exit_rec {
  struct vigil_hdr hdr;
  __u32 exit_code;       /* task->exit_code: wait status (code << 8 | signal) */
  __u32 group_dead;      /* last thread of the group */
};

enum vigil_exec_flags {
  VIGIL_EXEC_WRITABLE = 1 << 0,
  VIGIL_EXEC_MEMFD = 1 << 1,
  VIGIL_EXEC_UPPER = 1 << 2,
  VIGIL_EXEC_TRUNCATED = 1 << 3, /* argv was longer than VIGIL_ARGS_MAX - 1 bytes (or
                                    unreadable): args holds its first bytes */
  VIGIL_EXEC_COMPAT = 1 << 4,    /* the exec'ing call was 32-bit (nr translated) */
  VIGIL_EXEC_ENV = 1 << 5,       /* the environment was captured (want_env set) */
  VIGIL_EXEC_ENV_TRUNCATED = 1 << 6, /* envp was longer than VIGIL_ENV_MAX - 1 bytes (or
                                    unreadable): env holds its first bytes */
};

/* argv and envp are read at sched_process_exec from the new mm's arg/env areas
 * (mm->arg_start..arg_end, env_start..env_end): memory the kernel just wrote for a process
 * that has not run yet, so no caller thread can change it. Bytes kept, powers of two. */
#define VIGIL_ARGS_MAX 65536  /* argv bytes kept: up to VIGIL_ARGS_MAX - 1 */
#define VIGIL_ENV_MAX 32768   /* envp bytes kept: up to VIGIL_ENV_MAX - 1 (only while a rule
                                 reads proc.env: the .bss switch want_env) */
#define VIGIL_EXEC_STRS 6     /* filename, exepath, cwd, cgroup, env, args */

/* data[] holds str_len[i] bytes of: filename, exepath, cwd, cgroup, env ('\0'-joined),
 * args ('\0'-joined). */
struct vigil_exec_rec {
  struct vigil_hdr hdr;
  __u16 nr;              /* execve or execveat */
  __u16 flags;           /* enum vigil_exec_flags */
  __u16 str_len[VIGIL_EXEC_STRS];
  __u32 ppid, sid, pgid, vpid, vpgid;
  __u32 uid, gid, euid, egid, loginuid, tty;
  __u32 pad2;
  __u64 exe_ino, exe_ctime_ns, exe_mtime_ns;
  __u64 cap_permitted, cap_effective, cap_inheritable;
  __u64 start_boot_ns;
  char comm[16];
};

/* ---- open prefilter ----------------------------------------------------------------- */
/* Opens of absolute, normalised paths are reported only when the path starts with a prefix
 * in the open_prefixes LPM trie or ends with a suffix in open_suffixes (keys hold the path
 * reversed), and the entry's value allows the open mode. User space fills both tries from
 * the rules and sets the live open_filter mode (enum vigil_opf_mode) in .bss. An entry's
 * value already includes the bits of every shorter entry it extends (the trie returns the
 * longest match only). Bitmaps in .bss (opf_bits, struct vigil_opf_bits) skip a trie that
 * cannot match, so that most opens cost no trie lookup. */
#define VIGIL_OPF_PREFIX_MAX 256   /* path bytes compared with prefixes (LPM maximum) */
#define VIGIL_OPF_SUFFIX_MAX 128   /* trailing path bytes compared with suffixes */
#define VIGIL_OPF_ENTRIES 4096     /* patterns per trie */
#define VIGIL_OPF_PAIR_BITS 65536  /* quick-reject bitmaps indexed by two path bytes */
struct vigil_opf_prefix_key {
  __u32 prefixlen;  /* bits */
  __u8 data[VIGIL_OPF_PREFIX_MAX];
};
struct vigil_opf_suffix_key {
  __u32 prefixlen;  /* bits */
  __u8 data[VIGIL_OPF_SUFFIX_MAX];  /* the path's last bytes, last byte first */
};
#define VIGIL_OPF_HASH_LEN 8       /* bytes of a path's head or tail the hash bitmaps cover */
/* Quick rejects (VIGIL_OPF_PAIR_BITS bits each):
 *   heads        bit (b1 << 8 | b2) when a prefix could start "/<b1><b2>" (a prefix shorter
 *                than 3 bytes sets every bit)
 *   tails        bit (last << 8 | before_last) when a suffix could end the path with those
 *                two bytes (a suffix shorter than 2 bytes sets every bit)
 *   heads_short  as heads, for prefixes shorter than VIGIL_OPF_HASH_LEN bytes only
 *   tails_short  as tails, for suffixes shorter than VIGIL_OPF_HASH_LEN bytes only
 *   heads_hash   bit vigil_opf_hash(first 8 bytes) of every prefix of 8 bytes or more
 *   tails_hash   bit vigil_opf_hash(last 8 bytes) of every suffix of 8 bytes or more
 * A path of 8 bytes or more can only match a prefix when its heads bit is set and either its
 * heads_short bit or its heads_hash bit is (a short prefix, or a long one that shares its
 * first 8 bytes); the same for suffixes with the tail bitmaps. */
struct vigil_opf_bits {
  __u8 heads[VIGIL_OPF_PAIR_BITS / 8];
  __u8 tails[VIGIL_OPF_PAIR_BITS / 8];
  __u8 heads_short[VIGIL_OPF_PAIR_BITS / 8];
  __u8 tails_short[VIGIL_OPF_PAIR_BITS / 8];
  __u8 heads_hash[VIGIL_OPF_PAIR_BITS / 8];
  __u8 tails_hash[VIGIL_OPF_PAIR_BITS / 8];
};
/* Bit index of VIGIL_OPF_HASH_LEN bytes at b (the same on both sides: the bytes are read one
 * by one, so the value does not depend on alignment or byte order). */
static inline __attribute__((always_inline)) __u32 vigil_opf_hash(const __u8 *b)
{
  __u64 x = 0;
  for (int i = 0; i < VIGIL_OPF_HASH_LEN; i++)
    x |= (__u64)b[i] << (8 * i);
  return (__u32)((x * 0x9E3779B97F4A7C15ULL) >> 48);
}
enum vigil_opf_value {
  VIGIL_OPF_READS = 1 << 0,   /* a matching open is reported whatever its mode */
  VIGIL_OPF_WRITES = 1 << 1,  /* a matching open for writing is reported */
};
enum vigil_opf_mode {
  VIGIL_OPF_ON = 1 << 0,          /* filter opens (off: report every open) */
  VIGIL_OPF_ALL_WRITES = 1 << 1,  /* report every open for writing */
  VIGIL_OPF_RAW_DOTDOT = 1 << 2,  /* report every open whose caller string contains ".." */
};
/* Files the rules name exactly, by identity (watched_files hash, value unused): an open of
 * one of them is reported whatever path reached it (a hard link, a bind mount), prefilter or
 * not. dev is the kernel's dev_t (MAJOR << 20 | MINOR). */
#define VIGIL_WATCHED_FILES 4096
struct vigil_file_id {
  __u64 ino;
  __u32 dev;
  __u32 pad;
};

/* ---- flood control (probes/lib/flood.bpf.h) ------------------------------------------ */
/* Class of a syscall's records (sc_class[nr], set by user space before load):
 *   CHEAP    may not use the ring's reserved share; throttled when its process floods
 *   RESERVE  may use the reserved share; throttled when its process floods (connect...)
 *   PRIO     may use the reserved share; a throttled process's PRIO records still pass
 *            while the ring is below the reserve (exec failures, setuid family, ptrace,
 *            module loads, bpf, process_vm_*, pidfd_getfd...)
 * Records of the sched hooks (exec, fork, exit) and throttle summaries are never throttled. */
enum vigil_sc_class { VIGIL_CLASS_CHEAP = 0, VIGIL_CLASS_RESERVE = 1, VIGIL_CLASS_PRIO = 2 };

enum vigil_throttle_phase {
  VIGIL_THROTTLE_BEGIN = 1,  /* the process starts being throttled (dropped = 0) */
  VIGIL_THROTTLE_END = 2,    /* the throttle window ended or the process exited: totals */
};
#define VIGIL_THROTTLE_TOP 4  /* syscall numbers counted one by one per throttled process */

/* hdr.tgid/tid name the throttled process (the thread whose record started or ended it). */
struct vigil_throttle_rec {
  struct vigil_hdr hdr;
  __u32 phase;           /* enum vigil_throttle_phase */
  __u32 pad;
  __u64 dropped;         /* records of this process dropped while throttled */
  __u64 begin_ns;        /* bpf_ktime_get_boot_ns() when throttling began */
  __u64 window_events;   /* records it produced in the window (while the ring was loaded) */
  __u16 nr[VIGIL_THROTTLE_TOP];     /* dropped syscall numbers (VIGIL_NR_MAX = unused) */
  __u32 nr_count[VIGIL_THROTTLE_TOP];
  __u64 other;           /* dropped records of further syscall numbers */
};

/* Per-CPU counters (BPF_MAP_TYPE_PERCPU_ARRAY, one entry). Every lost record is counted
 * once, by cause. */
struct vigil_counters {
  __u64 emitted;      /* records written */
  __u64 drops;        /* ring buffer full */
  __u64 truncated;    /* strings cut */
  __u64 errors;       /* probe reads that failed */
  __u64 prefiltered;  /* opens no rule can match, not reported (open prefilter) */
  __u64 busy;         /* lost: the per-CPU scratch buffer was in use (preempted probe) */
  __u64 reserved;     /* lost: a CHEAP record refused to keep the reserved share free */
  __u64 throttled;    /* lost: the process was throttled for flooding */
  __u64 prio_drops;   /* of `drops`: PRIO-class or sched records (the ones that matter) */
  __u64 throttles;    /* processes throttled (BEGIN summaries) */
};

#ifdef __cplusplus
#define VIGIL_STATIC_ASSERT static_assert
#else
#define VIGIL_STATIC_ASSERT _Static_assert
#endif
VIGIL_STATIC_ASSERT(sizeof(struct vigil_hdr) == 24, "vigil_hdr layout");
VIGIL_STATIC_ASSERT(sizeof(struct vigil_sys_rec) == 112, "vigil_sys_rec layout");
VIGIL_STATIC_ASSERT(sizeof(struct vigil_tuple) == 148, "vigil_tuple layout");
VIGIL_STATIC_ASSERT(sizeof(struct vigil_fork_rec) == 48, "vigil_fork_rec layout");
VIGIL_STATIC_ASSERT(sizeof(struct vigil_exit_rec) == 32, "vigil_exit_rec layout");
VIGIL_STATIC_ASSERT(sizeof(struct vigil_exec_rec) == 160, "vigil_exec_rec layout");
VIGIL_STATIC_ASSERT(sizeof(struct vigil_sc_desc) == 8, "vigil_sc_desc layout");
VIGIL_STATIC_ASSERT(sizeof(struct vigil_counters) == 80, "vigil_counters layout");
VIGIL_STATIC_ASSERT(sizeof(struct vigil_throttle_rec) == 88, "vigil_throttle_rec layout");
VIGIL_STATIC_ASSERT(sizeof(struct vigil_opf_prefix_key) == 260, "vigil_opf_prefix_key layout");
VIGIL_STATIC_ASSERT(sizeof(struct vigil_opf_suffix_key) == 132, "vigil_opf_suffix_key layout");

#endif /* VIGIL_PROBES_WIRE_H */
