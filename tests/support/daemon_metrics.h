// daemon_metrics.h — test helper: reads the /metrics endpoint of a daemon started with
// VigilProcess (its port is taken from the "metrics on http://127.0.0.1:N/metrics" log line).
// Test-only.
#pragma once

#include <cstdint>
#include <string>

#include "vigil_process.h"

namespace vigil::testing {

// The metrics port the daemon logged (0 while it has not logged it).
uint16_t MetricsPort(const VigilProcess& vigil);
// One scrape of /metrics ("" when the port is unknown or the request fails).
std::string ScrapeMetrics(const VigilProcess& vigil);
// The value of an exact series name (with labels, e.g. `vigil_sink_sent_total{sink="file"}`)
// in a scrape's body; -1 when absent.
double MetricValue(const std::string& body, const std::string& series);
// ScrapeMetrics + MetricValue.
double Metric(const VigilProcess& vigil, const std::string& series);

}  // namespace vigil::testing
