#include "vigil/disk_spool.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>

namespace vigil {
namespace {

constexpr uint32_t kMagic = 0x31505356;  // "VSP1" little-endian
constexpr uint64_t kHeaderBytes = 20;    // magic, length, time, crc
constexpr uint32_t kMaxPayload = 16u << 20;
constexpr uint64_t kWarnIntervalNs = 10'000'000'000ull;

uint64_t NowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

uint32_t RecordCrc(uint64_t time, std::string_view payload) {
  uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(&time), sizeof time);
  return static_cast<uint32_t>(
      crc32(crc, reinterpret_cast<const Bytef*>(payload.data()), static_cast<uInt>(payload.size())));
}

bool PreadAll(int fd, void* buf, std::size_t len, uint64_t offset) {
  auto* p = static_cast<char*>(buf);
  while (len > 0) {
    const ssize_t n = ::pread(fd, p, len, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= static_cast<std::size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return true;
}

bool Before(uint64_t seq_a, uint64_t off_a, uint64_t seq_b, uint64_t off_b) {
  return seq_a < seq_b || (seq_a == seq_b && off_a < off_b);
}

std::mutex& RegistryMutex() {
  static std::mutex mu;
  return mu;
}
std::set<std::string>& Registry() {
  static std::set<std::string> dirs;
  return dirs;
}

}  // namespace

bool DiskSpool::OpenInThisProcess(const std::string& dir) {
  std::lock_guard lock(RegistryMutex());
  return Registry().count(dir) > 0;
}

DiskSpool::DiskSpool(DiskSpoolOptions options) : options_(std::move(options)) {
  if (options_.segment_bytes == 0) {
    options_.segment_bytes = std::clamp<uint64_t>(options_.max_bytes / 8, 64u << 10, 16u << 20);
  }
  options_.segment_bytes = std::min(options_.segment_bytes, std::max<uint64_t>(options_.max_bytes / 2, 1));
}

DiskSpool::~DiskSpool() {
  if (registered_) {
    std::lock_guard lock(RegistryMutex());
    Registry().erase(options_.dir);
  }
}

std::unique_ptr<DiskSpool> DiskSpool::Open(DiskSpoolOptions options, std::string* error) {
  std::unique_ptr<DiskSpool> spool(new DiskSpool(std::move(options)));
  if (!spool->OpenExisting(error)) return nullptr;
  return spool;
}

std::string DiskSpool::SegmentPath(uint64_t seq) const {
  char name[32];
  std::snprintf(name, sizeof name, "%020llu.seg", static_cast<unsigned long long>(seq));
  return options_.dir + "/" + name;
}

bool DiskSpool::OpenExisting(std::string* error) {
  namespace fs = std::filesystem;
  {
    std::lock_guard lock(RegistryMutex());
    if (!Registry().insert(options_.dir).second) {
      *error = options_.dir + ": already open in this process";
      return false;
    }
    registered_ = true;
  }
  std::error_code ec;
  fs::create_directories(options_.dir, ec);
  if (ec) {
    *error = options_.dir + ": cannot create: " + ec.message();
    return false;
  }
  ::chmod(options_.dir.c_str(), 0700);
  lock_fd_.reset(::open((options_.dir + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock_fd_.valid()) {
    *error = options_.dir + "/lock: " + std::strerror(errno);
    return false;
  }
  if (::flock(lock_fd_.get(), LOCK_EX | LOCK_NB) != 0) {
    *error = options_.dir + ": in use by another process (" + std::strerror(errno) +
             "); give each vigil its own spool directory (outputs.spool.dir)";
    return false;
  }
  cursor_fd_.reset(::open((options_.dir + "/cursor").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!cursor_fd_.valid()) {
    *error = options_.dir + "/cursor: " + std::strerror(errno);
    return false;
  }

  std::vector<uint64_t> seqs;
  for (const auto& entry : fs::directory_iterator(options_.dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() != 24 || name.substr(20) != ".seg") continue;
    if (!std::all_of(name.begin(), name.begin() + 20, [](char c) { return c >= '0' && c <= '9'; })) continue;
    uint64_t seq = 0;
    const auto [end, rc] = std::from_chars(name.data(), name.data() + 20, seq);
    if (rc != std::errc() || end != name.data() + 20) continue;  // not one of ours
    seqs.push_back(seq);
  }
  if (ec) {
    *error = options_.dir + ": cannot list: " + ec.message();
    return false;
  }
  std::sort(seqs.begin(), seqs.end());

  // The cursor: first undelivered record. A torn or missing cursor replays from the start
  // (at-least-once: duplicates, never losses).
  unsigned char buf[20];
  bool cursor_ok = false;
  if (PreadAll(cursor_fd_.get(), buf, sizeof buf, 0)) {
    uint32_t crc;
    std::memcpy(&read_.seq, buf, 8);
    std::memcpy(&read_.offset, buf + 8, 8);
    std::memcpy(&crc, buf + 16, 4);
    cursor_ok = crc == static_cast<uint32_t>(crc32(0L, buf, 16));
  }
  if (!cursor_ok) read_ = {};

  for (uint64_t seq : seqs) {
    if (seq < read_.seq) {  // delivered before the restart
      ::unlink(SegmentPath(seq).c_str());
      continue;
    }
    Segment segment;
    segment.seq = seq;
    segment.fd.reset(::open(SegmentPath(seq).c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st{};
    if (!segment.fd.valid() || ::fstat(segment.fd.get(), &st) != 0) {
      *error = SegmentPath(seq) + ": " + std::strerror(errno);
      return false;
    }
    segment.size = static_cast<uint64_t>(st.st_size);
    total_bytes_ += segment.size;
    uint64_t pos = seq == read_.seq ? std::min(read_.offset, segment.size) : 0;
    while (pos < segment.size) {
      uint64_t end = 0, time = 0;
      if (ReadRecord(segment, pos, &end, &time, nullptr)) {
        ++segment.records;
        pos = end;
      } else {
        ++counters_.corrupted;
        pos = Resync(segment, pos + 1);
      }
    }
    pending_records_ += segment.records;
    segments_.push_back(std::move(segment));
  }
  if (!segments_.empty()) {
    if (read_.seq < segments_.front().seq) read_ = {segments_.front().seq, 0};
    corrupt_seen_ = {segments_.back().seq, segments_.back().size};
  }
  next_seq_ = std::max<uint64_t>(segments_.empty() ? 1 : segments_.back().seq + 1, read_.seq + 1);
  if (counters_.corrupted > 0) {
    spdlog::warn("spool {}: {} corrupted record(s) skipped (torn write or damaged file)", options_.dir,
                 counters_.corrupted);
  }
  if (pending_records_ > 0) {
    spdlog::info("spool {}: {} undelivered alert(s) from a previous run will be delivered", options_.dir,
                 pending_records_);
  }
  DeleteDeliveredSegments();
  RefreshOldest();
  PublishStats();
  return true;
}

int DiskSpool::ReadFd(Segment& segment) {
  if (!segment.fd.valid()) segment.fd.reset(::open(SegmentPath(segment.seq).c_str(), O_RDONLY | O_CLOEXEC));
  return segment.fd.get();
}

bool DiskSpool::ReadRecord(Segment& segment, uint64_t offset, uint64_t* end, uint64_t* time,
                           std::string* payload) {
  if (offset + kHeaderBytes > segment.size) return false;
  const int fd = ReadFd(segment);
  unsigned char header[kHeaderBytes];
  if (fd < 0 || !PreadAll(fd, header, sizeof header, offset)) return false;
  uint32_t magic, length, crc;
  std::memcpy(&magic, header, 4);
  std::memcpy(&length, header + 4, 4);
  std::memcpy(time, header + 8, 8);
  std::memcpy(&crc, header + 16, 4);
  if (magic != kMagic || length > kMaxPayload || offset + kHeaderBytes + length > segment.size) return false;
  std::string& data = payload != nullptr ? *payload : scratch_;
  data.resize(length);
  if (length > 0 && !PreadAll(fd, data.data(), length, offset + kHeaderBytes)) return false;
  if (RecordCrc(*time, data) != crc) return false;
  *end = offset + kHeaderBytes + length;
  return true;
}

uint64_t DiskSpool::Resync(Segment& segment, uint64_t from) {
  const int fd = ReadFd(segment);
  if (fd < 0) return segment.size;
  static constexpr char kMagicBytes[4] = {'V', 'S', 'P', '1'};
  std::string chunk;
  uint64_t pos = from;
  while (pos + kHeaderBytes <= segment.size) {
    const uint64_t len = std::min<uint64_t>(64u << 10, segment.size - pos);
    chunk.resize(len);
    if (!PreadAll(fd, chunk.data(), len, pos)) return segment.size;
    for (std::size_t i = 0; i + 4 <= chunk.size(); ++i) {
      if (std::memcmp(chunk.data() + i, kMagicBytes, 4) != 0) continue;
      uint64_t end = 0, time = 0;
      if (ReadRecord(segment, pos + i, &end, &time, nullptr)) return pos + i;
    }
    if (len < 4) break;
    pos += len - 3;  // a magic may straddle chunks
  }
  return segment.size;
}

bool DiskSpool::StartSegment(std::string* error) {
  write_fd_.reset();
  writable_ = false;
  const uint64_t seq = next_seq_;
  UniqueFd fd(::open(SegmentPath(seq).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    *error = SegmentPath(seq) + ": " + std::strerror(errno);
    return false;
  }
  ++next_seq_;
  write_fd_ = std::move(fd);
  Segment segment;
  segment.seq = seq;
  segments_.push_back(std::move(segment));
  writable_ = true;
  return true;
}

void DiskSpool::Warn(const std::string& what) {
  const uint64_t now = NowNs();
  if (last_warning_ns_ != 0 && now - last_warning_ns_ < kWarnIntervalNs) {
    ++warnings_suppressed_;
    return;
  }
  if (warnings_suppressed_ > 0) {
    spdlog::warn("spool {}: {} ({} similar message(s) suppressed)", options_.dir, what, warnings_suppressed_);
  } else {
    spdlog::warn("spool {}: {}", options_.dir, what);
  }
  last_warning_ns_ = now;
  warnings_suppressed_ = 0;
}

void DiskSpool::DropOldestSegment() {
  Segment& front = segments_.front();
  const bool active = writable_ && segments_.size() == 1;
  if (active) {
    write_fd_.reset();
    writable_ = false;
  }
  const uint64_t lost = front.records;
  counters_.dropped_cap += lost;
  pending_records_ -= std::min(pending_records_, lost);
  total_bytes_ -= std::min(total_bytes_, front.size);
  ::unlink(SegmentPath(front.seq).c_str());
  const uint64_t seq = front.seq;
  segments_.pop_front();
  if (read_.seq <= seq) {
    read_ = segments_.empty() ? Position{next_seq_, 0} : Position{segments_.front().seq, 0};
    SaveCursor();
  }
  if (lost > 0) {
    Warn("full (max_bytes " + std::to_string(options_.max_bytes) + "): dropped the oldest " +
         std::to_string(lost) + " undelivered alert(s); " + std::to_string(counters_.dropped_cap) +
         " dropped so far");
  }
  RefreshOldest();
}

bool DiskSpool::Append(std::string_view payload, uint64_t now_ns, std::string* error) {
  const uint64_t record_bytes = kHeaderBytes + payload.size();
  if (payload.size() > kMaxPayload || record_bytes > options_.max_bytes) {
    ++counters_.write_failed;
    *error = "record of " + std::to_string(payload.size()) + " bytes is larger than the spool";
    PublishStats();
    return false;
  }
  while (!segments_.empty() && total_bytes_ + record_bytes > options_.max_bytes) DropOldestSegment();
  if (!writable_ || (segments_.back().size > 0 && segments_.back().size + record_bytes > options_.segment_bytes)) {
    if (!StartSegment(error)) {
      ++counters_.write_failed;
      PublishStats();
      return false;
    }
  }
  Segment& segment = segments_.back();
  const uint32_t length = static_cast<uint32_t>(payload.size());
  const uint32_t crc = RecordCrc(now_ns, payload);
  record_.resize(record_bytes);
  std::memcpy(record_.data(), &kMagic, 4);
  std::memcpy(record_.data() + 4, &length, 4);
  std::memcpy(record_.data() + 8, &now_ns, 8);
  std::memcpy(record_.data() + 16, &crc, 4);
  std::memcpy(record_.data() + kHeaderBytes, payload.data(), payload.size());
  std::size_t written = 0;
  while (written < record_.size()) {
    const ssize_t n = ::write(write_fd_.get(), record_.data() + written, record_.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = std::string("write ") + SegmentPath(segment.seq) + ": " +
               (n < 0 ? std::strerror(errno) : "no progress");
      // Take back a partial record; if that fails too, the torn tail is detected on read
      // and later records go to a new segment.
      if (written > 0 && ::ftruncate(write_fd_.get(), static_cast<off_t>(segment.size)) != 0) {
        write_fd_.reset();
        writable_ = false;
        segment.size += written;
        total_bytes_ += written;
      }
      ++counters_.write_failed;
      PublishStats();
      return false;
    }
    written += static_cast<std::size_t>(n);
  }
  segment.size += record_bytes;
  ++segment.records;
  total_bytes_ += record_bytes;
  if (pending_records_++ == 0) oldest_ns_ = now_ns;
  ++counters_.appended;
  PublishStats();
  return true;
}

std::size_t DiskSpool::Peek(std::size_t max, std::vector<std::string>* out) {
  out->clear();
  peeked_ends_.clear();
  Position pos = read_;
  bool moved = false;
  std::size_t index = 0;
  while (out->size() < max) {
    while (index < segments_.size() && segments_[index].seq < pos.seq) ++index;
    if (index == segments_.size()) break;
    Segment& segment = segments_[index];
    if (segment.seq > pos.seq) pos = {segment.seq, 0};
    if (pos.offset >= segment.size) {
      if (index + 1 == segments_.size()) break;
      pos = {segments_[index + 1].seq, 0};
    } else {
      uint64_t end = 0, time = 0;
      std::string payload;
      if (ReadRecord(segment, pos.offset, &end, &time, &payload)) {
        out->push_back(std::move(payload));
        pos.offset = end;
        peeked_ends_.push_back(pos);
        continue;
      }
      const uint64_t next = Resync(segment, pos.offset + 1);
      if (Before(corrupt_seen_.seq, corrupt_seen_.offset, pos.seq, pos.offset + 1)) {
        ++counters_.corrupted;
        Warn("corrupted record at " + SegmentPath(segment.seq) + " offset " + std::to_string(pos.offset) +
             " skipped");
        // A record this run appended and counted can be the damaged one.
        if (segment.records > 0 && pending_records_ > 0) {
          --segment.records;
          --pending_records_;
        }
        corrupt_seen_ = {segment.seq, next};
      }
      pos.offset = next;
    }
    // Nothing handed out yet: what was skipped needs no delivery, move the cursor over it.
    if (out->empty()) {
      read_ = pos;
      moved = true;
    }
  }
  if (max > 0 && out->empty() && pending_records_ > 0) {
    pending_records_ = 0;  // self-heal: every record left was damaged
    moved = true;
  }  // self-heal counts
  if (moved) {
    SaveCursor();
    DeleteDeliveredSegments();
    RefreshOldest();
    PublishStats();
  }
  return out->size();
}

void DiskSpool::Ack(std::size_t n) {
  n = std::min(n, peeked_ends_.size());
  if (n == 0) return;
  std::size_t index = 0;
  for (std::size_t i = 0; i < n; ++i) {
    while (index < segments_.size() && segments_[index].seq < peeked_ends_[i].seq) ++index;
    if (index < segments_.size() && segments_[index].records > 0) --segments_[index].records;
  }
  read_ = peeked_ends_[n - 1];
  pending_records_ -= std::min<uint64_t>(pending_records_, n);
  counters_.delivered += n;
  peeked_ends_.clear();
  SaveCursor();
  DeleteDeliveredSegments();
  RefreshOldest();
  PublishStats();
}

void DiskSpool::DeleteDeliveredSegments() {
  while (!segments_.empty()) {
    Segment& front = segments_.front();
    const bool active = writable_ && segments_.size() == 1;
    const bool delivered = front.seq < read_.seq || (front.seq == read_.seq && read_.offset >= front.size);
    if (active || !delivered) break;
    total_bytes_ -= std::min(total_bytes_, front.size);
    ::unlink(SegmentPath(front.seq).c_str());
    const uint64_t seq = front.seq;
    segments_.pop_front();
    if (read_.seq == seq) {
      read_ = segments_.empty() ? Position{next_seq_, 0} : Position{segments_.front().seq, 0};
      SaveCursor();
    }
  }
}

void DiskSpool::SaveCursor() {
  unsigned char buf[20];
  std::memcpy(buf, &read_.seq, 8);
  std::memcpy(buf + 8, &read_.offset, 8);
  const uint32_t crc = static_cast<uint32_t>(crc32(0L, buf, 16));
  std::memcpy(buf + 16, &crc, 4);
  // One 20-byte pwrite within a sector; a torn one fails its CRC and replays from the start.
  if (::pwrite(cursor_fd_.get(), buf, sizeof buf, 0) != static_cast<ssize_t>(sizeof buf)) {
    Warn(std::string("cannot save the cursor: ") + std::strerror(errno) +
         " (delivered alerts may be delivered again after a restart)");
  }
}

void DiskSpool::RefreshOldest() {
  oldest_ns_ = 0;
  if (pending_records_ == 0) return;
  Position pos = read_;
  for (Segment& segment : segments_) {
    if (segment.seq < pos.seq) continue;
    const uint64_t offset = segment.seq == pos.seq ? pos.offset : 0;
    unsigned char header[kHeaderBytes];
    const int fd = ReadFd(segment);
    if (offset + kHeaderBytes > segment.size || fd < 0 || !PreadAll(fd, header, sizeof header, offset)) continue;
    uint32_t magic;
    std::memcpy(&magic, header, 4);
    if (magic != kMagic) continue;
    std::memcpy(&oldest_ns_, header + 8, 8);
    return;
  }
}

void DiskSpool::PublishStats() {
  s_bytes_.store(total_bytes_, std::memory_order_relaxed);
  s_records_.store(pending_records_, std::memory_order_relaxed);
  s_oldest_.store(oldest_ns_, std::memory_order_relaxed);
  s_appended_.store(counters_.appended, std::memory_order_relaxed);
  s_delivered_.store(counters_.delivered, std::memory_order_relaxed);
  s_dropped_.store(counters_.dropped_cap, std::memory_order_relaxed);
  s_write_failed_.store(counters_.write_failed, std::memory_order_relaxed);
  s_corrupted_.store(counters_.corrupted, std::memory_order_relaxed);
}

DiskSpoolStats DiskSpool::Stats() const {
  DiskSpoolStats s;
  s.bytes = s_bytes_.load(std::memory_order_relaxed);
  s.records = s_records_.load(std::memory_order_relaxed);
  s.oldest_ns = s_oldest_.load(std::memory_order_relaxed);
  s.appended = s_appended_.load(std::memory_order_relaxed);
  s.delivered = s_delivered_.load(std::memory_order_relaxed);
  s.dropped_cap = s_dropped_.load(std::memory_order_relaxed);
  s.write_failed = s_write_failed_.load(std::memory_order_relaxed);
  s.corrupted = s_corrupted_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace vigil
