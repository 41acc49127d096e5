// fire_helper.cpp — a tiny program that performs ONE suspicious behaviour and exits, so the
// detection kernel tests (detections_fire_test.cpp) can run it under a chosen name
// (copied to e.g. <tmp>/nginx or /dev/shm/...) and check which upstream Falco rule fires.
// Test-only. Every action is harmless: reads, temp files, failing syscalls, own children.
//
//   fire_helper read <path>                 open(path, O_RDONLY)
//   fire_helper sleep-read <ms> <path>      sleep, then open(path, O_RDONLY)
//   fire_helper trunc <path>                open(path, O_WRONLY|O_TRUNC)
//   fire_helper open-write <path>           open(path, O_WRONLY)
//   fire_helper symlink <target> <link>     symlink(target, link)
//   fire_helper hardlink <old> <new>        link(old, new)
//   fire_helper spawn <path> [argv0 args...]          fork + execv + wait
//   fire_helper spawn-as <uid> <path> [argv0 args...] fork + setgid/setuid(uid) + execv + wait
//   fire_helper tty-spawn <pty> <path> [argv0 args...] fork + setsid + controlling tty + execv
//   fire_helper spawnp <PATH> <name> [args...]     fork + execvp(name) with that PATH (glibc
//                                           tries every directory: failed execves first)
//   fire_helper packet-socket               socket(AF_PACKET, SOCK_RAW)
//   fire_helper redirect-stdout             loopback TCP connection, dup2(socket, 1)
//   fire_helper redirect-stdout-fcntl       the same with close(1) + fcntl(socket, F_DUPFD, 1)
//   fire_helper uring-read <path>           IORING_OP_OPENAT(path, O_RDONLY) through io_uring
//   fire_helper uring-fixed-read <path>     IORING_OP_OPENAT into registered-file slot 1 (no fd
//                                           is installed), then IORING_OP_READ of that fixed file
//   fire_helper module                      finit_module(/dev/null) (fails: not a module)
//   fire_helper ptrace-attach               PTRACE_ATTACH to its own sleeping child
//   fire_helper traceme                     PTRACE_TRACEME
//   fire_helper memfd-exec <path> [argv0 args...]  copy path into a memfd, fexecve it
//   fire_helper timestomp [path|fd|utimes]  in a private mount namespace with a tmpfs on
//                                           /usr/local/sbin: create a file there, set its times
//                                           by path (utimensat), by fd (futimens: utimensat with
//                                           a NULL path) or with the old utimes syscall
//   fire_helper bind-read <file> <target>   in a private mount namespace, bind-mount file on
//                                           target (an existing file) and read target
//   fire_helper setcap-xattr <path> path|fd setxattr / fsetxattr security.capability
//                                           (cap_net_raw, effective) on a file of its own
//   fire_helper vm-writev                   process_vm_writev into its own stopped child
//   fire_helper open-by-handle <path>       name_to_handle_at + open_by_handle_at of path
//   fire_helper uring-setup                 io_uring_setup (a ring of 4), then closes it
//   fire_helper int80-read <path>           open(path, O_RDONLY) as a 32-bit syscall (int $0x80)
//   fire_helper int80-collide               i386 rt_sigprocmask (175) and ioperm (101): the
//                                           x86_64 numbers of init_module and ptrace
// Exit status: 0 when the action ran as intended (a failing syscall the action is about,
// like finit_module, still counts), 2 on usage errors, 3 when setup failed.
#include <arpa/inet.h>
#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

// Under LeakSanitizer (tools/ci-sanitizers) the exit-time leak check ptrace-attaches to this
// process's threads, which the ptrace rules under test rightly report as PTRACE_ATTACH. The
// helper is a short-lived trigger program: no leak check for it (a documented LSan hook;
// unused in other builds).
extern "C" __attribute__((used, visibility("default"))) int __lsan_is_turned_off() { return 1; }

