#include "daemon_metrics.h"

#include <httplib.h>

#include <regex>

namespace vigil::testing {

uint16_t MetricsPort(const VigilProcess& vigil) {
  std::smatch m;
  const std::string log = vigil.Log();
  if (!std::regex_search(log, m, std::regex("metrics on http://127\\.0\\.0\\.1:(\\d+)/metrics"))) return 0;
  return static_cast<uint16_t>(std::stoi(m[1]));
}

std::string ScrapeMetrics(const VigilProcess& vigil) {
  const uint16_t port = MetricsPort(vigil);
  if (port == 0) return "";
  httplib::Client client("127.0.0.1", port);
  auto res = client.Get("/metrics");
  return res ? res->body : "";
}

double MetricValue(const std::string& body, const std::string& series) {
  const std::string needle = series + " ";
  std::size_t pos = 0;
  if (body.compare(0, needle.size(), needle) != 0) {
    pos = body.find("\n" + needle);
    if (pos == std::string::npos) return -1;
    pos += 1;  // the newline
  }
  return std::stod(body.substr(pos + needle.size()));
}

double Metric(const VigilProcess& vigil, const std::string& series) {
  return MetricValue(ScrapeMetrics(vigil), series);
}

}  // namespace vigil::testing
