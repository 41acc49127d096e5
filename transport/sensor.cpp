#include "vigil/sensor.h"
#include "vigil/watched_files.h"

#include <sys/sysmacros.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wire.h"  // before the skeleton: it names struct vigil_sc_desc
#include "vigil.skel.h"
#include "vigil/record_decoder.h"
#include "vigil/compat_syscall_table.h"
#include "vigil/syscall_table.h"
#include "vigil/watched_files.h"

namespace vigil {
namespace {

struct SkelDeleter {
  void operator()(vigil_bpf* s) const noexcept { vigil_bpf__destroy(s); }
};
struct LinkDeleter {
  void operator()(bpf_link* l) const noexcept { bpf_link__destroy(l); }
};
struct RingDeleter {
  void operator()(ring_buffer* r) const noexcept { ring_buffer__free(r); }
};
using SkelPtr = std::unique_ptr<vigil_bpf, SkelDeleter>;
using LinkPtr = std::unique_ptr<bpf_link, LinkDeleter>;
using RingPtr = std::unique_ptr<ring_buffer, RingDeleter>;

std::string ErrnoText(const char* step, int err) {
  if (err < 0) err = -err;
  return std::string(step) + ": " + std::strerror(err) + " (errno " + std::to_string(err) + ")";
}

std::size_t RingSize(std::size_t bytes) {
  std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  std::size_t n = page;
  while (n < bytes) n <<= 1;
  return n;
}

// libbpf prints to stderr by default; keep its messages quiet unless asked for.
int QuietLibbpf(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (level == LIBBPF_WARN && getenv("VIGIL_LIBBPF_DEBUG") != nullptr) {
    return vfprintf(stderr, fmt, args);
  }
  if (level == LIBBPF_DEBUG && getenv("VIGIL_LIBBPF_DEBUG") != nullptr) {
    return vfprintf(stderr, fmt, args);
  }
  return 0;
}

}  // namespace

struct Sensor::Impl {
  SkelPtr skel;  // destroyed last
  std::vector<LinkPtr> links;
  LinkPtr enter_link;
  RingPtr ring;  // destroyed first
  RecordDecoder decoder;
  Event event;
  const std::function<void(const Event&)>* on_event = nullptr;
  uint64_t events = 0, records = 0, decode_errors = 0, skipped = 0;
  int delivered_this_poll = 0;
  std::string mode;
  SensorOptions options;
  // What this process installed in the maps it updates, for VerifyMaps().
  uint8_t installed_interest[VIGIL_NR_MAX] = {};
  uint8_t installed_procexit = 0;
  uint8_t installed_env = 0;
  uint8_t installed_iou_rw = 0;  // VIGIL_IOU_READS | VIGIL_IOU_WRITES
  uint8_t installed_filter = 0;
  vigil_opf_bits installed_bits = {};  // the prefilter's quick-reject bitmaps
  std::vector<std::pair<std::string, uint8_t>> installed_prefixes, installed_suffixes;
  WatchedFiles watched;  // files the rules name, by identity (watched_files.h)
  std::vector<uint64_t> self_obj_keys;
  std::vector<std::string> frozen;

  bpf_program* enter_prog() const {
    return mode == "tp_btf" ? skel->progs.vigil_sys_enter_btf : skel->progs.vigil_sys_enter_raw;
  }

  static int OnRecord(void* ctx, void* data, size_t size) {
    auto* self = static_cast<Impl*>(ctx);
    ++self->records;
    switch (self->decoder.Decode(data, size, &self->event)) {
      case DecodeResult::kEvent:
        ++self->events;
        ++self->delivered_this_poll;
        if (!self->watched.empty()) self->watched.Apply(&self->event);
        (*self->on_event)(self->event);
        break;
      case DecodeResult::kSkipped: ++self->skipped; break;
      case DecodeResult::kMalformed: ++self->decode_errors; break;
    }
    return 0;
  }