namespace {

constexpr int kUsage = 2;
constexpr int kSetupFailed = 3;

int Fail(const char* what) {
  std::fprintf(stderr, "fire_helper: %s: %s\n", what, std::strerror(errno));
  return kSetupFailed;
}

std::vector<char*> ArgvFrom(int argc, char** argv, int first) {
  std::vector<char*> out(argv + first, argv + argc);
  out.push_back(nullptr);
  return out;
}

int WaitChild(pid_t child) {
  int status = 0;
  if (waitpid(child, &status, 0) < 0) return Fail("waitpid");
  return 0;
}

// argv[first] is the path to execute, argv[first+1..] its argv (argv0 first).
int Spawn(int argc, char** argv, int first, uid_t uid, const char* tty) {
  if (argc < first + 2) return kUsage;
  pid_t child = fork();
  if (child < 0) return Fail("fork");
  if (child == 0) {
    if (tty != nullptr) {
      if (setsid() < 0) _exit(Fail("setsid"));
      int fd = open(tty, O_RDWR);
      if (fd < 0) _exit(Fail("open tty"));
      if (ioctl(fd, TIOCSCTTY, 0) < 0) _exit(Fail("TIOCSCTTY"));
      dup2(fd, 0);
      dup2(fd, 1);
      dup2(fd, 2);
      if (fd > 2) close(fd);
    }
    if (uid != static_cast<uid_t>(-1)) {
      if (setgid(uid) != 0 || setuid(uid) != 0) _exit(Fail("setuid"));
    }
    std::vector<char*> args = ArgvFrom(argc, argv, first + 1);
    execv(argv[first], args.data());
    _exit(Fail("execv"));
  }
  return WaitChild(child);
}

int SpawnPath(int argc, char** argv) {
  if (argc < 4) return kUsage;
  pid_t child = fork();
  if (child < 0) return Fail("fork");
  if (child == 0) {
    setenv("PATH", argv[2], 1);
    std::vector<char*> args = ArgvFrom(argc, argv, 3);
    execvp(argv[3], args.data());
    _exit(Fail("execvp"));
  }
  return WaitChild(child);
}

int PacketSocket() {
  int fd = socket(AF_PACKET, SOCK_RAW, 0);
  if (fd < 0) return Fail("socket(AF_PACKET)");
  close(fd);
  return 0;
}

// A loopback TCP connection made stdout for a moment, by dup2 or by close(1) +
// fcntl(F_DUPFD, 1) (the same technique to a rule), then stdout is restored.
int RedirectStdout(bool with_fcntl) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  if (listener < 0) return Fail("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listener, 1) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return Fail("listen");
  }
  int conn = socket(AF_INET, SOCK_STREAM, 0);
  if (conn < 0) return Fail("socket");
  if (connect(conn, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return Fail("connect");
  }
  int saved = dup(1);
  if (with_fcntl) {
    close(1);
    if (fcntl(conn, F_DUPFD, 1) != 1) return Fail("fcntl F_DUPFD");
  } else if (dup2(conn, 1) != 1) {
    return Fail("dup2");
  }
  dup2(saved, 1);
  close(saved);
  close(conn);
  close(listener);
  return 0;
}

// A mount namespace of this process whose mounts do not propagate to the host's.
int EnterPrivateMountNamespace() {
  if (unshare(CLONE_NEWNS) != 0) return Fail("unshare(CLONE_NEWNS)");
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return Fail("make / private");
  return 0;
}

// Timestomping a "system" file without touching the host: a private mount namespace, a
// tmpfs over /usr/local/sbin (the kernel-resolved path is /usr/local/sbin/...), a file there.
int Timestomp(const std::string& mode) {
  if (int rc = EnterPrivateMountNamespace()) return rc;
  if (mount("vigil-test", "/usr/local/sbin", "tmpfs", 0, "size=64k") != 0) return Fail("mount tmpfs");
  const char* path = "/usr/local/sbin/vigil-timestomp";
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
  if (fd < 0) return Fail("create");
  timespec old[2] = {{946684800, 0}, {946684800, 0}};  // 2000-01-01
  int rc = -1;
  if (mode == "fd") {
    rc = futimens(fd, old);
  } else if (mode == "utimes") {
    timeval tv[2] = {{946684800, 0}, {946684800, 0}};
    rc = static_cast<int>(syscall(SYS_utimes, path, tv));
  } else {
    rc = utimensat(AT_FDCWD, path, old, 0);
  }
  close(fd);
  if (rc != 0) return Fail("set times");
  return 0;  // the namespace and its tmpfs go away with the process
}

int OpenAndClose(const char* path, int flags);

// Reads a file through a bind mount of it (the kernel's path is the mount point's).
int BindRead(const char* file, const char* target) {
  if (int rc = EnterPrivateMountNamespace()) return rc;
  if (mount(file, target, nullptr, MS_BIND, nullptr) != 0) return Fail("bind mount");
  return OpenAndClose(target, O_RDONLY);
}

// security.capability, VFS v2 format: cap_net_raw (13) permitted, effective bit set.
int SetcapXattr(const char* path, const std::string& how) {
  vfs_cap_data cap{};
  cap.magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE;
  cap.data[0].permitted = 1u << CAP_NET_RAW;
  int rc;
  if (how == "fd") {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Fail("open");
    rc = fsetxattr(fd, "security.capability", &cap, XATTR_CAPS_SZ_2, 0);
    close(fd);
  } else {
    rc = setxattr(path, "security.capability", &cap, XATTR_CAPS_SZ_2, 0);
  }
  return rc == 0 ? 0 : Fail("setxattr security.capability");
}

// Writes a byte into a stopped child's copy of a local variable.
int VmWritev() {
  static char target = 'a';
  pid_t child = fork();
  if (child < 0) return Fail("fork");
  if (child == 0) {
    raise(SIGSTOP);
    _exit(target == 'b' ? 0 : 1);
  }
  int status = 0;
  if (waitpid(child, &status, WUNTRACED) < 0) return Fail("waitpid");
  char b = 'b';
  iovec local{&b, 1}, remote{&target, 1};
  ssize_t n = process_vm_writev(child, &local, 1, &remote, 1, 0);
  kill(child, SIGCONT);
  waitpid(child, &status, 0);
  return n == 1 ? 0 : Fail("process_vm_writev");
}

int OpenByHandle(const char* path) {
  alignas(file_handle) unsigned char buf[sizeof(file_handle) + MAX_HANDLE_SZ] = {};
  auto* fh = reinterpret_cast<file_handle*>(buf);
  fh->handle_bytes = MAX_HANDLE_SZ;
  int mount_id = 0;
  if (name_to_handle_at(AT_FDCWD, path, fh, &mount_id, 0) != 0) return Fail("name_to_handle_at");
  int mount_fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (mount_fd < 0) return Fail("open /");
  int fd = open_by_handle_at(mount_fd, fh, O_RDONLY | O_CLOEXEC);
  close(mount_fd);
  if (fd < 0) return Fail("open_by_handle_at");
  close(fd);
  return 0;
}

int UringSetup() {
  io_uring ring{};
  if (io_uring_queue_init(4, &ring, 0) != 0) return Fail("io_uring_queue_init");
  io_uring_queue_exit(&ring);
  return 0;
}

// Opens path for reading through io_uring (no open syscall), reads a byte, closes it.
int UringRead(const char* path) {
  io_uring ring{};
  if (io_uring_queue_init(4, &ring, 0) != 0) return Fail("io_uring_queue_init");
  io_uring_sqe* sqe = io_uring_get_sqe(&ring);
  io_uring_prep_openat(sqe, AT_FDCWD, path, O_RDONLY, 0);
  io_uring_cqe* cqe = nullptr;
  if (io_uring_submit(&ring) != 1 || io_uring_wait_cqe(&ring, &cqe) != 0) return Fail("submit");
  int fd = cqe->res;
  io_uring_cqe_seen(&ring, cqe);
  io_uring_queue_exit(&ring);
  if (fd < 0) {
    errno = -fd;
    return Fail("io_uring openat");
  }
  char c;
  if (read(fd, &c, 1) < 0) return Fail("read");
  close(fd);
  return 0;
}

// Opens path into a registered-file slot through io_uring (no fd in the fd table), reads a
// byte from the fixed file, closes the slot.
int UringFixedRead(const char* path) {
  io_uring ring{};
  if (io_uring_queue_init(4, &ring, 0) != 0) return Fail("io_uring_queue_init");
  if (io_uring_register_files_sparse(&ring, 4) != 0) return Fail("register files");
  auto run = [&](const char* what) {
    io_uring_cqe* cqe = nullptr;
    if (io_uring_submit(&ring) != 1 || io_uring_wait_cqe(&ring, &cqe) != 0) return -1000;
    int res = cqe->res;
    io_uring_cqe_seen(&ring, cqe);
    if (res < 0) std::fprintf(stderr, "fire_helper: %s: %s\n", what, std::strerror(-res));
    return res;
  };
  io_uring_prep_openat_direct(io_uring_get_sqe(&ring), AT_FDCWD, path, O_RDONLY, 0, 1);
  if (run("openat into slot 1") < 0) return 3;
  char c = 0;
  io_uring_sqe* sqe = io_uring_get_sqe(&ring);
  io_uring_prep_read(sqe, 1, &c, 1, 0);
  sqe->flags |= IOSQE_FIXED_FILE;
  if (run("read fixed file") < 0) return 3;
  io_uring_queue_exit(&ring);
  return 0;
}

int Module() {
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail("open /dev/null");
  // /dev/null is not a module: the kernel refuses it. The attempt is what is detected.
  long rc = syscall(SYS_finit_module, fd, "", 0);
  std::fprintf(stderr, "fire_helper: finit_module -> %ld (%s)\n", rc, rc ? std::strerror(errno) : "ok");
  close(fd);
  return 0;
}

int PtraceAttach() {
  pid_t target = fork();
  if (target < 0) return Fail("fork");
  if (target == 0) {
    for (;;) pause();
  }
  int rc = 0;
  if (ptrace(PTRACE_ATTACH, target, nullptr, nullptr) != 0) {
    rc = Fail("PTRACE_ATTACH");
  } else {
    int status = 0;
    waitpid(target, &status, 0);
    ptrace(PTRACE_DETACH, target, nullptr, nullptr);
  }
  kill(target, SIGKILL);  // our own child
  waitpid(target, nullptr, 0);
  return rc;
}

int Traceme() {
  if (ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) return Fail("PTRACE_TRACEME");
  return 0;
}

int MemfdExec(int argc, char** argv) {
  if (argc < 4) return kUsage;
  int src = open(argv[2], O_RDONLY | O_CLOEXEC);
  if (src < 0) return Fail("open source");
  int mem = static_cast<int>(syscall(SYS_memfd_create, "vigil-fire", 0));
  if (mem < 0) return Fail("memfd_create");
  char buf[65536];
  for (;;) {
    ssize_t n = read(src, buf, sizeof(buf));
    if (n < 0) return Fail("read");
    if (n == 0) break;
    if (write(mem, buf, static_cast<size_t>(n)) != n) return Fail("write memfd");
  }
  close(src);
  std::vector<char*> args = ArgvFrom(argc, argv, 3);
  char* envp[] = {nullptr};
  fexecve(mem, args.data(), envp);
  return Fail("fexecve");
}

int SleepMs(long ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
  return 0;
}

int OpenAndClose(const char* path, int flags) {
  int fd = open(path, flags | O_CLOEXEC, 0600);
  if (fd < 0) return Fail(path);
  close(fd);
  return 0;
}

// Maps `path` executable (what ld.so does with a library) after opening and closing
// `first` (when given) so that the library's fd number once named that other file.
int MapExec(const char* path, const char* first) {
  if (first != nullptr && OpenAndClose(first, O_RDONLY) != 0) return 1;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail(path);
  void* m = mmap(nullptr, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
  if (m == MAP_FAILED) return Fail("mmap");
  munmap(m, 4096);
  close(fd);
  return 0;
}

#if defined(__x86_64__)
long Int80(long nr, long a = 0, long b = 0, long c = 0, long d = 0) {
  long ret;
  asm volatile("int $0x80"
               : "=a"(ret)
               : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d)
               : "memory", "r8", "r9", "r10", "r11");
  return ret;
}

// A copy of `s` the 32-bit ABI can address (MAP_32BIT: below 2 GiB).
char* LowString(const char* s) {
  void* p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
                 -1, 0);
  if (p == MAP_FAILED) return nullptr;
  std::strncpy(static_cast<char*>(p), s, 4095);
  return static_cast<char*>(p);
}

