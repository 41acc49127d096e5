// disk_spool.h — one sink's on-disk queue: append-only, checksummed, size-capped segment
// files in a directory of their own, read back in order and deleted once delivered.
// Survives daemon restarts and kill -9 (records are written with write(2) before the sink
// sees them; the delivered position is kept in a small `cursor` file).
//
// Layout of <dir>: `lock` (flock, one process per spool), `cursor` (segment number +
// offset of the first record not yet delivered, CRC32-protected), and segments
// `00000000000000000001.seg`, ... Each record: magic "VSP1" (u32 LE 0x31505356), payload
// length (u32), write time (u64 ns since the epoch), CRC32 (zlib) of time + payload (u32),
// then the payload. A record that fails any check (torn tail after a crash or a full
// disk, flipped bits) is counted as corrupted and skipped: the reader resynchronises on
// the next valid record, or the next segment.
//
// At the cap (`max_bytes`), the oldest segment is deleted (its undelivered records are
// counted as dropped, with a rate-limited warning). A failed append (disk full) is
// truncated back, counted, and the record is refused.
//
// Owner: one QueuedSink worker thread (writes, reads and acknowledges). Not thread safe,
// except Stats(), which may be called from any thread. Not on the event path.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/unique_fd.h"

namespace vigil {

struct DiskSpoolOptions {
  std::string dir;                          // created 0700 if missing
  uint64_t max_bytes = 256ull << 20;        // all segments together
  uint64_t segment_bytes = 0;               // 0: max_bytes / 8, clamped to [64 KiB, 16 MiB]
};

struct DiskSpoolStats {
  uint64_t bytes = 0;           // segment bytes on disk (delivered records not yet deleted included)
  uint64_t records = 0;         // records not yet delivered
  uint64_t oldest_ns = 0;       // write time of the oldest undelivered record; 0 when empty
  uint64_t appended = 0;        // records written
  uint64_t delivered = 0;       // records acknowledged
  uint64_t dropped_cap = 0;     // undelivered records deleted at the cap
  uint64_t write_failed = 0;    // appends refused (disk full, I/O error)
  uint64_t corrupted = 0;       // records that failed their checks and were skipped
};

class DiskSpool {
 public:
  // Opens (creating) the spool in options.dir, takes its lock and scans the segments left
  // by a previous run (validating every record). Returns nullptr and sets *error when the
  // directory cannot be created/locked (e.g. another vigil uses it).
  static std::unique_ptr<DiskSpool> Open(DiskSpoolOptions options, std::string* error);
  // True while a DiskSpool of this process holds `dir` (e.g. the previous outputs during a
  // reload): a new one must wait for it to close (QueuedSink opens it on its worker).
  static bool OpenInThisProcess(const std::string& dir);
  ~DiskSpool();
  DiskSpool(const DiskSpool&) = delete;
  DiskSpool& operator=(const DiskSpool&) = delete;

  // Appends one record stamped `now_ns`. Makes room at the cap first. Returns false (and
  // counts write_failed) when it could not be written; `error` then says why.
  bool Append(std::string_view payload, uint64_t now_ns, std::string* error);
  // Reads up to `max` undelivered records from the oldest on, in order, into *out
  // (cleared first). Corrupted records are skipped and counted once. Returns the count.
  std::size_t Peek(std::size_t max, std::vector<std::string>* out);
  // Marks the first `n` records of the last Peek delivered: persists the cursor and
  // deletes segments that are fully delivered.
  void Ack(std::size_t n);
  bool empty() const noexcept { return pending_records_ == 0; }
  uint64_t pending() const noexcept { return pending_records_; }
  DiskSpoolStats Stats() const;
  const std::string& dir() const noexcept { return options_.dir; }

 private:
  struct Segment {
    uint64_t seq = 0;
    uint64_t size = 0;       // bytes in the file
    uint64_t records = 0;    // valid records from `start` (the cursor, for the first) on
    UniqueFd fd;             // opened lazily for reading; the active segment's is the writer
  };
  struct Position {
    uint64_t seq = 0;
    uint64_t offset = 0;
  };

  explicit DiskSpool(DiskSpoolOptions options);
  bool OpenExisting(std::string* error);
  std::string SegmentPath(uint64_t seq) const;
  int ReadFd(Segment& segment);
  // Validates the record at `offset`; on success fills *end, *time and (if non-null) the payload.
  bool ReadRecord(Segment& segment, uint64_t offset, uint64_t* end, uint64_t* time,
                  std::string* payload);
  // The next offset >= `from` where a valid record starts, or segment.size.
  uint64_t Resync(Segment& segment, uint64_t from);
  bool StartSegment(std::string* error);
  void DropOldestSegment();
  void DeleteDeliveredSegments();
  void SaveCursor();
  void Warn(const std::string& what);  // at most one line per 10 s, with a suppressed count
  void RefreshOldest();
  void PublishStats();

  DiskSpoolOptions options_;
  bool registered_ = false;
  UniqueFd lock_fd_;
  UniqueFd cursor_fd_;
  UniqueFd write_fd_;              // back(), while writable_
  uint64_t next_seq_ = 1;
  std::string scratch_;            // payload buffer for validation-only reads
  std::string record_;             // append buffer
  std::deque<Segment> segments_;   // oldest first; back() is the one appended to
  bool writable_ = false;          // back() is open for appends (else a new one is started)
  Position read_;                  // first undelivered record
  std::vector<Position> peeked_ends_;  // end position of each record of the last Peek
  Position corrupt_seen_;          // corruption before this was already counted
  uint64_t pending_records_ = 0;
  uint64_t total_bytes_ = 0;
  uint64_t oldest_ns_ = 0;
  DiskSpoolStats counters_;        // appended, delivered, dropped_cap, write_failed, corrupted
  uint64_t last_warning_ns_ = 0;
  uint64_t warnings_suppressed_ = 0;

  // Snapshot for Stats() from other threads.
  std::atomic<uint64_t> s_bytes_{0}, s_records_{0}, s_oldest_{0}, s_appended_{0},
      s_delivered_{0}, s_dropped_{0}, s_write_failed_{0}, s_corrupted_{0};
};

}  // namespace vigil