  std::bitset<kEventTypeCount> Effective(std::bitset<kEventTypeCount> types) const {
    if (!options.capture_send_recv) {
      for (EventType t : {EventType::kSendto, EventType::kRecvfrom, EventType::kSendmsg,
                          EventType::kRecvmsg}) {
        types.reset(static_cast<std::size_t>(t));
      }
    }
    // read/write(v) come from io_uring requests only (iou_rw): in the bitmap they would make
    // sys_exit report every read(2) and write(2) on the machine.
    for (EventType t : {EventType::kRead, EventType::kWrite, EventType::kReadv, EventType::kWritev}) {
      types.reset(static_cast<std::size_t>(t));
    }
    return types;
  }

  // vigil's own programs, maps and links into self_objs (kind << 32 | id): the probe marks
  // bpf() calls that reach them (probes/syscalls/targets.bpf.h).
  void RecordSelfObjects() {
    auto add = [this](uint32_t kind, int fd, bool link) {
      if (fd < 0) return;
      uint32_t id = 0;
      if (link) {
        bpf_link_info info{};
        uint32_t len = sizeof(info);
        if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) return;
        id = info.id;
      } else if (kind == 1) {
        bpf_prog_info info{};
        uint32_t len = sizeof(info);
        if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) return;
        id = info.id;
      } else {
        bpf_map_info info{};
        uint32_t len = sizeof(info);
        if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) return;
        id = info.id;
      }
      self_obj_keys.push_back((uint64_t{kind} << 32) | id);
    };
    bpf_program* p = nullptr;
    bpf_object__for_each_program(p, skel->obj) add(1, bpf_program__fd(p), false);
    bpf_map* m = nullptr;
    bpf_object__for_each_map(m, skel->obj) add(2, bpf_map__fd(m), false);
    for (const LinkPtr& l : links) add(3, bpf_link__fd(l.get()), true);
    WriteSelfObjects();
  }
  void WriteSelfObjects() {
    const int fd = bpf_map__fd(skel->maps.self_objs);
    const uint8_t one = 1;
    for (uint64_t k : self_obj_keys) bpf_map_update_elem(fd, &k, &one, BPF_ANY);
  }
  // Maps that user space never writes after load are frozen (BPF_MAP_FREEZE: no more
  // writes through bpf(); the probes still write them): the counters (hiding drops), the
  // scratch lock (blinding every record), the scratch buffers and the sys_enter args.
  // .rodata (the syscall table, self_tgid) is frozen by libbpf at load.
  void FreezeStaticMaps() {
    for (bpf_map* m : {skel->maps.counters, skel->maps.scratch_busy, skel->maps.scratch,
                       skel->maps.exec_scratch,
                       skel->maps.pathbufs, skel->maps.enter_map, skel->maps.throttle_active}) {
      if (bpf_map_freeze(bpf_map__fd(m)) == 0) frozen.emplace_back(bpf_map__name(m));
    }
  }

  // Writes the live interest bytes; attaches sys_enter only when it is needed.
  int ApplyInterest(const std::bitset<kEventTypeCount>& wanted, std::string* error) {
    auto types = Effective(wanted);
    uint8_t bytes[VIGIL_NR_MAX];
    SyscallTable::Get().InterestBytes(types, bytes);
    bool any = false;
    for (int i = 0; i < VIGIL_NR_MAX; ++i) {
      skel->bss->sc_interest[i] = bytes[i];
      any = any || bytes[i] != 0;
    }
    std::memcpy(installed_interest, bytes, sizeof(bytes));
    skel->bss->want_procexit = types.test(static_cast<std::size_t>(EventType::kProcExit)) ? 1 : 0;
    installed_procexit = skel->bss->want_procexit;
    auto has = [&](EventType t) { return wanted.test(static_cast<std::size_t>(t)); };
    skel->bss->iou_rw = static_cast<uint8_t>(
        ((has(EventType::kRead) || has(EventType::kReadv)) ? VIGIL_IOU_READS : 0) |
        ((has(EventType::kWrite) || has(EventType::kWritev)) ? VIGIL_IOU_WRITES : 0));
    installed_iou_rw = skel->bss->iou_rw;
    const bool need_enter = options.capture_args_at_enter && any;
    if (need_enter && !enter_link) {
      bpf_link* l = bpf_program__attach(enter_prog());
      if (l == nullptr) {
        if (error) *error = ErrnoText("attach sys_enter", errno);
        return -errno;
      }
      enter_link.reset(l);
    } else if (!need_enter && enter_link) {
      enter_link.reset();
    }
    return 0;
  }
};

