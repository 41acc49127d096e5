// SPDX-License-Identifier: GPL-2.0
/* lib/kptr.bpf.h — direct reads of kernel objects. bpf_rdonly_cast (a kfunc, kernel >= 6.2;
 * the verifier turns the call into a register move) gives an untrusted, read-only typed
 * pointer: its fields are read with plain loads that the JIT guards like
 * bpf_probe_read_kernel (a fault reads 0), but without a helper call per field. That is
 * what makes the dentry walk (lib/path.bpf.h) and the fd lookup cheap enough to run on every
 * successful open. Field offsets are CO-RE relocated as with BPF_CORE_READ. Hot path. */
#pragma once

#include "lib/common.bpf.h"

extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/* (type *)p as a read-only kernel object; p may be any address (0 reads as 0). */
#define KPTR(type, p) ((type *)bpf_rdonly_cast((const void *)(__u64)(p), bpf_core_type_id_kernel(type)))
