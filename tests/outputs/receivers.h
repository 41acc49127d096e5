// receivers.h — real alert receivers for the delivery fault tests, each startable and
// stoppable on a fixed loopback port: an HTTP server (LoopbackHttpServer), an RFC 6587
// syslog TCP collector, and redis-server / nats-server processes (Debian packages) with
// their data in a temp directory. Ports are ReservedPorts, so no other test or outgoing
// connection can take one while its receiver is down. Each returns the alert JSON documents it holds, in
// arrival order. Test-only.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "loopback_http_server.h"
#include "reserved_port.h"
#include "test_alerts.h"
#include "vigil/outputs_config.h"

namespace vigil::testing {

class Receiver {
 public:
  virtual ~Receiver() = default;
  virtual std::string name() const = 0;
  virtual void Start() = 0;
  virtual void Stop() = 0;
  // Every alert record held by the receiver (the sink's JSON text), in arrival order.
  virtual std::vector<std::string> Records() = 0;
  // Enables this receiver's sink in *config.
  virtual void Configure(OutputsConfig* config) = 0;
  // A receiver whose server process exited while it should be up is started again (on the
  // same port and data), with its log on stderr: to the sink that is one more outage.
  virtual void RestartIfExited() {}
};

// A process started with fork/exec, output to `log`; stopped with SIGTERM (then SIGKILL).
class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> argv, const std::string& log) : log_(log) {
    pid_ = fork();
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
  }
  ~ChildProcess() { Stop(); }
  bool Running() {
    if (pid_ <= 0) return false;
    if (waitpid(pid_, nullptr, WNOHANG) != pid_) return true;
    pid_ = -1;
    return false;
  }
  std::string Log() const {
    std::ostringstream text;
    text << std::ifstream(log_).rdbuf();
    return text.str();
  }
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 500; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  std::string log_;
  pid_t pid_ = -1;
};

inline bool TcpAccepts(uint16_t port);

// Starts a server process and waits until it accepts on `port`; throws with its log when
// it exits or does not accept within 10 s (a receiver that silently is not there would
// turn into a confusing "alerts did not arrive" failure later).
inline std::unique_ptr<ChildProcess> StartServer(std::vector<std::string> argv, const std::string& log,
                                                 uint16_t port) {
  const std::string what = argv[0];
  auto server = std::make_unique<ChildProcess>(std::move(argv), log);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (server->Running() && !TcpAccepts(port) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!server->Running() || !TcpAccepts(port)) {
    throw std::runtime_error(what + " did not start on 127.0.0.1:" + std::to_string(port) + "; its log:\n" +
                             server->Log());
  }
  return server;
}

template <typename StartFn>
void RestartExitedServer(const char* name, std::unique_ptr<ChildProcess>& server, StartFn start) {
  if (server == nullptr || server->Running()) return;
  std::fprintf(stderr, "%s receiver: its server exited; starting it again. Its log:\n%s\n", name,
               server->Log().c_str());
  start();
}

