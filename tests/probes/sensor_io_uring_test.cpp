// Kernel tests: io_uring requests are reported as the syscalls they replace (openat,
// socket, connect, accept4, mkdirat, renameat2, linkat, symlinkat, unlinkat) with the same
// arguments, kernel-resolved paths and socket tuples, and evt.is_io_uring set; opens into a
// registered-file slot and reads/writes of regular files (read, readv, write, writev) name
// the file the kernel used (fd.is_fixed_file for fixed files); io_uring_setup itself is a
// syscall event. The shared sensor wants every type with the open prefilter off, so every
// io_uring read/write of a regular file is reported. Real rings (liburing) in this process, paths in its own temp dir,
// sockets on loopback.
#include <arpa/inet.h>
#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "sensor_harness.h"

namespace vigil {
namespace {

using testing::OwnedEvent;
using testing::WaitFor;

uint32_t Me() { return static_cast<uint32_t>(getpid()); }

class SensorIoUring : public ::testing::Test {
 protected:
  void SetUp() override {
    sensor_ = testing::SharedSensor();
    ASSERT_NE(sensor_, nullptr);
    dir_ = testing::MakeRealTempDir("/tmp/vigil-iou-");
    ASSERT_FALSE(dir_.empty());
    ASSERT_EQ(io_uring_queue_init(8, &ring_, 0), 0);
  }
  void TearDown() override {
    io_uring_queue_exit(&ring_);
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(system(cmd.c_str()), 0);
  }
  // Submits the prepared SQE and returns the CQE's result.
  int Run() {
    if (io_uring_submit(&ring_) != 1) return -9999;
    io_uring_cqe* cqe = nullptr;
    if (io_uring_wait_cqe(&ring_, &cqe) != 0) return -9998;
    int res = cqe->res;
    io_uring_cqe_seen(&ring_, cqe);
    return res;
  }
  io_uring_sqe* Sqe() { return io_uring_get_sqe(&ring_); }
  std::vector<OwnedEvent> Uring(EventType type, ArgId id, const std::string& value) {
    return WaitFor(*sensor_, [&](const Event& ev) {
      const Arg* a = ev.Find(id);
      return ev.tgid == Me() && ev.type == type && ev.io_uring && a && a->is_str &&
             a->str == value;
    });
  }
  Sensor* sensor_ = nullptr;
  std::string dir_;
  io_uring ring_{};
};

TEST_F(SensorIoUring, SetupIsASyscallEvent) {
  auto evs = WaitFor(*sensor_, [&](const Event& ev) {
    const Arg* e = ev.Find(ArgId::kEntries);
    return ev.tgid == Me() && ev.type == EventType::kIoUringSetup && e && e->num == 8;
  });
  ASSERT_GE(evs.size(), 1u);
  EXPECT_EQ(evs.back().res, ring_.ring_fd);
  EXPECT_FALSE(evs.back().io_uring);
}

TEST_F(SensorIoUring, OpenatReportsTheOpenedFileAsOpenat) {
  const std::string path = dir_ + "/secret.txt";
  int w = open(path.c_str(), O_CREAT | O_WRONLY, 0600);
  ASSERT_GE(w, 0);
  close(w);
  // relative to a dirfd: the event names the file the kernel opened, absolute
  int dfd = open(dir_.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(dfd, 0);
  io_uring_prep_openat(Sqe(), dfd, "secret.txt", O_RDONLY, 0);
  int fd = Run();
  ASSERT_GE(fd, 0) << strerror(-fd);
  close(fd);
  close(dfd);
  auto evs = Uring(EventType::kOpenat, ArgId::kName, path);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].res, fd);
  EXPECT_EQ(evs[0].Num(ArgId::kFd), fd);
  EXPECT_EQ(evs[0].Num(ArgId::kDirfd), dfd);
  EXPECT_EQ(evs[0].Num(ArgId::kFlags), O_RDONLY);  // not the O_LARGEFILE io_uring adds
}

TEST_F(SensorIoUring, SocketConnectAcceptCarryTheTuple) {
  int lst = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(lst, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(lst, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t alen = sizeof(addr);
  ASSERT_EQ(getsockname(lst, reinterpret_cast<sockaddr*>(&addr), &alen), 0);
  ASSERT_EQ(listen(lst, 4), 0);
  const uint16_t port = ntohs(addr.sin_port);

  io_uring_prep_socket(Sqe(), AF_INET, SOCK_STREAM, 0, 0);
  int s = Run();
  ASSERT_GE(s, 0) << strerror(-s);
  io_uring_prep_connect(Sqe(), s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ASSERT_EQ(Run(), 0);
  io_uring_prep_accept(Sqe(), lst, nullptr, nullptr, 0);
  int a = Run();
  ASSERT_GE(a, 0) << strerror(-a);
  close(a);
  close(s);
  close(lst);

  auto sock = WaitFor(*sensor_, [&](const Event& ev) {
    return ev.tgid == Me() && ev.type == EventType::kSocket && ev.io_uring && ev.res == s;
  });
  ASSERT_EQ(sock.size(), 1u);
  EXPECT_EQ(sock[0].Num(ArgId::kDomain), AF_INET);
  EXPECT_EQ(sock[0].Num(ArgId::kType), SOCK_STREAM);
  auto conn = WaitFor(*sensor_, [&](const Event& ev) {
    return ev.tgid == Me() && ev.type == EventType::kConnect && ev.io_uring && ev.has_tuple &&
           ev.tuple.dport == port;
  });
  ASSERT_EQ(conn.size(), 1u);
  EXPECT_EQ(conn[0].res, 0);
  EXPECT_EQ(conn[0].tuple.family, AF_INET);
  const uint8_t lo[4] = {127, 0, 0, 1};
  EXPECT_EQ(std::memcmp(conn[0].tuple.dip.data(), lo, 4), 0);
  auto acc = WaitFor(*sensor_, [&](const Event& ev) {
    return ev.tgid == Me() && ev.type == EventType::kAccept4 && ev.io_uring && ev.res == a;
  });
  ASSERT_EQ(acc.size(), 1u);
  ASSERT_TRUE(acc[0].has_tuple);
  EXPECT_EQ(acc[0].tuple.dport, port);  // client -> server: the server is d*
}

TEST_F(SensorIoUring, PathRequestsAreReportedWithAbsolutePaths) {
  int dfd = open(dir_.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(dfd, 0);
  io_uring_prep_mkdirat(Sqe(), dfd, "d", 0750);
  ASSERT_EQ(Run(), 0);
  const std::string f = dir_ + "/d/f";
  int w = open(f.c_str(), O_CREAT | O_WRONLY, 0600);
  ASSERT_GE(w, 0);
  close(w);
  const std::string g = dir_ + "/d/g";  // the SQE keeps the pointer until submission
  io_uring_prep_renameat(Sqe(), dfd, "d/f", AT_FDCWD, g.c_str(), 0);
  ASSERT_EQ(Run(), 0);
  io_uring_prep_linkat(Sqe(), dfd, "d/g", dfd, "d/h", 0);
  ASSERT_EQ(Run(), 0);
  io_uring_prep_symlinkat(Sqe(), "/etc/shadow", dfd, "d/s");
  ASSERT_EQ(Run(), 0);
  io_uring_prep_unlinkat(Sqe(), dfd, "d/h", 0);
  ASSERT_EQ(Run(), 0);
  close(dfd);

  auto mk = Uring(EventType::kMkdirat, ArgId::kPath, dir_ + "/d");
  ASSERT_EQ(mk.size(), 1u);
  EXPECT_EQ(mk[0].Num(ArgId::kMode), 0750);
  EXPECT_EQ(mk[0].Num(ArgId::kDirfd), dfd);
  auto rn = Uring(EventType::kRenameat2, ArgId::kOldpath, dir_ + "/d/f");
  ASSERT_EQ(rn.size(), 1u);
  EXPECT_EQ(rn[0].Str(ArgId::kNewpath), dir_ + "/d/g");
  auto ln = Uring(EventType::kLinkat, ArgId::kNewpath, dir_ + "/d/h");
  ASSERT_EQ(ln.size(), 1u);
  EXPECT_EQ(ln[0].Str(ArgId::kOldpath), dir_ + "/d/g");
  auto sl = Uring(EventType::kSymlinkat, ArgId::kLinkpath, dir_ + "/d/s");
  ASSERT_EQ(sl.size(), 1u);
  EXPECT_EQ(sl[0].Str(ArgId::kTarget), "/etc/shadow");
  auto ul = Uring(EventType::kUnlinkat, ArgId::kName, dir_ + "/d/h");
  ASSERT_EQ(ul.size(), 1u);
}

TEST_F(SensorIoUring, OpenIntoFixedSlotReportsTheKernelFileAndSlot) {
  const std::string path = dir_ + "/secret.txt";
  {
    int w = open(path.c_str(), O_CREAT | O_WRONLY, 0600);
    ASSERT_GE(w, 0);
    ASSERT_EQ(write(w, "hush", 4), 4);
    close(w);
  }
  const std::string alias = dir_ + "/alias";  // a symlink: the event names the target
  ASSERT_EQ(symlink(path.c_str(), alias.c_str()), 0);
  ASSERT_EQ(io_uring_register_files_sparse(&ring_, 4), 0);
  io_uring_prep_openat_direct(Sqe(), AT_FDCWD, alias.c_str(), O_RDONLY, 0, 2);
  ASSERT_EQ(Run(), 0);
  char buf[8] = {};
  io_uring_sqe* sqe = Sqe();
  io_uring_prep_read(sqe, 2, buf, sizeof(buf), 0);
  sqe->flags |= IOSQE_FIXED_FILE;
  ASSERT_EQ(Run(), 4);

  auto op = Uring(EventType::kOpenat, ArgId::kName, path);
  ASSERT_EQ(op.size(), 1u) << "no openat for the fixed-slot open";
  EXPECT_TRUE(op[0].fixed_file);
  EXPECT_EQ(op[0].res, 2);  // the slot, not an fd
  EXPECT_EQ(op[0].Num(ArgId::kFd), 2);
  EXPECT_EQ(op[0].Num(ArgId::kFlags), O_RDONLY);
  auto rd = Uring(EventType::kRead, ArgId::kName, path);
  ASSERT_EQ(rd.size(), 1u) << "no read for READ of the fixed file";
  EXPECT_TRUE(rd[0].fixed_file);
  EXPECT_EQ(rd[0].res, 4);
  EXPECT_EQ(rd[0].Num(ArgId::kSize), static_cast<int64_t>(sizeof(buf)));
}

TEST_F(SensorIoUring, ReadsAndWritesOfAnFdOpenedElsewhereNameTheFile) {
  // The fd comes from a plain open() the rules may never have seen (before the daemon, from
  // a parent): the event names the file of the request, not an fd-table entry.
  const std::string path = dir_ + "/data.bin";
  int fd = open(path.c_str(), O_CREAT | O_RDWR, 0600);
  ASSERT_GE(fd, 0);
  const char msg[] = "0123456789";
  io_uring_prep_write(Sqe(), fd, msg, 10, 0);
  ASSERT_EQ(Run(), 10);
  iovec wv[2] = {{const_cast<char*>(msg), 3}, {const_cast<char*>(msg), 4}};
  io_uring_prep_writev(Sqe(), fd, wv, 2, 10);
  ASSERT_EQ(Run(), 7);
  char buf[16] = {};
  io_uring_prep_read(Sqe(), fd, buf, 5, 0);
  ASSERT_EQ(Run(), 5);
  iovec rv[1] = {{buf, 6}};
  io_uring_prep_readv(Sqe(), fd, rv, 1, 0);
  ASSERT_EQ(Run(), 6);
  close(fd);
  // A pipe is no regular file: not reported.
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  ASSERT_EQ(write(p[1], "x", 1), 1);
  io_uring_prep_read(Sqe(), p[0], buf, 1, 0);
  ASSERT_EQ(Run(), 1);
  close(p[0]);
  close(p[1]);

  auto w = Uring(EventType::kWrite, ArgId::kName, path);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].res, 10);
  EXPECT_EQ(w[0].Num(ArgId::kSize), 10);
  EXPECT_FALSE(w[0].fixed_file);
  auto wv_ev = Uring(EventType::kWritev, ArgId::kName, path);
  ASSERT_EQ(wv_ev.size(), 1u);
  EXPECT_EQ(wv_ev[0].res, 7);
  auto r = Uring(EventType::kRead, ArgId::kName, path);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].res, 5);
  auto rv_ev = Uring(EventType::kReadv, ArgId::kName, path);
  ASSERT_EQ(rv_ev.size(), 1u);
  EXPECT_EQ(rv_ev[0].res, 6);
  auto any_pipe = WaitFor(
      *sensor_,
      [&](const Event& ev) {
        return ev.tgid == Me() && ev.type == EventType::kRead && ev.io_uring &&
               ev.Find(ArgId::kName) && ev.Find(ArgId::kName)->str.find("pipe:") == 0;
      },
      1, 300);
  EXPECT_TRUE(any_pipe.empty());
}

}  // namespace
}  // namespace vigil
