#include "vigil/daemon_metrics.h"

#include <chrono>
#include <sstream>

#include "vigil/output_manager.h"
#include "vigil/queued_sink.h"
#include "vigil/sensor.h"

namespace vigil {
namespace {

std::string EscapeLabel(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

template <typename T>
void Metric(std::ostringstream& os, const char* name, const char* type, const char* help,
            T value) {
  os << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n'
     << name << ' ' << value << '\n';
}

}  // namespace

void DaemonMetrics::CountAlert(const std::string& rule) {
  std::lock_guard<std::mutex> lock(mu_);
  ++alerts_by_rule_[rule];
}

void DaemonMetrics::SetSensorStats(const SensorStats& s) {
  std::lock_guard<std::mutex> lock(mu_);
  sensor_events_ = s.events;
  sensor_drops_ = s.drops;
  sensor_decode_errors_ = s.decode_errors;
  sensor_truncated_ = s.truncated;
  sensor_probe_errors_ = s.probe_errors;
  sensor_prefiltered_ = s.prefiltered;
  drops_per_cpu_ = s.drops_per_cpu;
  sensor_ = s;
}

void DaemonMetrics::SetSinkStats(std::vector<SinkStats> sinks, const OutputTotals& totals) {
  std::lock_guard<std::mutex> lock(mu_);
  sinks_ = std::move(sinks);
  outputs_submitted_ = totals.submitted;
  outputs_filtered_ = totals.filtered;
  outputs_suppressed_ = totals.suppressed;
}

std::string DaemonMetrics::RenderPrometheus() const {
  std::ostringstream os;
  Metric(os, "vigil_events_evaluated_total", "counter", "Events evaluated against the rules.",
         events.load());
  Metric(os, "vigil_alerts_total", "counter", "Rule matches.", alerts.load());
  Metric(os, "vigil_rule_eval_seconds_total", "counter", "Time spent evaluating rules (estimated: 1 event in 16 is timed).",
         static_cast<double>(eval_ns_total.load()) / 1e9);
  Metric(os, "vigil_rule_eval_max_seconds", "gauge", "Slowest timed event evaluation (1 event in 16 is timed).",
         static_cast<double>(eval_max_ns.load()) / 1e9);
  Metric(os, "vigil_rules_loaded", "gauge", "Rules in the active ruleset.", rules_loaded.load());
  Metric(os, "vigil_event_thread_priority_failed", "gauge",
         "1 when the event thread's configured priority (sensor.event_thread_*) could not be set.",
         event_thread_priority_failed.load());
  Metric(os, "vigil_rules_skipped", "gauge",
         "Rules left out of the active ruleset for errors (engine.skip_invalid_rules).",
         rules_skipped.load());
  Metric(os, "vigil_sequences_loaded", "gauge", "Sequence and threshold rules in the active ruleset.",
         sequences_loaded.load());
  Metric(os, "vigil_sequence_keys", "gauge", "Live sequence keys (partial matches or counters).",
         sequence_keys.load());
  Metric(os, "vigil_sequence_state_bytes", "gauge", "Approximate memory of the sequence state.",
         sequence_state_bytes.load());
  Metric(os, "vigil_sequence_keys_evicted_total", "counter",
         "Sequence keys dropped because a sequence reached its key cap (sequence_max_keys).",
         sequence_keys_evicted.load());
  Metric(os, "vigil_sequence_partials_evicted_total", "counter",
         "Partial matches dropped because a key reached its cap (sequence_max_partials).",
         sequence_partials_evicted.load());
  Metric(os, "vigil_reloads_total", "counter", "Successful rule/config reloads.",
         reloads_ok.load());
  Metric(os, "vigil_reload_failures_total", "counter",
         "Reloads refused (bad rules or config); the old ruleset kept running.",
         reloads_failed.load());
  Metric(os, "vigil_probe_map_tamper_total", "counter",
         "Checks that found the probes' maps modified by another process (restored each time).",
         map_tamper.load());
  Metric(os, "vigil_drop_alerts_total", "counter",
         "'vigil: events dropped' alerts raised.", drop_alerts.load());
  Metric(os, "vigil_canary_silences_total", "counter",
         "Times no canary event came back through the probes for 5 s.", canary_silences.load());
  Metric(os, "vigil_canary_sent_total", "counter",
         "Liveness canaries forked (one a second with self_protection).", canary_sent.load());
  Metric(os, "vigil_canary_seen_total", "counter",
         "Liveness canaries whose exit came back through the probes.", canary_seen.load());
  Metric(os, "vigil_processes", "gauge", "Entries in the process table.", processes.load());
  Metric(os, "vigil_fds", "gauge", "Entries in the fd table.", fds.load());
  Metric(os, "vigil_start_time_seconds", "gauge", "Daemon start time (unix seconds).",
         start_time_s.load());

  std::lock_guard<std::mutex> lock(mu_);
  Metric(os, "vigil_sensor_events_total", "counter", "Events decoded from the kernel.",
         sensor_events_);
  Metric(os, "vigil_sensor_drops_total", "counter",
         "Kernel records lost (every cause; see vigil_sensor_drops_by_cause_total).",
         sensor_drops_);
  os << "# HELP vigil_sensor_drops_by_cause_total Kernel records lost, by cause: ring_full "
        "(no room), scratch_busy (probe preempted), reserve (cheap record kept out of the "
        "reserved share), throttled (process throttled for flooding).\n"
     << "# TYPE vigil_sensor_drops_by_cause_total counter\n"
     << "vigil_sensor_drops_by_cause_total{cause=\"ring_full\"} " << sensor_.drops_ring_full
     << "\nvigil_sensor_drops_by_cause_total{cause=\"scratch_busy\"} "
     << sensor_.drops_scratch_busy
     << "\nvigil_sensor_drops_by_cause_total{cause=\"reserve\"} " << sensor_.drops_reserve
     << "\nvigil_sensor_drops_by_cause_total{cause=\"throttled\"} " << sensor_.drops_throttled
     << '\n';
  Metric(os, "vigil_sensor_priority_drops_total", "counter",
         "Records of the class that matters (exec, exit, fork, credential changes, ptrace, "
         "module loads, bpf, connects) lost because the ring was full.",
         sensor_.drops_priority);
  Metric(os, "vigil_sensor_throttles_total", "counter",
         "Processes throttled for flooding the ring (each also reported as evt.type = drop).",
         sensor_.throttles);
  os << "# HELP vigil_sensor_drops_per_cpu_total Kernel records lost, per CPU.\n"
     << "# TYPE vigil_sensor_drops_per_cpu_total counter\n";
  for (std::size_t cpu = 0; cpu < drops_per_cpu_.size(); ++cpu)
    os << "vigil_sensor_drops_per_cpu_total{cpu=\"" << cpu << "\"} " << drops_per_cpu_[cpu]
       << '\n';
  Metric(os, "vigil_sensor_decode_errors_total", "counter", "Malformed kernel records skipped.",
         sensor_decode_errors_);
  Metric(os, "vigil_sensor_truncated_total", "counter", "Strings cut by the probes.",
         sensor_truncated_);
  Metric(os, "vigil_sensor_probe_errors_total", "counter", "Failed reads inside the probes.",
         sensor_probe_errors_);
  Metric(os, "vigil_sensor_prefiltered_total", "counter",
         "Opens no loaded rule can match, dropped in the kernel (open prefilter).",
         sensor_prefiltered_);
  os << "# HELP vigil_rule_alerts_total Alerts per rule.\n# TYPE vigil_rule_alerts_total counter\n";
  for (const auto& [rule, n] : alerts_by_rule_)
    os << "vigil_rule_alerts_total{rule=\"" << EscapeLabel(rule) << "\"} " << n << '\n';
  Metric(os, "vigil_outputs_submitted_total", "counter", "Alerts handed to the outputs.",
         outputs_submitted_);
  Metric(os, "vigil_outputs_filtered_total", "counter", "Alerts below the minimum priority.",
         outputs_filtered_);
  Metric(os, "vigil_outputs_suppressed_total", "counter", "Alerts folded by rate limiting.",
         outputs_suppressed_);
  const struct {
    const char* kind;
    uint64_t SinkStats::*count;
  } kinds[] = {{"sent", &SinkStats::sent}, {"failed", &SinkStats::failed},
               {"dropped", &SinkStats::dropped}};
  for (const auto& [kind, count] : kinds) {
    os << "# HELP vigil_sink_" << kind << "_total Alerts " << kind << " per sink.\n"
       << "# TYPE vigil_sink_" << kind << "_total counter\n";
    for (const auto& s : sinks_) {
      uint64_t v = s.*count;
      os << "vigil_sink_" << kind << "_total{sink=\"" << EscapeLabel(s.name) << "\"} " << v
         << '\n';
    }
  }
  Metric(os, "vigil_containers_cached", "gauge", "Containers in the metadata cache.", containers_cached.load());
  Metric(os, "vigil_containers_pending", "gauge", "Containers whose metadata is being fetched.",
         containers_pending.load());
  Metric(os, "vigil_container_cache_bytes", "gauge", "Approximate memory held by container metadata.",
         container_cache_bytes.load());
  Metric(os, "vigil_container_fetches_total", "counter", "Container metadata fetch attempts.",
         container_fetches.load());
  Metric(os, "vigil_container_fetch_failures_total", "counter",
         "Containers no runtime gave metadata for.", container_fetch_failures.load());
  Metric(os, "vigil_container_fetch_timeouts_total", "counter", "Runtime API requests that timed out.",
         container_fetch_timeouts.load());
  Metric(os, "vigil_container_evictions_total", "counter", "Containers dropped from the cache (gone, or cache full).",
         container_evictions.load());
  Metric(os, "vigil_container_events_held_total", "counter",
         "Events of containers with pending metadata held before evaluation.", container_events_held.load());
  Metric(os, "vigil_container_events_held_overflow_total", "counter",
         "Events evaluated without waiting because the hold queue was full.",
         container_events_held_overflow.load());
  Metric(os, "vigil_container_holds_with_metadata_total", "counter",
         "Held events released once metadata arrived.", container_holds_with_metadata.load());
  Metric(os, "vigil_container_holds_expired_total", "counter",
         "Held events released at the deadline without metadata.", container_holds_expired.load());
  Metric(os, "vigil_container_hold_seconds_total", "counter", "Time held events waited.",
         static_cast<double>(container_hold_ns_total.load()) / 1e9);
  Metric(os, "vigil_container_events_total", "counter", "Synthetic container (start) events.",
         container_events.load());
  os << "# HELP vigil_sink_queue_depth Alerts waiting in each sink's queue.\n"
     << "# TYPE vigil_sink_queue_depth gauge\n";
  for (const auto& s : sinks_)
    os << "vigil_sink_queue_depth{sink=\"" << EscapeLabel(s.name) << "\"} " << s.queue_depth
       << '\n';
  // Disk spool (sinks with spool enabled only).
  const auto now_ns = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count());
  const struct {
    const char* name;
    const char* type;
    const char* help;
    double (*value)(const SinkStats&, uint64_t now_ns);
  } spool_metrics[] = {
      {"vigil_sink_spool_bytes", "gauge", "Bytes of each sink's disk spool.",
       [](const SinkStats& s, uint64_t) { return static_cast<double>(s.spool.bytes); }},
      {"vigil_sink_spool_records", "gauge", "Alerts in each sink's disk spool not yet delivered.",
       [](const SinkStats& s, uint64_t) { return static_cast<double>(s.spool.records); }},
      {"vigil_sink_spool_oldest_age_seconds", "gauge", "Age of the oldest undelivered spooled alert.",
       [](const SinkStats& s, uint64_t now) {
         return s.spool.oldest_ns == 0 || now < s.spool.oldest_ns ? 0.0 : (now - s.spool.oldest_ns) / 1e9;
       }},
      {"vigil_sink_spool_replayed_total", "counter",
       "Alerts delivered from the spool after a failed attempt or a restart.",
       [](const SinkStats& s, uint64_t) { return static_cast<double>(s.replayed); }},
      {"vigil_sink_spool_dropped_total", "counter", "Undelivered alerts deleted at the spool's size cap.",
       [](const SinkStats& s, uint64_t) { return static_cast<double>(s.spool.dropped_cap); }},
      {"vigil_sink_spool_write_failed_total", "counter", "Alerts the spool could not write (disk full).",
       [](const SinkStats& s, uint64_t) { return static_cast<double>(s.spool.write_failed); }},
      {"vigil_sink_spool_corrupted_total", "counter", "Spool records that failed their checksum, skipped.",
       [](const SinkStats& s, uint64_t) { return static_cast<double>(s.spool.corrupted); }},
  };
  for (const auto& m : spool_metrics) {
    os << "# HELP " << m.name << ' ' << m.help << "\n# TYPE " << m.name << ' ' << m.type << '\n';
    for (const auto& s : sinks_) {
      if (!s.spool_enabled) continue;
      const double v = m.value(s, now_ns);
      os << m.name << "{sink=\"" << EscapeLabel(s.name) << "\"} ";
      if (v == static_cast<double>(static_cast<uint64_t>(v))) {
        os << static_cast<uint64_t>(v);  // exact integers, not 2.68435e+08
      } else {
        os << v;
      }
      os << '\n';
    }
  }
  return os.str();
}

}  // namespace vigil