Sensor::Sensor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Sensor::~Sensor() = default;

namespace {

// Flood-control class of each syscall (probes/wire.h enum vigil_sc_class): what an attacker
// must not be able to push out of the ring with a flood of cheap records.
void FillFloodClasses(const SyscallTable& table, uint8_t (&out)[VIGIL_NR_MAX]) {
  std::memset(out, VIGIL_CLASS_CHEAP, sizeof(out));
  auto mark = [&](std::initializer_list<EventType> types, uint8_t cls) {
    for (EventType t : types)
      for (int nr : table.NumbersFor(t))
        if (nr >= 0 && nr < VIGIL_NR_MAX) out[nr] = cls;
  };
  mark({EventType::kExecve, EventType::kExecveat, EventType::kClone, EventType::kClone3,
        EventType::kFork, EventType::kVfork, EventType::kSetuid, EventType::kSetgid,
        EventType::kSetreuid, EventType::kSetregid, EventType::kSetresuid,
        EventType::kSetresgid, EventType::kCapset, EventType::kPtrace,
        EventType::kInitModule, EventType::kFinitModule, EventType::kBpf,
        EventType::kProcessVmReadv, EventType::kProcessVmWritev, EventType::kPidfdGetfd,
        EventType::kSetns, EventType::kUnshare, EventType::kMount, EventType::kMemfdCreate,
        EventType::kIoUringSetup, EventType::kUserfaultfd},
       VIGIL_CLASS_PRIO);
  mark({EventType::kConnect, EventType::kAccept, EventType::kAccept4, EventType::kBind,
        EventType::kListen},
       VIGIL_CLASS_RESERVE);
}

std::unique_ptr<Sensor::Impl> TryOpen(const SensorOptions& options, const std::string& mode,
                                      std::string* error) {
  auto impl = std::make_unique<Sensor::Impl>();
  impl->options = options;
  impl->mode = mode;
  vigil_bpf* raw = vigil_bpf__open();
  if (raw == nullptr) {
    *error = ErrnoText("open BPF object", errno);
    return nullptr;
  }
  impl->skel.reset(raw);
  vigil_bpf* s = raw;
  const bool btf = mode == "tp_btf";
  bpf_program* btf_progs[] = {s->progs.vigil_sys_exit_btf, s->progs.vigil_sys_enter_btf,
                              s->progs.vigil_exec_btf, s->progs.vigil_fork_btf,
                              s->progs.vigil_exit_btf, s->progs.vigil_iou_submit_btf,
                              s->progs.vigil_iou_complete_btf};
  bpf_program* raw_progs[] = {s->progs.vigil_sys_exit_raw, s->progs.vigil_sys_enter_raw,
                              s->progs.vigil_exec_raw, s->progs.vigil_fork_raw,
                              s->progs.vigil_exit_raw, s->progs.vigil_iou_submit_raw,
                              s->progs.vigil_iou_complete_raw};
  for (bpf_program* p : btf_progs) bpf_program__set_autoload(p, btf);
  for (bpf_program* p : raw_progs) bpf_program__set_autoload(p, !btf);

  const SyscallTable& table = SyscallTable::Get();
  s->rodata->self_tgid = options.self_tgid;
  s->rodata->wakeup_backlog = options.wakeup_backlog_bytes;
  s->rodata->nr_execve = static_cast<uint32_t>(table.nr_execve);
  s->rodata->nr_execveat = static_cast<uint32_t>(table.nr_execveat);
  s->rodata->nr_clone = static_cast<uint32_t>(table.nr_clone);
  s->rodata->nr_clone3 = static_cast<uint32_t>(table.nr_clone3);
  s->rodata->nr_fork = static_cast<uint32_t>(table.nr_fork);
  s->rodata->nr_vfork = static_cast<uint32_t>(table.nr_vfork);
  s->rodata->nr_fcntl = static_cast<uint32_t>(table.nr_fcntl);
  s->rodata->nr_mmap = static_cast<uint32_t>(table.nr_mmap);
  s->rodata->nr_mprotect = static_cast<uint32_t>(table.nr_mprotect);
  s->rodata->nr_bpf = static_cast<uint32_t>(table.nr_bpf);
  s->rodata->nr_pidfd_getfd = static_cast<uint32_t>(table.nr_pidfd_getfd);
  // io_uring requests are reported as these syscalls (probes/io_uring/io_uring.bpf.h).
  auto first_nr = [&](EventType t) {
    const auto& nrs = table.NumbersFor(t);
    return nrs.empty() ? uint32_t{VIGIL_NR_MAX} : static_cast<uint32_t>(nrs.front());
  };
  s->rodata->nr_openat = first_nr(EventType::kOpenat);
  s->rodata->nr_openat2 = first_nr(EventType::kOpenat2);
  s->rodata->nr_connect = first_nr(EventType::kConnect);
  s->rodata->nr_accept4 = first_nr(EventType::kAccept4);
  s->rodata->nr_socket = first_nr(EventType::kSocket);
  s->rodata->nr_renameat2 = first_nr(EventType::kRenameat2);
  s->rodata->nr_unlinkat = first_nr(EventType::kUnlinkat);
  s->rodata->nr_mkdirat = first_nr(EventType::kMkdirat);
  s->rodata->nr_linkat = first_nr(EventType::kLinkat);
  s->rodata->nr_symlinkat = first_nr(EventType::kSymlinkat);
  s->rodata->nr_read = first_nr(EventType::kRead);
  s->rodata->nr_write = first_nr(EventType::kWrite);
  s->rodata->nr_readv = first_nr(EventType::kReadv);
  s->rodata->nr_writev = first_nr(EventType::kWritev);
  vigil_sc_desc descs[VIGIL_NR_MAX];
  table.FillDescriptors(descs);
  if (options.capture_args_at_enter) {
    for (auto& d : descs) d.flags |= VIGIL_SC_ENTER;
  }
  std::memcpy(s->rodata->sc_desc, descs, sizeof(descs));
  uint8_t classes[VIGIL_NR_MAX];
  FillFloodClasses(table, classes);
  std::memcpy(s->rodata->sc_class, classes, sizeof(classes));
  s->rodata->throttle_events = std::max<uint32_t>(options.throttle_events, 1);
  s->rodata->throttle_window_ns =
      uint64_t{std::max<uint32_t>(options.throttle_window_ms, 1)} * 1000000ULL;
  uint16_t compat_nr[VIGIL_NR_MAX];
  uint16_t socketcall_nr[VIGIL_SOCKETCALL_MAX];
  FillCompatTables(table, compat_nr, socketcall_nr);
  std::memcpy(s->rodata->compat_nr, compat_nr, sizeof(compat_nr));
  std::memcpy(s->rodata->socketcall_nr, socketcall_nr, sizeof(socketcall_nr));
  s->rodata->compat_nr_socketcall = static_cast<uint32_t>(CompatSocketcallNr());

  int err = bpf_map__set_max_entries(s->maps.events,
                                     static_cast<uint32_t>(RingSize(options.ring_bytes)));
  if (err) {
    *error = ErrnoText("size ring buffer", err);
    return nullptr;
  }
  // The exec record's buffer: one entry per possible CPU (process/exec.bpf.h).
  const int ncpu = libbpf_num_possible_cpus();
  err = ncpu > 0 ? bpf_map__set_max_entries(s->maps.exec_scratch, static_cast<uint32_t>(ncpu))
                 : ncpu;
  if (err) {
    *error = ErrnoText("size exec buffer", err);
    return nullptr;
  }
  err = vigil_bpf__load(s);
  if (err) {
    *error = ErrnoText(("load probes (" + mode + ")").c_str(), err);
    return nullptr;
  }
  bpf_program* attach[] = {btf ? s->progs.vigil_sys_exit_btf : s->progs.vigil_sys_exit_raw,
                           btf ? s->progs.vigil_exec_btf : s->progs.vigil_exec_raw,
                           btf ? s->progs.vigil_fork_btf : s->progs.vigil_fork_raw,
                           btf ? s->progs.vigil_exit_btf : s->progs.vigil_exit_raw,
                           btf ? s->progs.vigil_iou_submit_btf : s->progs.vigil_iou_submit_raw,
                           btf ? s->progs.vigil_iou_complete_btf
                               : s->progs.vigil_iou_complete_raw};
  for (bpf_program* p : attach) {
    bpf_link* l = bpf_program__attach(p);
    if (l == nullptr) {
      *error = ErrnoText(("attach " + std::string(bpf_program__name(p))).c_str(), errno);
      return nullptr;
    }
    impl->links.emplace_back(l);
  }
  if (impl->ApplyInterest(options.interest, error) < 0) return nullptr;
  s->bss->want_env = options.capture_env ? 1 : 0;
  impl->installed_env = s->bss->want_env;
  impl->RecordSelfObjects();
  impl->FreezeStaticMaps();
  ring_buffer* rb = ring_buffer__new(bpf_map__fd(s->maps.events), &Sensor::Impl::OnRecord,
                                     impl.get(), nullptr);
  if (rb == nullptr) {
    *error = ErrnoText("ring_buffer__new", errno);
    return nullptr;
  }
  impl->ring.reset(rb);
  return impl;
}

}  // namespace

