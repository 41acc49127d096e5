#include "vigil/metrics_server.h"

#include <httplib.h>

#include <chrono>
#include <thread>

namespace vigil {

MetricsServer::MetricsServer(Render render, Health health)
    : render_(std::move(render)), health_(std::move(health)) {}

MetricsServer::~MetricsServer() { Stop(); }

bool MetricsServer::Start(const std::string& address, uint16_t port, std::string* error) {
  server_ = std::make_unique<httplib::Server>();
  // httplib's default also sets SO_REUSEPORT, which would let another process bind the same
  // port and steal scrapes: keep only SO_REUSEADDR.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(render_(), "text/plain; version=0.0.4");
  });
  server_->Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    std::string detail;
    bool ok = health_(&detail);
    res.status = ok ? 200 : 503;
    res.set_content((ok ? "ok" : "unhealthy") + (detail.empty() ? "" : ": " + detail) + "\n",
                    "text/plain");
  });
  int bound = port == 0 ? server_->bind_to_any_port(address) : (server_->bind_to_port(address, port) ? port : -1);
  if (bound <= 0) {
    *error = "metrics: cannot bind " + address + ":" + std::to_string(port);
    server_.reset();
    return false;
  }
  port_ = static_cast<uint16_t>(bound);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // httplib's stop() is a no-op until the listen loop runs: wait for it so a quick Stop()
  // cannot leave the thread blocked in accept forever.
  for (int i = 0; i < 2000 && !server_->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return true;
}

void MetricsServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace vigil
