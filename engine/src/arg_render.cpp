// arg_render.cpp — Falco-style symbolic rendering of syscall arguments (see arg_render.h).
#include "arg_render.h"

#include <fcntl.h>
#include <string.h>

#include <array>

namespace vigil {
namespace {

struct FlagName {
  int64_t bit;
  std::string_view name;
};

constexpr FlagName kOpenFlags[] = {
    {O_CREAT, "O_CREAT"},       {O_EXCL, "O_EXCL"},         {O_NOCTTY, "O_NOCTTY"},
    {O_TRUNC, "O_TRUNC"},       {O_APPEND, "O_APPEND"},     {O_NONBLOCK, "O_NONBLOCK"},
    {O_DSYNC, "O_DSYNC"},       {O_ASYNC, "O_ASYNC"},       {O_DIRECT, "O_DIRECT"},
    {O_LARGEFILE, "O_LARGEFILE"}, {O_DIRECTORY, "O_DIRECTORY"}, {O_NOFOLLOW, "O_NOFOLLOW"},
    {O_NOATIME, "O_NOATIME"},   {O_CLOEXEC, "O_CLOEXEC"},   {O_PATH, "O_PATH"},
    {O_TMPFILE & ~O_DIRECTORY, "O_TMPFILE"}, {O_SYNC & ~O_DSYNC, "O_SYNC"},
};

constexpr FlagName kModeFlags[] = {
    {0001, "S_IXOTH"}, {0002, "S_IWOTH"}, {0004, "S_IROTH"}, {0010, "S_IXGRP"},
    {0020, "S_IWGRP"}, {0040, "S_IRGRP"}, {0100, "S_IXUSR"}, {0200, "S_IWUSR"},
    {0400, "S_IRUSR"}, {01000, "S_ISVTX"}, {02000, "S_ISGID"}, {04000, "S_ISUID"},
};

constexpr FlagName kCloneFlags[] = {
    {0x00000100, "CLONE_VM"},        {0x00000200, "CLONE_FS"},
    {0x00000400, "CLONE_FILES"},     {0x00000800, "CLONE_SIGHAND"},
    {0x00001000, "CLONE_PIDFD"},     {0x00002000, "CLONE_PTRACE"},
    {0x00004000, "CLONE_VFORK"},     {0x00008000, "CLONE_PARENT"},
    {0x00010000, "CLONE_THREAD"},    {0x00020000, "CLONE_NEWNS"},
    {0x00040000, "CLONE_SYSVSEM"},   {0x00080000, "CLONE_SETTLS"},
    {0x00100000, "CLONE_PARENT_SETTID"}, {0x00200000, "CLONE_CHILD_CLEARTID"},
    {0x00800000, "CLONE_UNTRACED"},  {0x01000000, "CLONE_CHILD_SETTID"},
    {0x02000000, "CLONE_NEWCGROUP"}, {0x04000000, "CLONE_NEWUTS"},
    {0x08000000, "CLONE_NEWIPC"},    {0x10000000, "CLONE_NEWUSER"},
    {0x20000000, "CLONE_NEWPID"},    {0x40000000, "CLONE_NEWNET"},
    {0x80000000LL, "CLONE_IO"},
};

// mmap/mprotect protection (Falco renders it as PROT_READ|PROT_WRITE|PROT_EXEC; 0 is PROT_NONE).
constexpr FlagName kProtFlags[] = {
    {0x1, "PROT_READ"}, {0x2, "PROT_WRITE"}, {0x4, "PROT_EXEC"}, {0x8, "PROT_SEM"},
    {0x01000000, "PROT_GROWSDOWN"}, {0x02000000, "PROT_GROWSUP"},
};

constexpr FlagName kMemfdFlags[] = {
    {0x1, "MFD_CLOEXEC"}, {0x2, "MFD_ALLOW_SEALING"}, {0x4, "MFD_HUGETLB"},
    {0x8, "MFD_NOEXEC_SEAL"}, {0x10, "MFD_EXEC"},
};

constexpr FlagName kPtraceRequests[] = {
    {0, "PTRACE_TRACEME"},     {1, "PTRACE_PEEKTEXT"},   {2, "PTRACE_PEEKDATA"},
    {3, "PTRACE_PEEKUSR"},     {4, "PTRACE_POKETEXT"},   {5, "PTRACE_POKEDATA"},
    {6, "PTRACE_POKEUSR"},     {7, "PTRACE_CONT"},       {8, "PTRACE_KILL"},
    {9, "PTRACE_SINGLESTEP"},  {12, "PTRACE_GETREGS"},   {13, "PTRACE_SETREGS"},
    {14, "PTRACE_GETFPREGS"},  {15, "PTRACE_SETFPREGS"}, {16, "PTRACE_ATTACH"},
    {17, "PTRACE_DETACH"},     {18, "PTRACE_GETFPXREGS"}, {19, "PTRACE_SETFPXREGS"},
    {24, "PTRACE_SYSCALL"},    {31, "PTRACE_SYSEMU"},    {32, "PTRACE_SYSEMU_SINGLESTEP"},
    {0x4200, "PTRACE_SETOPTIONS"}, {0x4201, "PTRACE_GETEVENTMSG"},
    {0x4202, "PTRACE_GETSIGINFO"}, {0x4203, "PTRACE_SETSIGINFO"},
    {0x4204, "PTRACE_GETREGSET"},  {0x4205, "PTRACE_SETREGSET"},
    {0x4206, "PTRACE_SEIZE"},      {0x4207, "PTRACE_INTERRUPT"},
    {0x4208, "PTRACE_LISTEN"},     {0x4209, "PTRACE_PEEKSIGINFO"},
};

constexpr FlagName kSocketFamilies[] = {
    {0, "AF_UNSPEC"},  {1, "AF_UNIX"},    {2, "AF_INET"},    {3, "AF_AX25"},
    {4, "AF_IPX"},     {5, "AF_APPLETALK"}, {9, "AF_X25"},   {10, "AF_INET6"},
    {16, "AF_NETLINK"}, {17, "AF_PACKET"}, {29, "AF_CAN"},   {31, "AF_BLUETOOTH"},
    {38, "AF_ALG"},    {40, "AF_VSOCK"},  {44, "AF_XDP"},
};

constexpr FlagName kBpfCommands[] = {
    {0, "BPF_MAP_CREATE"}, {1, "BPF_MAP_LOOKUP_ELEM"}, {2, "BPF_MAP_UPDATE_ELEM"},
    {3, "BPF_MAP_DELETE_ELEM"}, {4, "BPF_MAP_GET_NEXT_KEY"}, {5, "BPF_PROG_LOAD"},
    {6, "BPF_OBJ_PIN"}, {7, "BPF_OBJ_GET"}, {8, "BPF_PROG_ATTACH"}, {9, "BPF_PROG_DETACH"},
    {10, "BPF_PROG_TEST_RUN"}, {11, "BPF_PROG_GET_NEXT_ID"}, {12, "BPF_MAP_GET_NEXT_ID"},
    {13, "BPF_PROG_GET_FD_BY_ID"}, {14, "BPF_MAP_GET_FD_BY_ID"}, {15, "BPF_OBJ_GET_INFO_BY_FD"},
    {16, "BPF_PROG_QUERY"}, {17, "BPF_RAW_TRACEPOINT_OPEN"}, {18, "BPF_BTF_LOAD"},
    {28, "BPF_LINK_CREATE"},
};

constexpr std::array<std::string_view, 41> kCapNames = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
    "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
    "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
    "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"};

template <std::size_t N>
void RenderBits(const FlagName (&table)[N], int64_t value, CharSink* out) {
  bool first = true;
  for (const auto& f : table) {
    if ((value & f.bit) == f.bit && f.bit != 0) {
      if (!first) out->AppendChar('|');
      out->Append(f.name);
      first = false;
    }
  }
}

template <std::size_t N>
bool RenderEnum(const FlagName (&table)[N], int64_t value, CharSink* out) {
  for (const auto& f : table) {
    if (f.bit == value) {
      out->Append(f.name);
      return true;
    }
  }
  return false;
}

}  // namespace

