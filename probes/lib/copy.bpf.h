// SPDX-License-Identifier: GPL-2.0
/* lib/copy.bpf.h — bounded copies of kernel/user memory into the scratch record, with
 * masks the verifier can see (clang cannot fold the asm away). */
#pragma once

#include "lib/common.bpf.h"

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
