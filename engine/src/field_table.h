// field_table.h — the X-macro table behind field_registry.h: id, Falco name, type, argument
// form, description. Engine-internal; static data, thread safe.
#pragma once

#include <cstdint>

// X(Id, "name", Type, Arg, "description")
#define VIGIL_FIELDS(X)                                                                          \
  X(EvtType, "evt.type", kCharbuf, kNone, "Event type name (execve, openat, connect...).")       \
  X(EvtTime, "evt.time", kCharbuf, kNone, "Event time as HH:MM:SS.nnnnnnnnn (UTC).")             \
  X(EvtTimeS, "evt.time.s", kCharbuf, kNone, "Event time as HH:MM:SS (UTC).")                    \
  X(EvtTimeIso, "evt.time.iso8601", kCharbuf, kNone, "Event time in ISO 8601 with ns (UTC).")    \
  X(EvtDatetime, "evt.datetime", kCharbuf, kNone, "Event date and time YYYY-MM-DD HH:MM:SS.ns.") \
  X(EvtRawtime, "evt.rawtime", kAbsTime, kNone, "Event time in ns since the epoch.")             \
  X(EvtRawtimeS, "evt.rawtime.s", kUint64, kNone, "Integer seconds of evt.rawtime.")             \
  X(EvtRawtimeNs, "evt.rawtime.ns", kUint64, kNone, "Fractional ns of evt.rawtime.")             \
  X(EvtNum, "evt.num", kUint64, kNone, "Event sequence number (<NA>: vigil does not number events).") \
  X(EvtDir, "evt.dir", kCharbuf, kNone, "Always '<': vigil evaluates exit events with enter arguments merged.") \
  X(EvtCpu, "evt.cpu", kInt64, kNone, "CPU the event happened on.")                              \
  X(EvtArg, "evt.arg", kCharbuf, kArgName, "An argument by name (evt.arg.flags) or index (evt.arg[0]), rendered as Falco does (symbolic flags, user names).") \
  X(EvtRawarg, "evt.rawarg", kInt64, kArgName, "An argument by name, raw (numeric when the argument is a number).") \
  X(EvtArgs, "evt.args", kCharbuf, kNone, "All arguments rendered as name=value pairs.")         \
  X(EvtRes, "evt.res", kCharbuf, kNone, "Return value as a string: SUCCESS, or the errno name (ENOENT).") \
  X(EvtRawres, "evt.rawres", kInt64, kNone, "Return value as a number.")                         \
  X(EvtFailed, "evt.failed", kBool, kNone, "true when the call returned an error.")              \
  X(EvtHostname, "evt.hostname", kCharbuf, kNone, "Host name of the machine vigil runs on.")     \
  X(EvtIsOpenRead, "evt.is_open_read", kBool, kNone, "open family with O_RDONLY or O_RDWR.")      \
  X(EvtIsOpenWrite, "evt.is_open_write", kBool, kNone, "open family with O_WRONLY, O_RDWR or O_TRUNC (O_RDONLY|O_TRUNC truncates).")   \
  X(EvtIsOpenExec, "evt.is_open_exec", kBool, kNone, "open family creating a file with an executable mode.") \
  X(EvtIsOpenCreate, "evt.is_open_create", kBool, kNone, "open family with O_CREAT.")            \
  X(EvtBuffer, "evt.buffer", kCharbuf, kNone, "I/O buffer (not captured by vigil: <NA>).")       \
  X(EvtSource, "evt.source", kCharbuf, kNone, "Event source: always 'syscall'.")                 \
  X(EvtIsAsync, "evt.is_async", kBool, kNone, "Always false (no async events).")                 \
  X(EvtIsIoUring, "evt.is_io_uring", kBool, kNone, "true when an io_uring request, not a syscall, did this (reported with the syscall's evt.type).") \
  X(EvtIsCompat, "evt.is_compat", kBool, kNone, "true for a 32-bit (i386 ABI: int $0x80, compat sysenter) call of a 64-bit kernel; evt.type is the event of the same name.") \
  X(ProcName, "proc.name", kCharbuf, kNone, "Process name (task comm).")                         \
  X(ProcExe, "proc.exe", kCharbuf, kNone, "First command line argument (argv[0]).")              \
  X(ProcExepath, "proc.exepath", kCharbuf, kNone, "Full path of the executable.")                \
  X(ProcCmdline, "proc.cmdline", kCharbuf, kNone, "Process name and arguments: 'bash -c id'.")   \
  X(ProcExeline, "proc.exeline", kCharbuf, kNone, "argv[0] and arguments.")                      \
  X(ProcArgs, "proc.args", kCharbuf, kNone, "Arguments joined with spaces (argv[1..]).")         \
  X(ProcPid, "proc.pid", kInt64, kNone, "Process id (host tgid).")                               \
  X(ProcPpid, "proc.ppid", kInt64, kNone, "Parent process id.")                                  \
  X(ProcVpid, "proc.vpid", kInt64, kNone, "Process id in its own pid namespace.")                \
  X(ProcPvpid, "proc.pvpid", kInt64, kNone, "Parent's id in its own pid namespace.")             \
  X(ProcSid, "proc.sid", kInt64, kNone, "Session id.")                                           \
  X(ProcSname, "proc.sname", kCharbuf, kNone, "Name of the session leader.")                     \
  X(ProcSidExe, "proc.sid.exe", kCharbuf, kNone, "argv[0] of the session leader.")               \
  X(ProcSidExepath, "proc.sid.exepath", kCharbuf, kNone, "Executable path of the session leader.") \
  X(ProcIsSidLeader, "proc.is_sid_leader", kBool, kNone, "true when pid == sid.")                \
  X(ProcVpgid, "proc.vpgid", kInt64, kNone, "Process group id in its pid namespace.")            \
  X(ProcVpgidName, "proc.vpgid.name", kCharbuf, kNone, "Name of the process group leader.")      \
  X(ProcVpgidExe, "proc.vpgid.exe", kCharbuf, kNone, "argv[0] of the process group leader.")     \
  X(ProcVpgidExepath, "proc.vpgid.exepath", kCharbuf, kNone, "Executable path of the process group leader.") \
  X(ProcIsVpgidLeader, "proc.is_vpgid_leader", kBool, kNone, "true when vpid == vpgid.")         \
  X(ProcTty, "proc.tty", kUint64, kNone, "Controlling terminal device number (0: none).")        \
  X(ProcCwd, "proc.cwd", kCharbuf, kNone, "Current working directory.")                          \
  X(ProcPname, "proc.pname", kCharbuf, kNone, "Parent process name.")                            \
  X(ProcPcmdline, "proc.pcmdline", kCharbuf, kNone, "Parent command line.")                      \
  X(ProcPexe, "proc.pexe", kCharbuf, kNone, "Parent argv[0].")                                   \
  X(ProcPexepath, "proc.pexepath", kCharbuf, kNone, "Parent executable path.")                   \
  X(ProcAname, "proc.aname", kCharbuf, kIndexOptional, "Ancestor name: [0] self, [1] parent...; without index matches any ancestor.") \
  X(ProcApid, "proc.apid", kInt64, kIndexOptional, "Ancestor pid ([n] as proc.aname).")          \
  X(ProcAexe, "proc.aexe", kCharbuf, kIndexOptional, "Ancestor argv[0].")                        \
  X(ProcAexepath, "proc.aexepath", kCharbuf, kIndexOptional, "Ancestor executable path.")        \
  X(ProcAcmdline, "proc.acmdline", kCharbuf, kIndexOptional, "Ancestor command line.")           \
  X(ProcIsExeWritable, "proc.is_exe_writable", kBool, kNone, "The executable is writable by the process's user.") \
  X(ProcIsExeFromMemfd, "proc.is_exe_from_memfd", kBool, kNone, "The executable is a memfd (fileless).") \
  X(ProcIsExeUpperLayer, "proc.is_exe_upper_layer", kBool, kNone, "The executable is in an overlayfs upper layer.") \
  X(ProcExeIno, "proc.exe_ino", kInt64, kNone, "Inode of the executable.")                       \
  X(ProcExeInoCtime, "proc.exe_ino.ctime", kAbsTime, kNone, "ctime of the executable.")          \
  X(ProcExeInoMtime, "proc.exe_ino.mtime", kAbsTime, kNone, "mtime of the executable.")          \
  X(ProcExeInoCtimeDurProcStart, "proc.exe_ino.ctime_duration_proc_start", kRelTime, kNone, "Process start minus executable ctime (ns).") \
  X(ProcExeInoCtimeDurPidnsStart, "proc.exe_ino.ctime_duration_pidns_start", kRelTime, kNone, "Not tracked: <NA>.") \
  X(ProcEnv, "proc.env", kCharbuf, kKeyOptional, "Environment (space separated) or one variable: proc.env[HOME].") \
  X(ProcEnvTruncated, "proc.env_truncated", kBool, kNone, "The environment was longer than the sensor keeps (32 KiB): proc.env holds its start.") \
  X(ProcArgsTruncated, "proc.args_truncated", kBool, kNone, "argv was longer than the sensor keeps (64 KiB): proc.args/cmdline hold its start.") \
  X(ProcDuration, "proc.duration", kRelTime, kNone, "ns since the process started.")             \
  X(ProcPpidDuration, "proc.ppid.duration", kRelTime, kNone, "ns since the parent started.")     \
  X(ProcStartTs, "proc.pid.ts", kAbsTime, kNone, "Process start time (ns since the epoch).")     \
  X(ProcIsContainerHealthcheck, "proc.is_container_healthcheck", kBool, kNone, "Always false.")  \
  X(ProcIsContainerLiveness, "proc.is_container_liveness_probe", kBool, kNone, "Always false.")  \
  X(ProcIsContainerReadiness, "proc.is_container_readiness_probe", kBool, kNone, "Always false.") \
  X(ThreadTid, "thread.tid", kInt64, kNone, "Thread id.")                                        \
  X(ThreadVtid, "thread.vtid", kInt64, kNone, "Thread id in its pid namespace (main thread: vpid).") \
  X(ThreadIsMain, "thread.ismain", kBool, kNone, "true when tid == pid.")                        \
  X(ThreadCapPermitted, "thread.cap_permitted", kCharbuf, kNone, "Permitted capabilities (CAP_X CAP_Y).") \
  X(ThreadCapEffective, "thread.cap_effective", kCharbuf, kNone, "Effective capabilities.")      \
  X(ThreadCapInheritable, "thread.cap_inheritable", kCharbuf, kNone, "Inheritable capabilities.") \
  X(UserUid, "user.uid", kUint64, kNone, "Effective user id.")                                   \
  X(UserName, "user.name", kCharbuf, kNone, "User name (from /etc/passwd).")                     \
  X(UserHomedir, "user.homedir", kCharbuf, kNone, "User home directory.")                        \
  X(UserShell, "user.shell", kCharbuf, kNone, "User login shell.")                               \
  X(UserLoginuid, "user.loginuid", kInt64, kNone, "Audit login uid (-1 when unset).")            \
  X(UserLoginname, "user.loginname", kCharbuf, kNone, "User name of the login uid.")             \
  X(GroupGid, "group.gid", kUint64, kNone, "Effective group id.")                                \
  X(GroupName, "group.name", kCharbuf, kNone, "Group name (from /etc/group).")                   \
  X(FdNum, "fd.num", kInt64, kNone, "File descriptor number.")                                   \
  X(FdName, "fd.name", kCharbuf, kNone, "File path, socket tuple (sip:sport->dip:dport) or unix path.") \
  X(FdNameraw, "fd.nameraw", kCharbuf, kNone, "Path as given (not made absolute).")              \
  X(FdIsFixedFile, "fd.is_fixed_file", kBool, kNone, "true when the file is an io_uring registered (fixed) file: it is in the ring's file table, not the fd table; fd.num is then its slot.") \
  X(FdAlias, "fd.alias", kCharbuf, kNone, "The path the kernel opened a watched file by, when it is not the path the rules name (a hard link, a bind mount); fd.name is then the rules' path.") \
  X(FdDirectory, "fd.directory", kCharbuf, kNone, "Directory of fd.name.")                       \
  X(FdFilename, "fd.filename", kCharbuf, kNone, "File name part of fd.name.")                    \
  X(FdTypechar, "fd.typechar", kCharbuf, kNone, "fd type letter: f 4 6 u p e s l i t n m b o.")   \
  X(FdType, "fd.type", kCharbuf, kNone, "fd type: file directory ipv4 ipv6 unix pipe ...")       \
  X(FdTypes, "fd.types", kCharbuf, kIndexOptional, "fd type (vigil: of the event's fd).")         \
  X(FdIp, "fd.ip", kIpAddr, kNone, "Matches either endpoint address.")                           \
  X(FdCip, "fd.cip", kIpAddr, kNone, "Client address.")                                          \
  X(FdSip, "fd.sip", kIpAddr, kNone, "Server address.")                                          \
  X(FdLip, "fd.lip", kIpAddr, kNone, "Local address.")                                           \
  X(FdRip, "fd.rip", kIpAddr, kNone, "Remote address.")                                          \
  X(FdPort, "fd.port", kPort, kNone, "Matches either endpoint port.")                            \
  X(FdCport, "fd.cport", kPort, kNone, "Client port.")                                           \
  X(FdSport, "fd.sport", kPort, kNone, "Server port.")                                           \
  X(FdLport, "fd.lport", kPort, kNone, "Local port.")                                            \
  X(FdRport, "fd.rport", kPort, kNone, "Remote port.")                                           \
  X(FdNet, "fd.net", kIpNet, kNone, "Either endpoint in a CIDR network.")                        \
  X(FdCnet, "fd.cnet", kIpNet, kNone, "Client address in a CIDR network.")                       \
  X(FdSnet, "fd.snet", kIpNet, kNone, "Server address in a CIDR network.")                       \
  X(FdLnet, "fd.lnet", kIpNet, kNone, "Local address in a CIDR network.")                        \
  X(FdRnet, "fd.rnet", kIpNet, kNone, "Remote address in a CIDR network.")                       \
  X(FdCipName, "fd.cip.name", kCharbuf, kNone, "Client host name (no DNS: <NA>).")               \
  X(FdSipName, "fd.sip.name", kCharbuf, kNone, "Server host name (no DNS: <NA>).")               \
  X(FdLipName, "fd.lip.name", kCharbuf, kNone, "Local host name (no DNS: <NA>).")                \
  X(FdRipName, "fd.rip.name", kCharbuf, kNone, "Remote host name (no DNS: <NA>).")               \
  X(FdL4proto, "fd.l4proto", kCharbuf, kNone, "tcp, udp, icmp or raw.")                          \
  X(FdSockfamily, "fd.sockfamily", kCharbuf, kNone, "ip or unix.")                               \
  X(FdIsServer, "fd.is_server", kBool, kNone, "The process is the server side of the socket.")   \
  X(FdConnected, "fd.connected", kBool, kNone, "The socket is connected.")                       \
  X(FdNameChanged, "fd.name_changed", kBool, kNone, "The fd name changed (connect on an unconnected socket).") \
  X(FdDev, "fd.dev", kInt64, kNone, "Device number of the opened file (stat st_dev), from the kernel; <NA> unless an open succeeded.") \
  X(FdIno, "fd.ino", kInt64, kNone, "Inode of the opened file, from the kernel; <NA> unless an open succeeded.") \
  X(FdNameTruncated, "fd.name_truncated", kBool, kNone, "true when the kernel path walk of the opened file stopped before the root (deeper or longer than PATH_MAX): fd.name is then \"<truncated>\" + the path's last components.") \
  X(FsPathName, "fs.path.name", kCharbuf, kNone, "Path of a filesystem syscall (open/mkdir/unlink/...), absolute.") \
  X(FsPathNameraw, "fs.path.nameraw", kCharbuf, kNone, "Path of a filesystem syscall as given.") \
  X(FsPathSource, "fs.path.source", kCharbuf, kNone, "Source path of rename/link/symlink, absolute.") \
  X(FsPathSourceraw, "fs.path.sourceraw", kCharbuf, kNone, "Source path as given.")              \
  X(FsPathTarget, "fs.path.target", kCharbuf, kNone, "Target path of rename/link/symlink, absolute.") \
  X(FsPathTargetraw, "fs.path.targetraw", kCharbuf, kNone, "Target path as given.")              \
  X(ContainerId, "container.id", kCharbuf, kNone, "Short container id, 'host' when not in a container.") \
  X(ContainerFullId, "container.full_id", kCharbuf, kNone, "Container id ('host' outside containers).") \
  X(ContainerName, "container.name", kCharbuf, kNone, "Container name ('host' outside containers, <NA> otherwise).") \
  X(ContainerImage, "container.image", kCharbuf, kNone, "Image (<NA>: no runtime metadata).")    \
  X(ContainerImageId, "container.image.id", kCharbuf, kNone, "Image id (<NA>).")                 \
  X(ContainerImageRepository, "container.image.repository", kCharbuf, kNone, "Image repository (<NA>).") \
  X(ContainerImageTag, "container.image.tag", kCharbuf, kNone, "Image tag (<NA>).")              \
  X(ContainerImageDigest, "container.image.digest", kCharbuf, kNone, "Image digest (<NA>).")     \
  X(ContainerType, "container.type", kCharbuf, kNone, "Runtime type: 'host' or <NA>.")           \
  X(ContainerPrivileged, "container.privileged", kBool, kNone, "Container process holding NET_ADMIN, SYS_MODULE, SYS_RAWIO, SYS_PTRACE and SYS_ADMIN (heuristic; <NA> outside containers).")   \
  X(ContainerMounts, "container.mounts", kCharbuf, kNone, "Mounts (<NA>).")                      \
  X(ContainerMount, "container.mount", kCharbuf, kKeyRequired, "One mount by index or source (<NA>).") \
  X(ContainerMountSource, "container.mount.source", kCharbuf, kKeyRequired, "Mount source (<NA>).") \
  X(ContainerMountDest, "container.mount.dest", kCharbuf, kKeyRequired, "Mount destination (<NA>).") \
  X(ContainerMountMode, "container.mount.mode", kCharbuf, kKeyRequired, "Mount mode (<NA>).")    \
  X(ContainerMountRdwr, "container.mount.rdwr", kCharbuf, kKeyRequired, "Mount rdwr (<NA>).")    \
  X(ContainerMountPropagation, "container.mount.propagation", kCharbuf, kKeyRequired, "Mount propagation (<NA>).") \
  X(ContainerLabel, "container.label", kCharbuf, kKeyRequired, "One container label: container.label[key] (<NA>: absent).") \
  X(ContainerLabels, "container.labels", kCharbuf, kNone, "Container labels 'k1:v1, k2:v2' (<NA>: none).") \
  X(ContainerStartTs, "container.start_ts", kAbsTime, kNone, "Container start (<NA>).")          \
  X(ContainerDuration, "container.duration", kRelTime, kNone, "Container age (<NA>).")           \
  X(ContainerIp, "container.ip", kCharbuf, kNone, "Container ip (<NA>).")                        \
  X(ContainerCniJson, "container.cni.json", kCharbuf, kNone, "CNI result (<NA>).")               \
  X(ContainerHostPid, "container.host_pid", kBool, kNone, "Shares the host pid namespace (<NA>).") \
  X(ContainerHostNetwork, "container.host_network", kBool, kNone, "Shares the host network (<NA>).") \
  X(ContainerHostIpc, "container.host_ipc", kBool, kNone, "Shares the host ipc namespace (<NA>).") \
  X(ContainerHealthcheck, "container.healthcheck", kCharbuf, kNone, "Healthcheck (<NA>).")       \
  X(ContainerLivenessProbe, "container.liveness_probe", kCharbuf, kNone, "Liveness probe (<NA>).") \
  X(ContainerReadinessProbe, "container.readiness_probe", kCharbuf, kNone, "Readiness probe (<NA>).") \
  X(K8sNsName, "k8s.ns.name", kCharbuf, kNone, "Kubernetes namespace (<NA>: no k8s metadata).")  \
  X(K8sPodName, "k8s.pod.name", kCharbuf, kNone, "Pod name (<NA>).")                             \
  X(K8sPodId, "k8s.pod.id", kCharbuf, kNone, "Pod id (<NA>).")                                   \
  X(K8sPodUid, "k8s.pod.uid", kCharbuf, kNone, "Pod uid (<NA>).")                                \
  X(K8sPodSandboxId, "k8s.pod.sandbox_id", kCharbuf, kNone, "Pod sandbox id (<NA>).")            \
  X(K8sPodFullSandboxId, "k8s.pod.full_sandbox_id", kCharbuf, kNone, "Pod full sandbox id (<NA>).") \
  X(K8sPodLabel, "k8s.pod.label", kCharbuf, kKeyRequired, "Pod label (<NA>).")                  \
  X(K8sPodLabels, "k8s.pod.labels", kCharbuf, kNone, "Pod labels (<NA>).")                       \
  X(K8sPodIp, "k8s.pod.ip", kCharbuf, kNone, "Pod ip (<NA>).")                                   \
  X(K8sPodCniJson, "k8s.pod.cni.json", kCharbuf, kNone, "Pod CNI result (<NA>).")                \
  X(K8sNsLabel, "k8s.ns.label", kCharbuf, kKeyRequired, "Namespace label (<NA>).")              \
  X(K8sDeploymentName, "k8s.deployment.name", kCharbuf, kNone, "Deployment (<NA>).")             \
  X(K8sRsName, "k8s.rs.name", kCharbuf, kNone, "Replica set (<NA>).")                            \
  X(K8sSvcName, "k8s.svc.name", kCharbuf, kNone, "Service (<NA>).")

namespace vigil {

enum class FieldId : uint16_t {
#define VIGIL_X_FIELD_ID(id, name, type, arg, desc) k##id,
  VIGIL_FIELDS(VIGIL_X_FIELD_ID)
#undef VIGIL_X_FIELD_ID
  kCount
};

}  // namespace vigil
