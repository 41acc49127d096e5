// daemon_metrics.h — the daemon's counters and their Prometheus text rendering.
// Written by the event thread (relaxed atomics, hot path: no locks, no allocation except
// the first alert of a rule), read by the metrics thread. Thread safe as described.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "vigil/sensor.h"

namespace vigil {

struct SensorStats;
struct SinkStats;
struct OutputTotals;

class DaemonMetrics {
 public:
  std::atomic<uint64_t> events{0};          // events evaluated
  std::atomic<uint64_t> alerts{0};          // rule matches
  std::atomic<uint64_t> eval_ns_total{0};   // time in rule evaluation (estimated from a sample)
  std::atomic<uint64_t> eval_max_ns{0};     // slowest sampled evaluation
  std::atomic<uint64_t> reloads_ok{0};
  std::atomic<uint64_t> reloads_failed{0};
  std::atomic<uint64_t> map_tamper{0};      // probe maps found modified (and restored)
  std::atomic<uint64_t> canary_silences{0}; // times the canary stopped arriving
  std::atomic<uint64_t> canary_sent{0};     // canaries forked (canary.h)
  std::atomic<uint64_t> canary_seen{0};     // canary exits that came back through the probes
  std::atomic<uint64_t> drop_alerts{0};     // "vigil: events dropped" alerts raised
  std::atomic<uint64_t> rules_loaded{0};
  std::atomic<uint64_t> event_thread_priority_failed{0};  // 1: sensor.event_thread_* not applied
  std::atomic<uint64_t> rules_skipped{0};   // invalid rules left out (engine.skip_invalid_rules)
  // Sequence rules (SequenceEngine::stats(), refreshed once a second by the event thread).
  std::atomic<uint64_t> sequences_loaded{0};
  std::atomic<uint64_t> sequence_keys{0};
  std::atomic<uint64_t> sequence_state_bytes{0};
  std::atomic<uint64_t> sequence_keys_evicted{0};
  std::atomic<uint64_t> sequence_partials_evicted{0};
  std::atomic<uint64_t> processes{0};
  std::atomic<uint64_t> fds{0};
  std::atomic<uint64_t> start_time_s{0};
  // containers (container_store.h and the daemon's hold of events awaiting metadata)
  std::atomic<uint64_t> containers_cached{0}, containers_pending{0}, container_fetches{0},
      container_fetch_failures{0}, container_fetch_timeouts{0}, container_evictions{0},
      container_cache_bytes{0};
  std::atomic<uint64_t> container_events_held{0};          // events that waited for metadata
  std::atomic<uint64_t> container_events_held_overflow{0}; // evaluated at once: hold queue full
  std::atomic<uint64_t> container_holds_with_metadata{0};  // held events released with metadata
  std::atomic<uint64_t> container_holds_expired{0};        // released at the deadline without
  std::atomic<uint64_t> container_hold_ns_total{0};        // time held events waited
  std::atomic<uint64_t> container_events{0};               // synthetic `container` events

  // Counts one alert of `rule` (locks a small mutex; alerts are rare compared to events).
  void CountAlert(const std::string& rule);
  // Replaces the cached sensor / sink snapshots (taken on the event thread).
  void SetSensorStats(const SensorStats& s);
  void SetSinkStats(std::vector<SinkStats> sinks, const OutputTotals& totals);

  // Prometheus text exposition format (version 0.0.4).
  std::string RenderPrometheus() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> alerts_by_rule_;
  uint64_t sensor_events_ = 0, sensor_drops_ = 0, sensor_decode_errors_ = 0,
           sensor_truncated_ = 0, sensor_probe_errors_ = 0, sensor_prefiltered_ = 0;
  std::vector<uint64_t> drops_per_cpu_;
  SensorStats sensor_{};  // drops by cause
  std::vector<SinkStats> sinks_;
  uint64_t outputs_submitted_ = 0, outputs_filtered_ = 0, outputs_suppressed_ = 0;
};

}  // namespace vigil