std::unique_ptr<Sensor> Sensor::Open(const SensorOptions& options, std::string* error) {
  std::string local_error;
  if (error == nullptr) error = &local_error;
  libbpf_set_print(QuietLibbpf);
  std::vector<std::string> modes;
  if (options.hook_mode == "auto") {
    modes = {"tp_btf", "raw_tp"};
  } else if (options.hook_mode == "tp_btf" || options.hook_mode == "raw_tp") {
    modes = {options.hook_mode};
  } else {
    *error = "unknown hook mode '" + options.hook_mode + "' (auto, tp_btf, raw_tp)";
    return nullptr;
  }
  std::string errors;
  for (const std::string& mode : modes) {
    std::string e;
    auto impl = TryOpen(options, mode, &e);
    if (impl) return std::unique_ptr<Sensor>(new Sensor(std::move(impl)));
    if (!errors.empty()) errors += "; ";
    errors += e;
  }
  *error = errors;
  return nullptr;
}

namespace {

// Deletes every key of a map (LPM tries support get_next_key from a null key).
template <typename Key>
void ClearMap(int fd) {
  Key key{};
  while (bpf_map_get_next_key(fd, nullptr, &key) == 0) {
    if (bpf_map_delete_elem(fd, &key) != 0) break;
  }
}

// Trie entries for one pattern list: text (cut to what the probe compares) -> value bits,
// each including the bits of every shorter pattern it extends (the trie's lookup returns
// the longest match only). `is_suffix`: patterns match the end of the path.
std::vector<std::pair<std::string, uint8_t>> TrieEntries(
    const std::vector<OpenPrefilter::Pattern>& patterns, std::size_t max_len, bool is_suffix) {
  std::vector<std::pair<std::string, uint8_t>> out;
  for (const auto& p : patterns) {
    std::string t = p.text;
    if (t.size() > max_len) t = is_suffix ? t.substr(t.size() - max_len) : t.substr(0, max_len);
    if (is_suffix) std::reverse(t.begin(), t.end());
    uint8_t bits = p.writes_only ? VIGIL_OPF_WRITES : (VIGIL_OPF_READS | VIGIL_OPF_WRITES);
    out.emplace_back(std::move(t), bits);
  }
  for (auto& [text, bits] : out) {
    for (const auto& [other, other_bits] : out) {
      if (other.size() <= text.size() && text.compare(0, other.size(), other) == 0) bits |= other_bits;
    }
  }
  return out;
}

template <typename Key>
int FillTrie(int fd, const std::vector<std::pair<std::string, uint8_t>>& entries) {
  for (const auto& [text, bits] : entries) {
    Key key{};
    key.prefixlen = static_cast<uint32_t>(text.size() * 8);
    std::memcpy(key.data, text.data(), text.size());
    if (bpf_map_update_elem(fd, &key, &bits, BPF_ANY) != 0) return -errno;
  }
  return 0;
}

}  // namespace