int Int80Read(const char* path) {
  char* low = LowString(path);
  if (low == nullptr) return Fail("mmap MAP_32BIT");
  long fd = Int80(5 /* i386 open */, reinterpret_cast<long>(low), O_RDONLY, 0);
  if (fd < 0) {
    errno = static_cast<int>(-fd);
    return Fail(path);
  }
  Int80(6 /* i386 close */, fd);
  return 0;
}

int Int80Collide() {
  if (Int80(175 /* i386 rt_sigprocmask */, 0 /* SIG_BLOCK */, 0, 0, 8) != 0) {
    return Fail("rt_sigprocmask");
  }
  Int80(101 /* i386 ioperm */, 0, 0, 0);
  return 0;
}
#endif

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return kUsage;
  const std::string action = argv[1];
  if (action == "read" && argc == 3) return OpenAndClose(argv[2], O_RDONLY);
  if (action == "sleep-read" && argc == 4) {
    SleepMs(std::atol(argv[2]));
    return OpenAndClose(argv[3], O_RDONLY);
  }
  if (action == "trunc" && argc == 3) return OpenAndClose(argv[2], O_WRONLY | O_TRUNC);
  if (action == "trunc-rdonly" && argc == 3) return OpenAndClose(argv[2], O_RDONLY | O_TRUNC);
  if (action == "map-exec" && argc == 3) return MapExec(argv[2], nullptr);
  if (action == "map-exec-after" && argc == 4) return MapExec(argv[3], argv[2]);
  if (action == "open-write" && argc == 3) return OpenAndClose(argv[2], O_WRONLY | O_CREAT);
  if (action == "symlink" && argc == 4) {
    return symlink(argv[2], argv[3]) == 0 ? 0 : Fail("symlink");
  }
  if (action == "hardlink" && argc == 4) {
    return link(argv[2], argv[3]) == 0 ? 0 : Fail("link");
  }
  if (action == "spawn") return Spawn(argc, argv, 2, static_cast<uid_t>(-1), nullptr);
  if (action == "spawn-as" && argc >= 5) {
    return Spawn(argc, argv, 3, static_cast<uid_t>(std::atol(argv[2])), nullptr);
  }
  if (action == "tty-spawn" && argc >= 5) {
    return Spawn(argc, argv, 3, static_cast<uid_t>(-1), argv[2]);
  }
  if (action == "spawnp") return SpawnPath(argc, argv);
  if (action == "packet-socket") return PacketSocket();
  if (action == "redirect-stdout") return RedirectStdout(false);
  if (action == "redirect-stdout-fcntl") return RedirectStdout(true);
  if (action == "uring-read" && argc == 3) return UringRead(argv[2]);
  if (action == "uring-fixed-read" && argc == 3) return UringFixedRead(argv[2]);
  if (action == "module") return Module();
  if (action == "ptrace-attach") return PtraceAttach();
  if (action == "traceme") return Traceme();
  if (action == "memfd-exec") return MemfdExec(argc, argv);
  if (action == "timestomp") return Timestomp(argc >= 3 ? argv[2] : "path");
  if (action == "setcap-xattr" && argc == 4) return SetcapXattr(argv[2], argv[3]);
  if (action == "vm-writev") return VmWritev();
  if (action == "bind-read" && argc == 4) return BindRead(argv[2], argv[3]);
  if (action == "open-by-handle" && argc == 3) return OpenByHandle(argv[2]);
  if (action == "uring-setup") return UringSetup();
#if defined(__x86_64__)
  if (action == "int80-read" && argc == 3) return Int80Read(argv[2]);
  if (action == "int80-collide") return Int80Collide();
#endif
  std::fprintf(stderr, "fire_helper: unknown action or arguments: %s\n", action.c_str());
  return kUsage;
}
