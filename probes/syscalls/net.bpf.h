// SPDX-License-Identifier: GPL-2.0
/* syscalls/net.bpf.h — socket tuples: from the kernel socket behind an fd, completed from
 * the caller's sockaddr when the call failed or the socket is not connected. */
#pragma once

#include "lib/common.bpf.h"
#include "lib/copy.bpf.h"
#include "lib/path.bpf.h"

/* The endpoints of the socket behind f (nothing when f is no socket). */
static __always_inline void sock_tuple_file(struct file *f, struct vigil_tuple *t)
{
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

static __always_inline void sock_tuple(struct task_struct *task, long fd,
                                       struct vigil_tuple *t)
{
  sock_tuple_file(fd_file(task, fd), t);
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