// The files the rules name, by identity: in the probes' watched_files map (reported
// whatever path opens them) and in user space (fd.name reads the rule's path).
bool Sensor::SetWatchedFiles(const std::vector<std::string>& paths, std::vector<std::string>* skipped,
                             std::string* error) {
  Impl& im = *impl_;
  const int wfd = bpf_map__fd(im.skel->maps.watched_files);
  ClearMap<vigil_file_id>(wfd);
  im.watched.Set(paths, skipped);
  if (im.watched.size() > VIGIL_WATCHED_FILES) {
    im.watched.Clear();
    if (error) *error = "watched files: more than " + std::to_string(VIGIL_WATCHED_FILES) + " files named by rules";
    return false;
  }
  const uint8_t one = 1;
  for (const auto& id : im.watched.Identities()) {
    vigil_file_id key{};
    key.ino = id.ino;
    key.dev = (static_cast<uint32_t>(major(id.dev)) << 20) | (static_cast<uint32_t>(minor(id.dev)) & 0xfffff);
    if (bpf_map_update_elem(wfd, &key, &one, BPF_ANY) != 0) {
      const int err = errno;
      ClearMap<vigil_file_id>(wfd);
      im.watched.Clear();
      if (error) *error = ErrnoText("watched files: fill map", err);
      return false;
    }
  }
  return true;
}

