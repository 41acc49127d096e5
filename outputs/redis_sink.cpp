#include "vigil/redis_sink.h"

#include <hiredis/hiredis.h>

#include <vector>

#include "vigil/secret_file.h"

namespace vigil {
namespace {

struct ReplyDeleter {
  void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

}  // namespace

struct RedisSink::State {
  redisContext* ctx = nullptr;
  std::vector<const char*> argv;
  std::vector<std::size_t> argvlen;
  std::string maxlen;
};

RedisSink::RedisSink(RedisSinkOptions options)
    : options_(std::move(options)), state_(std::make_unique<State>()), log_("redis " + Destination()) {
  state_->maxlen = std::to_string(options_.maxlen);
}

RedisSink::~RedisSink() { Disconnect(); }

std::string RedisSink::Destination() const {
  return (options_.path.empty() ? options_.host + ":" + std::to_string(options_.port) : options_.path) +
         " stream " + options_.key;
}

void RedisSink::Disconnect() noexcept {
  if (state_->ctx != nullptr) redisFree(state_->ctx);
  state_->ctx = nullptr;
}

void RedisSink::Reopen() noexcept { Disconnect(); }

std::string RedisSink::Connect() noexcept {
  if (state_->ctx != nullptr) return {};
  const timeval tv = ToTimeval(options_.timeout);
  redisContext* ctx = options_.path.empty() ? redisConnectWithTimeout(options_.host.c_str(), options_.port, tv)
                                            : redisConnectUnixWithTimeout(options_.path.c_str(), tv);
  if (ctx == nullptr) return "connect: out of memory";
  if (ctx->err != 0) {
    std::string error = std::string("connect: ") + ctx->errstr;
    redisFree(ctx);
    return error;
  }
  redisSetTimeout(ctx, tv);
  state_->ctx = ctx;
  auto command = [&](std::vector<std::string> args) -> std::string {
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    Reply reply(static_cast<redisReply*>(
        redisCommandArgv(ctx, static_cast<int>(argv.size()), argv.data(), lens.data())));
    if (!reply) return std::string(args[0]) + ": " + ctx->errstr;
    if (reply->type == REDIS_REPLY_ERROR) return args[0] + ": " + std::string(reply->str, reply->len);
    return {};
  };
  std::string error;
  if (!options_.password_file.empty()) {
    std::string password;
    if (!ReadSecretFile(options_.password_file, &password, &error)) {
      error = "password_file: " + error;
    } else {
      error = options_.username.empty() ? command({"AUTH", password})
                                        : command({"AUTH", options_.username, password});
    }
  }
  if (error.empty() && options_.db != 0) error = command({"SELECT", std::to_string(options_.db)});
  if (!error.empty()) Disconnect();
  return error;
}

std::size_t RedisSink::Write(std::span<const FormattedAlert> records) noexcept {
  if (std::string error = Connect(); !error.empty()) {
    log_.Failed(error);
    return 0;
  }
  redisContext* ctx = state_->ctx;
  static constexpr const char* kPriorityNames[] = {"Emergency", "Alert", "Critical", "Error",
                                                   "Warning", "Notice", "Informational", "Debug"};
  for (const FormattedAlert& record : records) {
    const Alert& a = *record.alert;
    auto& argv = state_->argv;
    auto& lens = state_->argvlen;
    argv.clear();
    lens.clear();
    auto add = [&](const char* data, std::size_t len) {
      argv.push_back(data);
      lens.push_back(len);
    };
    auto add_str = [&](std::string_view s) { add(s.data(), s.size()); };
    add_str("XADD");
    add_str(options_.key);
    if (options_.maxlen > 0) {
      add_str("MAXLEN");
      add_str("~");
      add_str(state_->maxlen);
    }
    add_str("*");
    add_str("uuid");
    add(a.uuid.data(), a.has_uuid() ? a.uuid.size() : 0);
    add_str("priority");
    add_str(kPriorityNames[static_cast<int>(a.priority) & 7]);
    add_str("rule");
    add_str(a.rule);
    add_str("hostname");
    add_str(a.hostname);
    add_str("alert");
    add_str(record.text);
    if (redisAppendCommandArgv(ctx, static_cast<int>(argv.size()), argv.data(), lens.data()) != REDIS_OK) {
      log_.Failed(std::string("XADD: ") + ctx->errstr);
      Disconnect();
      return 0;
    }
  }
  // Replies come in order: the records before the first failure are in the stream.
  std::size_t delivered = 0;
  std::string failure;
  for (std::size_t i = 0; i < records.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx, &raw) != REDIS_OK) {
      failure = std::string("XADD: ") + ctx->errstr;
      Disconnect();
      break;
    }
    Reply reply(static_cast<redisReply*>(raw));
    if (reply->type == REDIS_REPLY_ERROR) {
      if (failure.empty()) failure = "XADD: " + std::string(reply->str, reply->len);
      continue;  // keep reading the pipelined replies; count only the prefix
    }
    if (failure.empty()) ++delivered;
  }
  if (!failure.empty()) {
    log_.Failed(failure);
  } else {
    log_.Succeeded();
  }
  return delivered;
}

}  // namespace vigil
