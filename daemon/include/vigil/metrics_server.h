// metrics_server.h — a small HTTP endpoint (cpp-httplib) serving Prometheus text metrics
// at /metrics and a health check at /healthz. Binds 127.0.0.1 by default.
// Owned by the daemon; runs its own thread; the render/health callbacks are called from
// that thread and must be thread safe (they read atomics / take a short lock).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace vigil {

class MetricsServer {
 public:
  using Render = std::function<std::string()>;
  using Health = std::function<bool(std::string* detail)>;

  MetricsServer(Render render, Health health);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds and starts serving; port 0 picks a free port (see port()). False + *error on failure.
  bool Start(const std::string& address, uint16_t port, std::string* error);
  void Stop();
  uint16_t port() const { return port_; }

 private:
  Render render_;
  Health health_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  uint16_t port_ = 0;
};

}  // namespace vigil