bool Sensor::SetOpenPrefilter(const OpenPrefilter& filter, std::string* error) {
  vigil_bpf* skel = impl_->skel.get();
  __atomic_store_n(&skel->bss->open_filter, static_cast<uint8_t>(0), __ATOMIC_SEQ_CST);
  const int pfd = bpf_map__fd(skel->maps.open_prefixes);
  const int sfd = bpf_map__fd(skel->maps.open_suffixes);
  ClearMap<vigil_opf_prefix_key>(pfd);
  ClearMap<vigil_opf_suffix_key>(sfd);
  std::memset(&skel->bss->opf_bits, 0, sizeof(skel->bss->opf_bits));
  Impl& im = *impl_;
  im.installed_filter = 0;
  im.installed_prefixes.clear();
  im.installed_suffixes.clear();
  im.installed_bits = {};
  if (!filter.enabled) return true;
  // Quick-reject bitmaps (wire.h struct vigil_opf_bits), built in a local copy and
  // installed with the tries below. Patterns are cut as the tries cut them.
  vigil_opf_bits bits = {};
  auto set_bit = [](uint8_t* b, uint32_t i) { b[(i >> 3) & (sizeof(bits.heads) - 1)] |= static_cast<uint8_t>(1u << (i & 7)); };
  auto mark = [&](std::string_view text, bool tail) {
    uint8_t* pair = tail ? bits.tails : bits.heads;
    uint8_t* pair_short = tail ? bits.tails_short : bits.heads_short;
    uint8_t* hashed = tail ? bits.tails_hash : bits.heads_hash;
    const std::size_t need = tail ? 2 : 3;
    if (text.size() < need) {  // names too few bytes: any path may match
      std::memset(pair, 0xff, sizeof(bits.heads));
      std::memset(pair_short, 0xff, sizeof(bits.heads));
      return;
    }
    auto a = static_cast<uint8_t>(tail ? text[text.size() - 1] : text[1]);
    auto b = static_cast<uint8_t>(tail ? text[text.size() - 2] : text[2]);
    const uint32_t bit = (uint32_t{a} << 8) | b;
    set_bit(pair, bit);
    if (text.size() < VIGIL_OPF_HASH_LEN) {
      set_bit(pair_short, bit);
    } else {
      const char* at = tail ? text.data() + text.size() - VIGIL_OPF_HASH_LEN : text.data();
      set_bit(hashed, vigil_opf_hash(reinterpret_cast<const uint8_t*>(at)));
    }
  };
  // The probe compares at most 254 leading bytes (longer paths are always reported).
  auto prefixes = TrieEntries(filter.prefixes, VIGIL_OPF_PREFIX_MAX - 2, false);
  auto suffixes = TrieEntries(filter.suffixes, VIGIL_OPF_SUFFIX_MAX, true);
  for (const auto& [text, v] : prefixes) mark(text, false);
  for (const auto& [text, v] : suffixes) mark(std::string(text.rbegin(), text.rend()), true);
  if (prefixes.size() > VIGIL_OPF_ENTRIES || suffixes.size() > VIGIL_OPF_ENTRIES) {
    if (error) *error = "open prefilter: more than " + std::to_string(VIGIL_OPF_ENTRIES) +
                        " path patterns; every open is reported";
    return false;
  }
  int err = FillTrie<vigil_opf_prefix_key>(pfd, prefixes);
  if (err == 0) err = FillTrie<vigil_opf_suffix_key>(sfd, suffixes);
  if (err != 0) {
    ClearMap<vigil_opf_prefix_key>(pfd);
    ClearMap<vigil_opf_suffix_key>(sfd);
    if (error) *error = ErrnoText("open prefilter: fill path tries", err);
    return false;
  }
  uint8_t mode = VIGIL_OPF_ON | (filter.all_writes ? VIGIL_OPF_ALL_WRITES : 0) |
                 (filter.raw_dotdot ? VIGIL_OPF_RAW_DOTDOT : 0);
  std::memcpy(&skel->bss->opf_bits, &bits, sizeof(bits));
  im.installed_bits = bits;
  im.installed_prefixes = std::move(prefixes);
  im.installed_suffixes = std::move(suffixes);
  im.installed_filter = mode;
  __atomic_store_n(&skel->bss->open_filter, mode, __ATOMIC_SEQ_CST);
  return true;
}

