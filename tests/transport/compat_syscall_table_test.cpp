// Unit tests: the i386 -> vigil event table and the probes' translation tables. i386 numbers
// that collide with x86_64 ones must translate to the native call of their own meaning (or to
// nothing), never to the x86_64 call of the same number.
#include <linux/net.h>
#include <sys/syscall.h>

#include <gtest/gtest.h>

#include "vigil/compat_syscall_table.h"
#include "vigil/syscall_table.h"

namespace vigil {
namespace {

#if defined(__x86_64__)
TEST(CompatSyscallTable, MapsI386NumbersToTheirOwnEventTypes) {
  EXPECT_EQ(CompatEventType(5), EventType::kOpen);      // x86_64 5 is fstat
  EXPECT_EQ(CompatEventType(11), EventType::kExecve);   // x86_64 11 is munmap
  EXPECT_EQ(CompatEventType(26), EventType::kPtrace);   // x86_64 26 is msync
  EXPECT_EQ(CompatEventType(213), EventType::kSetuid);  // setuid32; x86_64 213 epoll_create
  EXPECT_EQ(CompatEventType(23), EventType::kSetuid);   // 16-bit setuid
  EXPECT_EQ(CompatEventType(295), EventType::kOpenat);
  EXPECT_EQ(CompatEventType(350), EventType::kFinitModule);
  EXPECT_EQ(CompatEventType(362), EventType::kConnect);
  // Colliding numbers with no vigil event: x86_64 175 init_module, 101 ptrace.
  EXPECT_FALSE(CompatEventType(175).has_value());  // rt_sigprocmask
  EXPECT_FALSE(CompatEventType(101).has_value());  // ioperm
  EXPECT_FALSE(CompatEventType(102).has_value());  // socketcall: demultiplexed
  EXPECT_EQ(CompatSocketcallNr(), 102);
  EXPECT_EQ(CompatSocketcallType(SYS_CONNECT), EventType::kConnect);
  EXPECT_EQ(CompatSocketcallType(SYS_SEND), EventType::kSendto);
  EXPECT_FALSE(CompatSocketcallType(SYS_SHUTDOWN).has_value());
}

TEST(CompatSyscallTable, ProbeTablesTranslateToNativeNumbersOrNothing) {
  uint16_t nr[VIGIL_NR_MAX];
  uint16_t sock[VIGIL_SOCKETCALL_MAX];
  FillCompatTables(SyscallTable::Get(), nr, sock);
  EXPECT_EQ(nr[5], SYS_open);
  EXPECT_EQ(nr[11], SYS_execve);
  EXPECT_EQ(nr[213], SYS_setuid);
  EXPECT_EQ(nr[26], SYS_ptrace);
  EXPECT_EQ(nr[175], VIGIL_COMPAT_NONE);
  EXPECT_EQ(nr[101], VIGIL_COMPAT_NONE);
  EXPECT_EQ(nr[102], VIGIL_COMPAT_NONE);
  EXPECT_EQ(nr[0], VIGIL_COMPAT_NONE);  // restart_syscall
  EXPECT_EQ(sock[SYS_SOCKET], SYS_socket);
  EXPECT_EQ(sock[SYS_CONNECT], SYS_connect);
  EXPECT_EQ(sock[SYS_ACCEPT], SYS_accept);
  EXPECT_EQ(sock[SYS_SHUTDOWN], VIGIL_COMPAT_NONE);
  // Issue 13's calls: i386 numbers from asm/unistd_32.h.
  EXPECT_EQ(nr[342], SYS_open_by_handle_at);
  EXPECT_EQ(nr[341], SYS_name_to_handle_at);
  EXPECT_EQ(nr[452], 452);  // fchmodat2 (same number on both ABIs)
  EXPECT_EQ(nr[320], SYS_utimensat);
  EXPECT_EQ(nr[412], SYS_utimensat);  // utimensat_time64
  EXPECT_EQ(nr[226], SYS_setxattr);
  EXPECT_EQ(nr[228], SYS_fsetxattr);
  EXPECT_EQ(nr[348], SYS_process_vm_writev);
  EXPECT_EQ(nr[438], SYS_pidfd_getfd);
  EXPECT_EQ(nr[55], SYS_fcntl);   // fcntl: the native fcntl, not dup (its type)
  EXPECT_EQ(nr[221], SYS_fcntl);  // fcntl64
  EXPECT_EQ(nr[125], SYS_mprotect);
  EXPECT_EQ(nr[90], VIGIL_COMPAT_NONE);   // old mmap: one struct pointer
  EXPECT_EQ(nr[192], VIGIL_COMPAT_NONE);  // mmap2: offset in pages
  // Every translated number is one vigil traces, with the same event type as the i386 call.
  for (uint32_t i = 0; i < VIGIL_NR_MAX; ++i) {
    if (nr[i] == VIGIL_COMPAT_NONE) continue;
    const SyscallSpec* spec = SyscallTable::Get().Find(nr[i]);
    ASSERT_NE(spec, nullptr) << "i386 " << i;
    EXPECT_EQ(spec->type, CompatEventType(i)) << "i386 " << i;
  }
}
#endif

}  // namespace
}  // namespace vigil
