// SPDX-License-Identifier: GPL-2.0
/* syscalls/open_prefilter.bpf.h — the open prefilter (wire.h): LPM tries of path prefixes
 * and reversed suffixes derived from the rules, checked before any record is built. */
#pragma once

#include "lib/common.bpf.h"
#include "lib/syscall.bpf.h"
#include "lib/copy.bpf.h"

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
/* Quick rejects before the tries (wire.h struct vigil_opf_bits), written by user space. */
struct vigil_opf_bits opf_bits = {};

/* ---- open prefilter ----------------------------------------------------------------- */

static __always_inline bool opf_allows(__u8 *v, bool write)
{
  return v && ((*v & VIGIL_OPF_READS) || (write && (*v & VIGIL_OPF_WRITES)));
}

static __always_inline bool opf_bit(const __u8 *bits, __u32 i)
{
  return bits[(i >> 3) & (VIGIL_OPF_PAIR_BITS / 8 - 1)] & (1 << (i & 7));
}

/* Whether the prefix trie can match a path of len bytes whose bytes 1 and 2 are in head and
 * whose first VIGIL_OPF_HASH_LEN bytes are at first8 (wire.h, struct vigil_opf_bits). */
static __always_inline bool opf_head_may_match(__u32 head, __u32 len, const __u8 *first8)
{
  if (!opf_bit(opf_bits.heads, head))
    return false;
  if (len < VIGIL_OPF_HASH_LEN || opf_bit(opf_bits.heads_short, head))
    return true;
  return opf_bit(opf_bits.heads_hash, vigil_opf_hash(first8));
}

/* The same for the suffix trie: tail = last byte << 8 | the one before, last8 = the path's
 * last VIGIL_OPF_HASH_LEN bytes. */
static __always_inline bool opf_tail_may_match(__u32 tail, __u32 len, const __u8 *last8)
{
  if (!opf_bit(opf_bits.tails, tail))
    return false;
  if (len < VIGIL_OPF_HASH_LEN || opf_bit(opf_bits.tails_short, tail))
    return true;
  return opf_bit(opf_bits.tails_hash, vigil_opf_hash(last8));
}

/* 0 when no rule can match an open of the path at `upath` (user memory) (wire.h): the path
 * is absolute and normalised and neither starts with a known prefix nor ends with a known
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
  if (opf_head_may_match(head, len, fwd.data)) {
    fwd.prefixlen = len * 8;
    if (opf_allows(bpf_map_lookup_elem(&open_prefixes, &fwd), write))
      return 1;
  }
  __u32 tail = ((__u32)fwd.data[(len - 1) & (VIGIL_OPF_PREFIX_MAX - 1)] << 8) |
               fwd.data[(len - 2) & (VIGIL_OPF_PREFIX_MAX - 1)];
  /* len < 255 here, so the last 8 bytes start at or below 246 */
  __u32 l8 = len >= VIGIL_OPF_HASH_LEN ? len - VIGIL_OPF_HASH_LEN : 0;
  if (l8 > VIGIL_OPF_PREFIX_MAX - VIGIL_OPF_HASH_LEN)
    return 1;
  if (!opf_tail_may_match(tail, len, &fwd.data[l8]))
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

/* 0 when no rule can match an open of the file the kernel opened, whose walked path is
 * pb[start .. PATHBUF_HALF) in this CPU's path buffer (lib/file.bpf.h; the caller holds the
 * scratch lock). The path is made of the dentries' own names, absolute and with no ".", ".."
 * or "//" to normalise, so the tries are looked up in place: the prefix key is the path
 * itself with its length written in the 4 bytes before it. Paths of 255 bytes or more are
 * reported, as for user strings. A global function: the verifier checks it once. */
__noinline int open_kpath_wanted(__u32 start, int write)
{
  char *pb = get_pathbuf();
  if (!pb)
    return 1;
  if (start < 8 || start >= PATHBUF_HALF)
    return 1;
  __u32 len = PATHBUF_HALF - start;
  if (len >= VIGIL_OPF_PREFIX_MAX - 1)
    return 1;
  __u64 o = start;
  ASM_MASK(o, 4095);
  const __u8 *p = (const __u8 *)pb + o;
  if (p[0] != '/')
    return 1;
  __u32 head = ((__u32)p[1] << 8) | p[2];
  if (opf_head_may_match(head, len, p)) {
    __u64 ko = start - 4;
    ASM_MASK(ko, 4095);
    __u32 bits = len * 8;
    pb[ko] = bits & 0xff;  /* byte stores: the key need not be 4-byte aligned */
    pb[ko + 1] = (bits >> 8) & 0xff;
    pb[ko + 2] = 0;
    pb[ko + 3] = 0;
    if (opf_allows(bpf_map_lookup_elem(&open_prefixes, pb + ko), write))
      return 1;
  }
  const __u8 *end = (const __u8 *)pb + PATHBUF_HALF;
  __u32 tail = ((__u32)end[-1] << 8) | end[-2];
  if (!opf_tail_may_match(tail, len, end - VIGIL_OPF_HASH_LEN))
    return 0;
  struct vigil_opf_suffix_key rev;
  for (__u32 t = 0; t < VIGIL_OPF_SUFFIX_MAX; t++) {
    if (t >= len)
      break;
    rev.data[t] = pb[PATHBUF_HALF - 1 - t];
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

#define O_TRUNC_VAL 0x200

/* The open's flags argument (openat2: the first u64 of its open_how; ~0 when unreadable, so
 * that it judges as a write). */
static __always_inline __u64 open_flags_arg(struct pt_regs *regs, const __u64 *cargs, __u8 parg,
                                            __u8 dflags, bool btf)
{
  __u64 flags = call_arg(regs, cargs, parg + 1, btf);
  if (dflags & VIGIL_SC_DEREF_A2) {
    __u64 how_flags = 0;
    if (bpf_probe_read_user(&how_flags, sizeof(how_flags), (void *)flags))
      return ~0ULL;
    flags = how_flags;
  }
  return flags;
}

/* A write for the prefilter: O_WRONLY, O_RDWR, or O_TRUNC (the kernel truncates a regular
 * file opened O_RDONLY|O_TRUNC, with write permission, and then clears O_TRUNC from the
 * file's flags: FMODE_WRITE does not show it). */
static __always_inline bool open_flags_write(__u64 flags)
{
  __u64 acc = flags & 3; /* O_ACCMODE */
  return acc == 1 || acc == 2 || (flags & O_TRUNC_VAL);
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
  if (!(dflags & VIGIL_SC_OPEN_WRITE))
    write = open_flags_write(open_flags_arg(regs, cargs, parg, dflags, btf));
  if (write && (mode & VIGIL_OPF_ALL_WRITES))
    return true;
  return open_path_wanted(call_arg(regs, cargs, parg, btf), write) != 0;
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
  if (open_kpath_wanted(pbuf_off, write))
    return true;
  /* a rule tests the caller's string for ".." (fd.nameraw contains '../') */
  return (mode & VIGIL_OPF_RAW_DOTDOT) && open_raw_dotdot(upath);
}