inline bool TcpAccepts(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

class HttpReceiver final : public Receiver {
 public:
  HttpReceiver() = default;
  std::string name() const override { return "http"; }
  void Start() override {
    server_ = std::make_unique<LoopbackHttpServer>(200, port_.port());
    if (server_->port() != port_.port()) throw std::runtime_error("HTTP receiver cannot listen on its port");
  }
  void Stop() override {
    if (server_ == nullptr) return;
    for (const auto& r : server_->requests()) kept_.push_back(r.body);
    server_.reset();
  }
  std::vector<std::string> Records() override {
    std::vector<std::string> all = kept_;
    if (server_ != nullptr) {
      for (const auto& r : server_->requests()) all.push_back(r.body);
    }
    return all;
  }
  void Configure(OutputsConfig* c) override {
    c->http.enabled = true;
    c->http.options.url = "http://127.0.0.1:" + std::to_string(port_.port()) + "/";
    c->http.options.retries = 0;
    c->http.options.timeout = std::chrono::milliseconds(1000);
  }
  uint16_t port() const { return port_.port(); }

 private:
  ReservedPort port_;
  std::unique_ptr<LoopbackHttpServer> server_;
  std::vector<std::string> kept_;
};

// RFC 5424 over TCP with octet counting; keeps the MSG part after "alert - ".
class SyslogTcpReceiver final : public Receiver {
 public:
  SyslogTcpReceiver() = default;
  ~SyslogTcpReceiver() override { Stop(); }
  std::string name() const override { return "syslog"; }
  void Start() override {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_.port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 16) != 0) {
      ::close(listen_fd_);
      throw std::runtime_error("syslog receiver cannot listen on port " + std::to_string(port_.port()));
    }
    stop_ = false;
    thread_ = std::thread([this] { Loop(); });
  }
  void Stop() override {
    if (!thread_.joinable()) return;
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
  }
  std::vector<std::string> Records() override {
    std::lock_guard lock(mu_);
    return records_;
  }
  void Configure(OutputsConfig* c) override {
    c->syslog.enabled = true;
    c->syslog.options.transport = SyslogSinkOptions::Transport::kTcp;
    c->syslog.options.host = "127.0.0.1";
    c->syslog.options.port = port_.port();
    c->syslog.options.timeout = std::chrono::milliseconds(1000);
  }

 private:
  void Loop() {
    std::vector<std::pair<int, std::string>> conns;
    while (!stop_) {
      std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
      for (auto& c : conns) fds.push_back({c.first, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) conns.emplace_back(fd, "");
      }
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        auto& [fd, buf] = conns[i - 1];
        char chunk[65536];
        const ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n <= 0) {
          ::close(fd);
          fd = -1;
          continue;
        }
        buf.append(chunk, static_cast<std::size_t>(n));
        for (;;) {  // "LEN SP MSG"
          const auto sp = buf.find(' ');
          if (sp == std::string::npos) break;
          const std::size_t len = std::stoul(buf.substr(0, sp));
          if (buf.size() < sp + 1 + len) break;
          const std::string msg = buf.substr(sp + 1, len);
          buf.erase(0, sp + 1 + len);
          const auto body = msg.find(" alert - ");
          std::lock_guard lock(mu_);
          records_.push_back(body == std::string::npos ? msg : msg.substr(body + 9));
        }
      }
      std::erase_if(conns, [](const auto& c) { return c.first < 0; });
    }
    for (auto& c : conns) ::close(c.first);
  }

  ReservedPort port_;
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> records_;
};

// redis-server with an append-only file in `dir` (fsync always by default, so a restart
// keeps what was delivered before the outage; the bench uses Redis's default, everysec).
class RedisReceiver final : public Receiver {
 public:
  explicit RedisReceiver(std::string dir, bool fsync_always = true)
      : dir_(std::move(dir)), fsync_(fsync_always ? "always" : "everysec") {}
  std::string name() const override { return "redis"; }
  void Start() override {
    server_ = StartServer({"redis-server", "--port", std::to_string(port_.port()), "--bind", "127.0.0.1", "--save",
                           "", "--appendonly", "yes", "--appendfsync", fsync_, "--dir", dir_, "--daemonize", "no",
                           "--protected-mode", "no"},
                          dir_ + "/redis.log", port_.port());
  }
  void Stop() override { server_.reset(); }
  void RestartIfExited() override { RestartExitedServer("redis", server_, [this] { Start(); }); }
  std::vector<std::string> Records() override {
    std::vector<std::string> out;
    redisContext* c = redisConnect("127.0.0.1", port_.port());
    if (c == nullptr || c->err) {
      if (c) redisFree(c);
      return out;
    }
    auto* reply = static_cast<redisReply*>(redisCommand(c, "XRANGE vigil:test - +"));
    if (reply != nullptr && reply->type == REDIS_REPLY_ARRAY) {
      for (std::size_t i = 0; i < reply->elements; ++i) {
        const redisReply* fields = reply->element[i]->element[1];
        for (std::size_t j = 0; j + 1 < fields->elements; j += 2) {
          if (std::string(fields->element[j]->str) == "alert") out.emplace_back(fields->element[j + 1]->str);
        }
      }
    }
    if (reply) freeReplyObject(reply);
    redisFree(c);
    return out;
  }
  void Configure(OutputsConfig* c) override {
    c->redis.enabled = true;
    c->redis.options.port = port_.port();
    c->redis.options.key = "vigil:test";
    c->redis.options.timeout = std::chrono::milliseconds(1000);
  }

