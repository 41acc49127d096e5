// container_hold.cpp — holding events of containers whose metadata is pending (container_hold.h).
#include "vigil/container_hold.h"

#include <vector>

namespace vigil {

struct ContainerHold::Held {
  std::string container_id;
  Clock::time_point held_at, deadline;
  Event ev;
  ExecInfo exec;
  ForkInfo fork;
  std::string strings;  // backing store of every string_view in ev / exec
  ProcessTable table;   // the process, its ancestors and the fds the event names
};

namespace {

// Total bytes of the event's strings.
std::size_t StringBytes(const Event& ev) {
  std::size_t n = 0;
  for (uint8_t i = 0; i < ev.nargs; ++i)
    if (ev.args[i].is_str) n += ev.args[i].str.size();
  n += ev.tuple.unix_path.size();
  if (ev.exec) {
    const ExecInfo& x = *ev.exec;
    n += x.filename.size() + x.exepath.size() + x.comm.size() + x.args.size() + x.env.size() +
         x.cwd.size() + x.cgroup.size();
  }
  return n;
}

std::string_view Copy(std::string& buf, std::string_view s) {
  std::size_t at = buf.size();
  buf.append(s);  // capacity reserved up front: earlier views stay valid
  return std::string_view(buf.data() + at, s.size());
}

}  // namespace

ContainerHold::ContainerHold(std::chrono::milliseconds hold, std::size_t max_held)
    : hold_(hold), max_held_(max_held) {}
ContainerHold::~ContainerHold() = default;

bool ContainerHold::ShouldHold(const Process& p, const ContainerStore& store) const {
  if (p.container_full_id.empty()) return false;
  if (!per_container_.empty() && per_container_.count(p.container_full_id)) return true;
  return store.StatusOf(p.container_full_id) == ContainerStore::Status::kPending;
}

bool ContainerHold::Hold(const Event& ev, const Process& p, const ProcessTable& table, Clock::time_point now) {
  if (held_.size() >= max_held_) return false;
  auto h = std::make_unique<Held>();
  h->container_id = p.container_full_id;
  h->held_at = now;
  h->deadline = now + hold_;
  h->strings.reserve(StringBytes(ev));
  h->ev = ev;
  for (uint8_t i = 0; i < h->ev.nargs; ++i)
    if (h->ev.args[i].is_str) h->ev.args[i].str = Copy(h->strings, ev.args[i].str);
  h->ev.tuple.unix_path = Copy(h->strings, ev.tuple.unix_path);
  if (ev.exec) {
    h->exec = *ev.exec;
    ExecInfo& x = h->exec;
    x.filename = Copy(h->strings, x.filename);
    x.exepath = Copy(h->strings, x.exepath);
    x.comm = Copy(h->strings, x.comm);
    x.args = Copy(h->strings, x.args);
    x.env = Copy(h->strings, x.env);
    x.cwd = Copy(h->strings, x.cwd);
    x.cgroup = Copy(h->strings, x.cgroup);
    h->ev.exec = &h->exec;
  }
  if (ev.fork) {
    h->fork = *ev.fork;
    h->ev.fork = &h->fork;
  }
  // The state the evaluation reads: the process and its ancestors (proc.p*, proc.a*), and
  // the fds the event names (fd.*).
  table.CopyLineage(p, &h->table);
  auto copy_fd = [&](int64_t fd) {
    if (fd < 0) return;
    if (const FdInfo* f = table.FindFd(p.pid, fd)) h->table.SetFd(p.pid, fd, *f);
  };
  for (ArgId id : {ArgId::kFd, ArgId::kOldfd, ArgId::kNewfd, ArgId::kDirfd}) {
    const Arg* a = ev.Find(id);
    if (a && !a->is_str) copy_fd(a->num);
  }
  copy_fd(ev.res);
  ++per_container_[h->container_id];
  held_.push_back(std::move(h));
  return true;
}

ContainerHold::Released ContainerHold::ReleaseIf(const std::function<bool(const Held&)>& due,
                                                 const ContainerStore* store, Clock::time_point now,
                                                 const Evaluate& eval) {
  Released r;
  if (held_.empty()) return r;
  std::vector<std::unique_ptr<Held>> out;
  std::deque<std::unique_ptr<Held>> keep;
  std::unordered_map<std::string, bool> kept;  // containers with an earlier event still held
  for (auto& h : held_) {
    bool hold_on = kept.count(h->container_id) > 0 || !due(*h);
    if (hold_on) {
      kept[h->container_id] = true;
      keep.push_back(std::move(h));
    } else {
      out.push_back(std::move(h));
    }
  }
  held_.swap(keep);
  for (auto& h : out) {
    auto it = per_container_.find(h->container_id);
    if (it != per_container_.end() && --it->second == 0) per_container_.erase(it);
    bool have = store && store->Find(h->container_id) != nullptr;
    (have ? r.with_metadata : r.expired)++;
    r.wait_ns += static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(now - h->held_at).count());
    eval(h->ev, h->table);
  }
  return r;
}

ContainerHold::Released ContainerHold::Release(const ContainerStore& store, Clock::time_point now,
                                               const Evaluate& eval) {
  std::unordered_map<std::string, bool> pending;
  auto due = [&](const Held& h) {
    if (now >= h.deadline) return true;
    auto it = pending.find(h.container_id);
    if (it == pending.end())
      it = pending.emplace(h.container_id, store.StatusOf(h.container_id) == ContainerStore::Status::kPending).first;
    return !it->second;
  };
  return ReleaseIf(due, &store, now, eval);
}

ContainerHold::Released ContainerHold::Flush(const Evaluate& eval) {
  return ReleaseIf([](const Held&) { return true; }, nullptr, Clock::now(), eval);
}

}  // namespace vigil
