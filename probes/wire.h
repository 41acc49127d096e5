/* wire.h — the binary records the BPF probes write into the ring buffer.
 * Shared verbatim by the BPF programs (C, via vmlinux.h types) and the C++ decoder
 * (via <linux/types.h>). Every record starts with struct vigil_hdr; sizes are checked
 * with static asserts on both sides. Changing a layout means changing both sides. */
#ifndef VIGIL_PROBES_WIRE_H
#define VIGIL_PROBES_WIRE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define VIGIL_WIRE_VERSION 1

enum vigil_rec_type {
  VIGIL_REC_EXEC = 1,
};

struct vigil_hdr {
  __u16 type;   /* enum vigil_rec_type */
  __u16 size;   /* total record size including this header */
  __u32 cpu;
  __u64 ts;     /* bpf_ktime_get_boot_ns() */
  __u32 tid;
  __u32 tgid;
};

#define VIGIL_PATH_MAX 256

struct vigil_exec_rec {
  struct vigil_hdr hdr;
  __u32 ppid;
  __u32 uid;
  char comm[16];
  char filename[VIGIL_PATH_MAX];
};

#ifdef __cplusplus
static_assert(sizeof(struct vigil_hdr) == 24, "vigil_hdr layout");
#else
_Static_assert(sizeof(struct vigil_hdr) == 24, "vigil_hdr layout");
#endif

#endif /* VIGIL_PROBES_WIRE_H */