bool IsOpenFamily(EventType t) noexcept {
  return t == EventType::kOpen || t == EventType::kOpenat || t == EventType::kOpenat2 ||
         t == EventType::kCreat || t == EventType::kOpenByHandleAt;
}

bool IsSocketTupleEvent(EventType t) noexcept {
  switch (t) {
    case EventType::kConnect: case EventType::kAccept: case EventType::kAccept4:
    case EventType::kBind: case EventType::kSendto: case EventType::kRecvfrom:
    case EventType::kSendmsg: case EventType::kRecvmsg: case EventType::kListen:
    case EventType::kDup: case EventType::kDup2: case EventType::kDup3:  // oldfd's socket
      return true;
    default:
      return false;
  }
}

void CharSink::AppendInt(int64_t v) noexcept {
  char tmp[24];
  int n = 0;
  uint64_t u = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  do {
    tmp[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (v < 0) AppendChar('-');
  while (n > 0) AppendChar(tmp[--n]);
}

bool OpenFlagsRead(int64_t flags) noexcept {
  int64_t acc = flags & O_ACCMODE;
  return acc == O_RDONLY || acc == O_RDWR;
}
bool OpenFlagsWrite(int64_t flags) noexcept {
  // O_RDONLY|O_TRUNC truncates a regular file (the kernel asks for write permission): a write.
  int64_t acc = flags & O_ACCMODE;
  return acc == O_WRONLY || acc == O_RDWR || (flags & O_TRUNC) != 0;
}
bool OpenFlagsCreate(int64_t flags) noexcept { return (flags & O_CREAT) != 0; }
bool OpenFlagsDirectory(int64_t flags) noexcept { return (flags & O_DIRECTORY) != 0; }

bool RenderSymbolicArg(EventType type, ArgId id, int64_t value, CharSink* out) noexcept {
  switch (id) {
    case ArgId::kFlags:
      if (IsOpenFamily(type)) {
        int64_t acc = value & O_ACCMODE;
        out->Append(acc == O_WRONLY ? "O_WRONLY" : acc == O_RDWR ? "O_RDWR" : "O_RDONLY");
        std::size_t before = out->len;
        out->AppendChar('|');
        RenderBits(kOpenFlags, value, out);
        if (out->len == before + 1) out->len = before;  // nothing after the access mode
        return true;
      }
      if (type == EventType::kClone || type == EventType::kClone3 || type == EventType::kUnshare ||
          type == EventType::kFork || type == EventType::kVfork) {
        RenderBits(kCloneFlags, value, out);
        return true;
      }
      if (type == EventType::kMemfdCreate) {
        RenderBits(kMemfdFlags, value, out);
        return true;
      }
      return false;
    case ArgId::kProt:
      if (type != EventType::kMmap && type != EventType::kMprotect) return false;
      if (value == 0) {
        out->Append("PROT_NONE");
        return true;
      }
      RenderBits(kProtFlags, value, out);
      return true;
    case ArgId::kNstype:
      RenderBits(kCloneFlags, value, out);
      return true;
    case ArgId::kMode:
      if (type == EventType::kMkdir || type == EventType::kMkdirat || IsOpenFamily(type) ||
          type == EventType::kChmod || type == EventType::kFchmod || type == EventType::kFchmodat) {
        RenderBits(kModeFlags, value, out);
        return true;
      }
      return false;
    case ArgId::kRequest:
      return type == EventType::kPtrace && RenderEnum(kPtraceRequests, value, out);
    case ArgId::kDomain:
      return RenderEnum(kSocketFamilies, value, out);
    case ArgId::kCmd:
      return type == EventType::kBpf && RenderEnum(kBpfCommands, value, out);
    case ArgId::kSig: {
      const char* abbrev = sigabbrev_np(static_cast<int>(value));
      if (!abbrev) return false;
      out->Append("SIG");
      out->Append(abbrev);
      return true;
    }
    case ArgId::kCapEffective:
    case ArgId::kCapPermitted:
    case ArgId::kCapInheritable:
      RenderCapabilities(static_cast<uint64_t>(value), out);
      return true;
    default:
      return false;
  }
}

void RenderCapabilities(uint64_t caps, CharSink* out) noexcept {
  bool first = true;
  for (std::size_t i = 0; i < kCapNames.size(); ++i) {
    if (caps & (uint64_t{1} << i)) {
      if (!first) out->AppendChar(' ');
      out->Append(kCapNames[i]);
      first = false;
    }
  }
}

std::string_view ErrnoName(int64_t res) noexcept {
  int e = static_cast<int>(res < 0 ? -res : res);
  const char* n = strerrorname_np(e);
  return n ? std::string_view(n) : std::string_view();
}

}  // namespace vigil