namespace {

// Number of keys in a map (stops at `limit`).
template <typename Key>
std::size_t CountKeys(int fd, std::size_t limit) {
  Key key{}, next{};
  std::size_t n = 0;
  const Key* prev = nullptr;
  while (n <= limit && bpf_map_get_next_key(fd, prev, &next) == 0) {
    ++n;
    key = next;
    prev = &key;
  }
  return n;
}

// true when the trie holds exactly `entries`.
template <typename Key>
bool TrieMatches(int fd, const std::vector<std::pair<std::string, uint8_t>>& entries) {
  if (CountKeys<Key>(fd, entries.size()) != entries.size()) return false;
  for (const auto& [text, bits] : entries) {
    Key key{};
    key.prefixlen = static_cast<uint32_t>(text.size() * 8);
    std::memcpy(key.data, text.data(), text.size());
    uint8_t v = 0;
    // An LPM lookup returns the longest match: an exact entry must give back its own bits.
    if (bpf_map_lookup_elem(fd, &key, &v) != 0 || v != bits) return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> Sensor::VerifyMaps() {
  Impl& im = *impl_;
  vigil_bpf* skel = im.skel.get();
  std::vector<std::string> tampered;
  auto* bss = skel->bss;
  if (std::memcmp(bss->sc_interest, im.installed_interest, sizeof(im.installed_interest)) != 0) {
    std::memcpy(bss->sc_interest, im.installed_interest, sizeof(im.installed_interest));
    tampered.emplace_back("syscall interest bitmap");
  }
  if (bss->want_procexit != im.installed_procexit) {
    bss->want_procexit = im.installed_procexit;
    tampered.emplace_back("procexit switch");
  }
  if (bss->want_env != im.installed_env) {
    bss->want_env = im.installed_env;
    tampered.emplace_back("env switch");
  }
  if (bss->iou_rw != im.installed_iou_rw) {
    bss->iou_rw = im.installed_iou_rw;
    tampered.emplace_back("io_uring read/write switch");
  }
  const int pfd = bpf_map__fd(skel->maps.open_prefixes);
  const int sfd = bpf_map__fd(skel->maps.open_suffixes);
  bool filter_bad = false;
  if (std::memcmp(&bss->opf_bits, &im.installed_bits, sizeof(im.installed_bits)) != 0 ||
      !TrieMatches<vigil_opf_prefix_key>(pfd, im.installed_prefixes) ||
      !TrieMatches<vigil_opf_suffix_key>(sfd, im.installed_suffixes)) {
    // Rebuild with the filter off: every open is reported meanwhile.
    __atomic_store_n(&bss->open_filter, static_cast<uint8_t>(0), __ATOMIC_SEQ_CST);
    ClearMap<vigil_opf_prefix_key>(pfd);
    ClearMap<vigil_opf_suffix_key>(sfd);
    bool ok = FillTrie<vigil_opf_prefix_key>(pfd, im.installed_prefixes) == 0 &&
              FillTrie<vigil_opf_suffix_key>(sfd, im.installed_suffixes) == 0;
    std::memcpy(&bss->opf_bits, &im.installed_bits, sizeof(im.installed_bits));
    if (!ok) im.installed_filter = 0;  // cannot restore: leave the filter off (report all)
    filter_bad = true;
    tampered.emplace_back("open prefilter");
  }
  if (filter_bad || bss->open_filter != im.installed_filter) {
    if (!filter_bad) tampered.emplace_back("open prefilter mode");
    __atomic_store_n(&bss->open_filter, im.installed_filter, __ATOMIC_SEQ_CST);
  }
  const int ofd = bpf_map__fd(skel->maps.self_objs);
  bool objs_ok = CountKeys<uint64_t>(ofd, im.self_obj_keys.size()) == im.self_obj_keys.size();
  for (uint64_t k : im.self_obj_keys) {
    uint8_t v = 0;
    if (!objs_ok) break;
    objs_ok = bpf_map_lookup_elem(ofd, &k, &v) == 0 && v == 1;
  }
  if (!objs_ok) {
    ClearMap<uint64_t>(ofd);
    im.WriteSelfObjects();
    tampered.emplace_back("own-object table");
  }
  return tampered;
}

std::vector<std::string> Sensor::FrozenMaps() const { return impl_->frozen; }

void Sensor::SetInterest(const std::bitset<kEventTypeCount>& interest) {
  impl_->options.interest = interest;
  impl_->ApplyInterest(interest, nullptr);
}

void Sensor::SetEnvCapture(bool enabled) {
  impl_->options.capture_env = enabled;
  impl_->installed_env = enabled ? 1 : 0;
  impl_->skel->bss->want_env = impl_->installed_env;
}

int Sensor::Poll(int timeout_ms, const std::function<void(const Event&)>& on_event) {
  Impl& s = *impl_;
  s.on_event = &on_event;
  s.delivered_this_poll = 0;
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(std::max(timeout_ms, 0));
  for (;;) {
    int n = ring_buffer__consume(s.ring.get());
    if (n < 0 && n != -EINTR) return n;
    if (n > 0) break;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    // Records are written without wake-ups: wait at most one drain interval, then look.
    int slice = static_cast<int>(std::min<int64_t>(left.count(), s.options.drain_interval_ms));
    n = ring_buffer__poll(s.ring.get(), slice);
    if (n < 0 && n != -EINTR) return n;
    if (n < 0) break;  // interrupted by a signal: let the caller check its stop flag
    if (n > 0) break;
  }
  s.on_event = nullptr;
  return s.delivered_this_poll;
}

SensorStats Sensor::Stats() const {
  const Impl& s = *impl_;
  SensorStats st;
  st.events = s.events;
  st.records = s.records;
  st.decode_errors = s.decode_errors;
  st.skipped = s.skipped;
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu > 0) {
    std::vector<vigil_counters> per(static_cast<std::size_t>(ncpu));
    uint32_t key = 0;
    if (bpf_map_lookup_elem(bpf_map__fd(s.skel->maps.counters), &key, per.data()) == 0) {
      for (const vigil_counters& c : per) {
        st.emitted += c.emitted;
        const uint64_t lost = c.drops + c.busy + c.reserved + c.throttled;
        st.drops += lost;
        st.drops_ring_full += c.drops;
        st.drops_scratch_busy += c.busy;
        st.drops_reserve += c.reserved;
        st.drops_throttled += c.throttled;
        st.drops_priority += c.prio_drops;
        st.throttles += c.throttles;
        st.truncated += c.truncated;
        st.probe_errors += c.errors;
        st.prefiltered += c.prefiltered;
        st.drops_per_cpu.push_back(lost);
      }
    }
  }
  return st;
}

std::string_view Sensor::hook_mode() const noexcept { return impl_->mode; }
int64_t Sensor::boot_to_wall_ns() const noexcept { return impl_->decoder.boot_to_wall_ns(); }

}  // namespace vigil