 private:
  std::string dir_;
  ReservedPort port_;
  std::string fsync_;
  std::unique_ptr<ChildProcess> server_;
};

// nats-server with JetStream storing in `dir`; the sink creates the stream.
class NatsReceiver final : public Receiver {
 public:
  explicit NatsReceiver(std::string dir) : dir_(std::move(dir)) {}
  std::string name() const override { return "nats"; }
  // Up only when JetStream answers (a listening port is not enough: a stream created before
  // JetStream is ready has failed the fault test with "Connection Closed" and a server gone),
  // and still running a moment later; a server that died on the way is started again (3
  // tries), and its log is in the error when all fail.
  void Start() override {
    std::string logs;
    for (int attempt = 0; attempt < 3; ++attempt) {
      server_ = StartServer({"nats-server", "-js", "-a", "127.0.0.1", "-p", std::to_string(port_.port()),
                             "-sd", dir_ + "/js"},
                            dir_ + "/nats.log", port_.port());
      if (JetStreamAnswers(std::chrono::seconds(10))) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        if (server_->Running() && JetStreamAnswers(std::chrono::seconds(2))) return;
      }
      logs = server_->Log();
      server_.reset();
    }
    throw std::runtime_error("nats-server with JetStream did not come up in 3 tries; its log:\n" + logs);
  }
  void Stop() override { server_.reset(); }
  void RestartIfExited() override { RestartExitedServer("nats", server_, [this] { Start(); }); }
  std::vector<std::string> Records() override {
    std::vector<std::string> out;
    natsConnection* nc = nullptr;
    if (natsConnection_ConnectTo(&nc, url().c_str()) != NATS_OK) return out;
    jsCtx* js = nullptr;
    natsConnection_JetStream(&js, nc, nullptr);
    for (uint64_t seq = 1;; ++seq) {
      natsMsg* msg = nullptr;
      if (js_GetMsg(&msg, js, "VIGIL_TEST", seq, nullptr, nullptr) != NATS_OK) break;
      out.emplace_back(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
      subjects_.push_back(natsMsg_GetSubject(msg));
      natsMsg_Destroy(msg);
    }
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return out;
  }
  void Configure(OutputsConfig* c) override {
    c->nats.enabled = true;
    c->nats.options.url = url();
    c->nats.options.stream = "VIGIL_TEST";
    c->nats.options.create_stream = true;
    c->nats.options.timeout = std::chrono::milliseconds(1000);
  }
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_.port()); }
  const std::vector<std::string>& subjects() const { return subjects_; }

 private:
  bool JetStreamAnswers(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline && server_->Running()) {
      natsConnection* nc = nullptr;
      bool ok = false;
      if (natsConnection_ConnectTo(&nc, url().c_str()) == NATS_OK) {
        jsCtx* js = nullptr;
        jsAccountInfo* info = nullptr;
        if (natsConnection_JetStream(&js, nc, nullptr) == NATS_OK &&
            js_GetAccountInfo(&info, js, nullptr, nullptr) == NATS_OK) {
          ok = true;
          jsAccountInfo_Destroy(info);
        }
        jsCtx_Destroy(js);
      }
      natsConnection_Destroy(nc);
      if (ok) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  std::string dir_;
  ReservedPort port_;
  std::unique_ptr<ChildProcess> server_;
  std::vector<std::string> subjects_;
};

}  // namespace vigil::testing
