// Unit tests for the ring-buffer record decoder on crafted bytes: well-formed records of
// each kind, path resolution, and truncated / corrupted input (rejected, never a crash).
#include "vigil/record_decoder.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <sys/sysmacros.h>

#include <gtest/gtest.h>

#include "vigil/syscall_table.h"
#include "wire.h"

namespace vigil {
namespace {

std::vector<unsigned char> SysRecord(uint16_t nr, int64_t res, std::array<uint64_t, 6> args,
                                     std::vector<std::string> strs,
                                     const vigil_tuple* tuple = nullptr) {
  vigil_sys_rec r{};
  r.hdr.type = VIGIL_REC_SYSCALL;
  r.hdr.ts = 1000;
  r.hdr.tid = 11;
  r.hdr.tgid = 10;
  r.nr = nr;
  r.res = res;
  for (int i = 0; i < 6; ++i) r.args[i] = args[i];
  std::string data;
  if (tuple) {
    r.flags |= VIGIL_SYS_HAS_TUPLE;
    data.append(reinterpret_cast<const char*>(tuple), sizeof(*tuple));
  }
  strs.resize(4);
  for (int i = 0; i < 4; ++i) {
    r.str_len[i] = static_cast<uint16_t>(strs[i].size());
    data += strs[i];
  }
  r.hdr.size = static_cast<uint16_t>(sizeof(r) + data.size());
  std::vector<unsigned char> out(sizeof(r) + data.size());
  std::memcpy(out.data(), &r, sizeof(r));
  std::memcpy(out.data() + sizeof(r), data.data(), data.size());
  return out;
}

TEST(RecordDecoder, DecodesOpenatWithDirRelativePath) {
  RecordDecoder dec(5000);
  auto rec = SysRecord(SYS_openat, 3, {static_cast<uint64_t>(-100), 0, O_CREAT | O_WRONLY, 0640},
                       {"./a/../b.txt", "/home/u"});
  Event ev;
  ASSERT_EQ(dec.Decode(rec.data(), rec.size(), &ev), DecodeResult::kEvent);
  EXPECT_EQ(ev.type, EventType::kOpenat);
  EXPECT_EQ(ev.ts_ns, 6000u);
  EXPECT_EQ(ev.tid, 11u);
  EXPECT_EQ(ev.tgid, 10u);
  EXPECT_EQ(ev.res, 3);
  ASSERT_NE(ev.Find(ArgId::kName), nullptr);
  EXPECT_EQ(ev.Find(ArgId::kName)->str, "/home/u/b.txt");
  EXPECT_EQ(ev.Find(ArgId::kDirfd)->num, -100);
  EXPECT_EQ(ev.Find(ArgId::kFlags)->num, O_CREAT | O_WRONLY);
  EXPECT_EQ(ev.Find(ArgId::kMode)->num, 0640);
  EXPECT_EQ(ev.Find(ArgId::kFd)->num, 3);
}

TEST(RecordDecoder, OpenedFileFromTheKernelNamesTheEventAndTheStringStaysRaw) {
  RecordDecoder dec(0);
  auto rec = SysRecord(SYS_openat, 4, {static_cast<uint64_t>(-100), 0, O_RDONLY, 0},
                       {"../alias/shadow", "", "/etc/shadow"});
  vigil_sys_rec r;
  std::memcpy(&r, rec.data(), sizeof(r));
  r.flags |= VIGIL_SYS_FILE | VIGIL_SYS_COMPAT;
  r.ino = 1234;
  r.dev = (8u << 20) | 1;  // kernel dev_t 8:1
  std::memcpy(rec.data(), &r, sizeof(r));
  Event ev;
  ASSERT_EQ(dec.Decode(rec.data(), rec.size(), &ev), DecodeResult::kEvent);
  EXPECT_TRUE(ev.file_resolved);
  EXPECT_TRUE(ev.is_compat);
  EXPECT_FALSE(ev.path_truncated);
  EXPECT_EQ(ev.Find(ArgId::kName)->str, "/etc/shadow");
  EXPECT_EQ(ev.raw_path, "../alias/shadow");
  EXPECT_EQ(ev.Find(ArgId::kIno)->num, 1234);
  EXPECT_EQ(ev.Find(ArgId::kDev)->num, static_cast<int64_t>(makedev(8, 1)));

  // A walk that stopped early never reads as an absolute path.
  r.flags |= VIGIL_SYS_FILE_TRUNCATED;
  std::memcpy(rec.data(), &r, sizeof(r));
  ASSERT_EQ(dec.Decode(rec.data(), rec.size(), &ev), DecodeResult::kEvent);
  EXPECT_TRUE(ev.path_truncated);
  EXPECT_EQ(ev.Find(ArgId::kName)->str, "<truncated>/etc/shadow");
}

TEST(RecordDecoder, DecodesRenameBothPathsAndAcceptTupleAsClientToServer) {
  RecordDecoder dec(0);
  auto rec = SysRecord(SYS_renameat2, 0, {5, 0, static_cast<uint64_t>(-100), 0, 1},
                       {"x", "/d", "/abs/y", ""});
  Event ev;
  ASSERT_EQ(dec.Decode(rec.data(), rec.size(), &ev), DecodeResult::kEvent);
  EXPECT_EQ(ev.Find(ArgId::kOldpath)->str, "/d/x");
  EXPECT_EQ(ev.Find(ArgId::kNewpath)->str, "/abs/y");
  EXPECT_EQ(ev.Find(ArgId::kFlags)->num, 1);

  vigil_tuple t{};
  t.family = AF_INET;
  t.l4proto = IPPROTO_TCP;
  t.sport = 80;     // local (server) as read from the accepted socket
  t.dport = 40000;  // remote client
  t.sip[0] = 10;
  t.dip[0] = 192;
  auto acc = SysRecord(SYS_accept4, 7, {3, 0, 0, 0}, {}, &t);
  ASSERT_EQ(dec.Decode(acc.data(), acc.size(), &ev), DecodeResult::kEvent);
  EXPECT_EQ(ev.type, EventType::kAccept4);
  ASSERT_TRUE(ev.has_tuple);
  EXPECT_EQ(ev.tuple.sport, 40000);
  EXPECT_EQ(ev.tuple.dport, 80);
  EXPECT_EQ(ev.tuple.sip[0], 192);
  EXPECT_EQ(ev.Find(ArgId::kFd)->num, 7);
}

// An exec record past 64 KiB (long argv and the environment): env and args in their slots,
// the truncation flags as fields.
TEST(RecordDecoder, DecodesLongExecWithEnvironment) {
  RecordDecoder dec(0);
  vigil_exec_rec x{};
  x.hdr.type = VIGIL_REC_EXEC;
  x.nr = SYS_execve;
  x.flags = VIGIL_EXEC_TRUNCATED | VIGIL_EXEC_ENV | VIGIL_EXEC_ENV_TRUNCATED;
  std::memcpy(x.comm, "sh", 3);
  std::string args = std::string("sh\0", 3) + std::string(VIGIL_ARGS_MAX - 10, 'A');
  std::string env = std::string("LD_PRELOAD=/tmp/x.so\0GLIBC_TUNABLES=glibc.malloc.mxfast=1", 58) +
                    std::string(VIGIL_ENV_MAX - 100, 'E');
  const std::string strs[VIGIL_EXEC_STRS] = {"/bin/sh", "/usr/bin/dash", "/", "/", env, args};
  std::string data;
  for (int i = 0; i < VIGIL_EXEC_STRS; ++i) {
    x.str_len[i] = static_cast<uint16_t>(strs[i].size());
    data += strs[i];
  }
  ASSERT_GT(sizeof(x) + data.size(), 65536u);
  x.hdr.size = static_cast<uint32_t>(sizeof(x) + data.size());
  std::vector<unsigned char> rec(sizeof(x) + data.size());
  std::memcpy(rec.data(), &x, sizeof(x));
  std::memcpy(rec.data() + sizeof(x), data.data(), data.size());
  Event ev;
  ASSERT_EQ(dec.Decode(rec.data(), rec.size(), &ev), DecodeResult::kEvent);
  ASSERT_NE(ev.exec, nullptr);
  EXPECT_EQ(ev.exec->args, args);
  EXPECT_EQ(ev.exec->env, env);
  EXPECT_TRUE(ev.exec->args_truncated);
  EXPECT_TRUE(ev.exec->env_captured);
  EXPECT_TRUE(ev.exec->env_truncated);
  // A record claiming more string bytes than it holds is refused.
  rec.resize(rec.size() - 1);
  x.hdr.size -= 1;
  std::memcpy(rec.data(), &x, sizeof(x));
  EXPECT_EQ(dec.Decode(rec.data(), rec.size(), &ev), DecodeResult::kMalformed);
}

TEST(RecordDecoder, DecodesExecForkAndExit) {
  RecordDecoder dec(0);
  vigil_exec_rec x{};
  x.hdr.type = VIGIL_REC_EXEC;
  x.nr = SYS_execve;
  x.ppid = 1;
  x.uid = 1000;
  x.loginuid = 1000;
  x.flags = VIGIL_EXEC_MEMFD;
  std::memcpy(x.comm, "bash", 5);
  const std::string strs[VIGIL_EXEC_STRS] = {"/bin/bash", "/usr/bin/bash", "/root",
                                             "/user.slice", "", std::string("bash\0-c\0id", 10)};
  std::string data;
  for (int i = 0; i < VIGIL_EXEC_STRS; ++i) {
    x.str_len[i] = static_cast<uint16_t>(strs[i].size());
    data += strs[i];
  }
  x.hdr.size = static_cast<uint32_t>(sizeof(x) + data.size());
  std::vector<unsigned char> rec(sizeof(x) + data.size());
  std::memcpy(rec.data(), &x, sizeof(x));
  std::memcpy(rec.data() + sizeof(x), data.data(), data.size());
  Event ev;
  ASSERT_EQ(dec.Decode(rec.data(), rec.size(), &ev), DecodeResult::kEvent);
  EXPECT_EQ(ev.type, EventType::kExecve);
  ASSERT_NE(ev.exec, nullptr);
  EXPECT_EQ(ev.exec->filename, "/bin/bash");
  EXPECT_EQ(ev.exec->exepath, "/usr/bin/bash");
  EXPECT_EQ(ev.exec->cwd, "/root");
  EXPECT_EQ(ev.exec->cgroup, "/user.slice");
  EXPECT_EQ(ev.exec->args, std::string_view("bash\0-c\0id", 10));
  EXPECT_EQ(ev.exec->comm, "bash");
  EXPECT_EQ(ev.exec->uid, 1000u);
  EXPECT_TRUE(ev.exec->exe_from_memfd);
  EXPECT_FALSE(ev.exec->exe_writable);

  vigil_fork_rec f{};
  f.hdr.type = VIGIL_REC_FORK;
  f.hdr.size = sizeof(f);
  f.hdr.tgid = 10;
  f.nr = SYS_clone;
  f.child_tid = f.child_tgid = 12;
  f.flags = 0x11;
  ASSERT_EQ(dec.Decode(&f, sizeof(f), &ev), DecodeResult::kEvent);
  EXPECT_EQ(ev.type, EventType::kClone);
  ASSERT_NE(ev.fork, nullptr);
  EXPECT_EQ(ev.fork->child_tgid, 12u);
  EXPECT_EQ(ev.res, 12);
  EXPECT_EQ(ev.exec, nullptr);

  vigil_exit_rec e{};
  e.hdr.type = VIGIL_REC_EXIT;
  e.hdr.size = sizeof(e);
  e.exit_code = 3 << 8;
  ASSERT_EQ(dec.Decode(&e, sizeof(e), &ev), DecodeResult::kEvent);
  EXPECT_EQ(ev.type, EventType::kProcExit);
  EXPECT_EQ(ev.exit_code, 3);
  EXPECT_EQ(ev.fork, nullptr);
}

TEST(RecordDecoder, RejectsTruncatedAndInconsistentRecords) {
  RecordDecoder dec(0);
  Event ev;
  auto rec = SysRecord(SYS_openat, 3, {0, 0, 0, 0}, {"/etc/passwd"});
  // every truncation is rejected
  for (std::size_t n = 0; n < rec.size(); ++n) {
    EXPECT_EQ(dec.Decode(rec.data(), n, &ev), DecodeResult::kMalformed) << n;
  }
  // string lengths pointing past the record
  auto bad = rec;
  uint16_t huge = 60000;
  std::memcpy(bad.data() + offsetof(vigil_sys_rec, str_len), &huge, sizeof(huge));
  EXPECT_EQ(dec.Decode(bad.data(), bad.size(), &ev), DecodeResult::kMalformed);
  // unknown record type
  bad = rec;
  uint16_t type = 99;
  std::memcpy(bad.data(), &type, sizeof(type));
  EXPECT_EQ(dec.Decode(bad.data(), bad.size(), &ev), DecodeResult::kMalformed);
  // header size smaller than the header
  bad = rec;
  uint32_t size = 3;
  std::memcpy(bad.data() + offsetof(vigil_hdr, size), &size, sizeof(size));
  EXPECT_EQ(dec.Decode(bad.data(), bad.size(), &ev), DecodeResult::kMalformed);
  // unknown syscall number: well formed, skipped
  auto unk = SysRecord(VIGIL_NR_MAX - 1, 0, {}, {});
  EXPECT_EQ(dec.Decode(unk.data(), unk.size(), &ev), DecodeResult::kSkipped);
  EXPECT_EQ(dec.Decode(nullptr, 100, &ev), DecodeResult::kMalformed);
}

TEST(RecordDecoder, SurvivesRandomCorruption) {
  RecordDecoder dec(0);
  Event ev;
  std::mt19937 rng(42);
  auto base = SysRecord(SYS_renameat2, 0, {5, 0, 5, 0, 0}, {"a", "/x", "b", "/y"});
  int events = 0, malformed = 0;
  for (int i = 0; i < 20000; ++i) {
    auto rec = base;
    int flips = 1 + static_cast<int>(rng() % 8);
    for (int f = 0; f < flips; ++f) rec[rng() % rec.size()] = static_cast<unsigned char>(rng());
    std::size_t len = rng() % (rec.size() + 1);
    switch (dec.Decode(rec.data(), len, &ev)) {
      case DecodeResult::kEvent:
        ++events;
        for (uint8_t a = 0; a < ev.nargs; ++a) {
          if (ev.args[a].is_str) {
            ASSERT_LE(ev.args[a].str.size(), 8192u);
          }
        }
        break;
      case DecodeResult::kMalformed: ++malformed; break;
      case DecodeResult::kSkipped: break;
    }
  }
  EXPECT_GT(malformed, 0);
}

TEST(JoinPath, FoldsDotsAndSlashes) {
  char buf[256];
  EXPECT_EQ(JoinPath("/a/b", "../c//./d", buf, sizeof(buf)), "/a/c/d");
  EXPECT_EQ(JoinPath("/a", "/abs/../x", buf, sizeof(buf)), "/x");
  EXPECT_EQ(JoinPath("/", "..", buf, sizeof(buf)), "/");
  EXPECT_EQ(JoinPath("/a", ".", buf, sizeof(buf)), "/a");
  char tiny[4];
  EXPECT_EQ(JoinPath("/long/dir", "file", tiny, sizeof(tiny)), "file");
}

// A chrooted caller's absolute path is under its root, and ".." stops there (as the kernel's
// lookup does at the task's root).
TEST(JoinPath, RootedAbsolutePathStaysUnderTheRoot) {
  char buf[256];
  EXPECT_EQ(JoinPath("/srv/jail", "/etc/shadow", buf, sizeof(buf), true), "/srv/jail/etc/shadow");
  EXPECT_EQ(JoinPath("/srv/jail", "/etc/../../../x", buf, sizeof(buf), true), "/srv/jail/x");
  EXPECT_EQ(JoinPath("/srv/jail", "/..", buf, sizeof(buf), true), "/srv/jail");
  EXPECT_EQ(JoinPath("/", "/etc/x", buf, sizeof(buf), true), "/etc/x");
  // not rooted: an absolute path ignores dir
  EXPECT_EQ(JoinPath("/srv/jail", "/etc/shadow", buf, sizeof(buf)), "/etc/shadow");
}

TEST(SyscallTable, MapsEventTypesToSyscallNumbers) {
  const auto& t = SyscallTable::Get();
  ASSERT_NE(t.Find(SYS_openat), nullptr);
  EXPECT_EQ(t.Find(SYS_openat)->type, EventType::kOpenat);
  EXPECT_EQ(t.NumbersFor(EventType::kOpenat), std::vector<int>{SYS_openat});
  std::bitset<kEventTypeCount> want;
  want.set(static_cast<std::size_t>(EventType::kConnect));
  uint8_t bytes[VIGIL_NR_MAX];
  t.InterestBytes(want, bytes);
  int set = 0;
  for (uint8_t b : bytes) set += b;
  EXPECT_EQ(set, 1);
  EXPECT_EQ(bytes[SYS_connect], 1);
  // every traced syscall has a distinct number and a known type
  for (const auto& spec : t.specs()) {
    EXPECT_EQ(t.Find(static_cast<uint32_t>(spec.nr)), &spec);
    EXPECT_NE(spec.type, EventType::kUnknown);
  }
}

}  // namespace
}  // namespace vigil
