// SPDX-License-Identifier: GPL-2.0
/* syscalls/open_prefilter.bpf.h — the open prefilter (wire.h): LPM tries of path prefixes
 * and reversed suffixes derived from the rules, checked before any record is built. */
#pragma once

#include "lib/common.bpf.h"
#include "lib/syscall.bpf.h"

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

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, VIGIL_WATCHED_FILES);
  __type(key, struct vigil_file_id);
  __type(value, __u8);
} watched_files SEC(".maps");

__u8 open_filter = 0;  /* enum vigil_opf_mode */
/* Quick rejects before the tries (wire.h): bit (b1 << 8 | b2) of opf_heads is set when a
 * prefix could start "/<b1><b2>", bit (last << 8 | before_last) of opf_tails when a suffix
 * could end the path with those two bytes. */
__u8 opf_heads[VIGIL_OPF_PAIR_BITS / 8] = {};
__u8 opf_tails[VIGIL_OPF_PAIR_BITS / 8] = {};

/* ---- open prefilter ----------------------------------------------------------------- */

static __always_inline bool opf_allows(__u8 *v, bool write)
{
  return v && ((*v & VIGIL_OPF_READS) || (write && (*v & VIGIL_OPF_WRITES)));
}

/* 0 when no rule can match an open of the path at `upath` (user memory; when `kernel`, an
 * offset into the per-CPU path buffer holding the path of the file the kernel opened,
 * lib/file.bpf.h) (wire.h): the path is
 * absolute and normalised and neither starts with a known prefix nor ends with a known
 * suffix for this open mode. Anything it cannot check is reported (1): relative paths, "."
 * segments, ".." anywhere, "//", paths of 255 bytes or more, unreadable paths.
 * A global function: the verifier checks it once. The keys live on its stack (no shared
 * buffer, so no lock even though syscall tracepoints may be preempted). */
__noinline int open_path_wanted(__u64 upath, int write, int kernel)
{
  struct vigil_opf_prefix_key fwd;
  struct vigil_opf_suffix_key rev;
  long n;
  if (kernel) {
    /* upath is an offset into this CPU's path buffer (the caller holds the scratch lock) */
    char *pb = get_pathbuf();
    if (!pb)
      return 1;
    n = bpf_probe_read_kernel_str(fwd.data, sizeof(fwd.data), pb + (upath & (PATHBUF_HALF - 1)));
  } else {
    n = bpf_probe_read_user_str(fwd.data, sizeof(fwd.data), (void *)upath);
  }
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

/* False when the open prefilter drops this failed open (see open_path_wanted): there is no
 * file, so the caller's string is judged. Reads only the path and flags arguments, before
 * any record is built. */
/* Argument i of the current call: the compat args when given, else the registers. The
 * barriers keep clang from merging the two loads into one instruction on two pointer types
 * (the verifier refuses that). */
static __always_inline __u64 call_arg(struct pt_regs *regs, const __u64 *cargs, __u32 i, bool btf)
{
  __u64 v;
  if (cargs) {
    v = cargs[i];
    barrier_var(v);
  } else {
    v = syscall_arg(regs, i, btf);
    barrier_var(v);
  }
  return v;
}

static __always_inline bool open_wanted(struct pt_regs *regs, __u32 nr, __u8 dflags, bool btf,
                                        const __u64 *cargs)
{
  __u8 mode = open_filter;
  if (!(mode & VIGIL_OPF_ON))
    return true;
  __u8 parg = sc_desc[nr].str_arg[0];
  if (parg >= 5)
    return true;
  bool write = true;
  if (!(dflags & VIGIL_SC_OPEN_WRITE)) {
    __u64 flags = call_arg(regs, cargs, parg + 1, btf);
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
  return open_path_wanted(call_arg(regs, cargs, parg, btf), write, 0) != 0;
}

/* 1 when the user string at upath contains ".." or cannot be checked (unreadable, 255
 * bytes or more). A global function: the verifier checks it once. */
__noinline int open_raw_dotdot(__u64 upath)
{
  __u8 raw[VIGIL_OPF_PREFIX_MAX];
  long n = bpf_probe_read_user_str(raw, sizeof(raw), (void *)upath);
  if (n <= 1)
    return n == 1 ? 0 : 1;
  if (n >= (long)sizeof(raw))
    return 1;
  for (__u32 i = 0; i < VIGIL_OPF_PREFIX_MAX - 1; i++) {
    __u8 c = raw[i];
    if (c == 0)
      break;
    if (c == '.' && raw[(i + 1) & (VIGIL_OPF_PREFIX_MAX - 1)] == '.')
      return 1;
  }
  return 0;
}

/* False when the open prefilter drops a successful open of the file the kernel opened: its
 * walked path (at pbuf_off in the per-CPU path buffer, NUL-terminated, absolute and
 * normalised; relative opens are
 * resolved too) and its real open mode (FMODE_WRITE). A truncated walk is always reported. */
/* The opened file is one the rules name exactly (wire.h watched_files). */
static __always_inline bool open_file_watched(__u32 dev, __u64 ino)
{
  struct vigil_file_id id = {.ino = ino, .dev = dev, .pad = 0};
  return bpf_map_lookup_elem(&watched_files, &id) != 0;
}

static __always_inline bool open_file_wanted(__u32 pbuf_off, bool write, bool truncated,
                                             __u64 upath)
{
  __u8 mode = open_filter;
  if (!(mode & VIGIL_OPF_ON) || truncated)
    return true;
  if (write && (mode & VIGIL_OPF_ALL_WRITES))
    return true;
  if (open_path_wanted(pbuf_off, write, 1))
    return true;
  /* a rule tests the caller's string for ".." (fd.nameraw contains '../') */
  return (mode & VIGIL_OPF_RAW_DOTDOT) && open_raw_dotdot(upath);
}
