#include "vigil/nats_sink.h"

#include <nats/nats.h>

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "vigil/secret_file.h"

namespace vigil {
namespace {

// A subject token: no separators or wildcards, never empty.
std::string SubjectToken(std::string_view value, bool lower) {
  std::string token;
  for (char c : value) {
    const bool bad = c == '.' || c == '*' || c == '>' || static_cast<unsigned char>(c) <= ' ' ||
                     static_cast<unsigned char>(c) >= 127;
    char out = bad ? '_' : c;
    if (lower && out >= 'A' && out <= 'Z') out = static_cast<char>(out - 'A' + 'a');
    token.push_back(out);
  }
  return token.empty() ? "_" : token;
}

std::string StatusText(natsStatus s, jsErrCode jerr = static_cast<jsErrCode>(0)) {
  std::string text = natsStatus_GetText(s);
  const char* last = nats_GetLastError(nullptr);
  if (last != nullptr && *last != '\0') text += std::string(" (") + last + ")";
  if (jerr != 0) text += " (JetStream error " + std::to_string(static_cast<int>(jerr)) + ")";
  return text;
}

}  // namespace

std::string NatsSubject(const std::string& subject_template, const Alert& alert) {
  std::string out;
  std::size_t i = 0;
  while (i < subject_template.size()) {
    if (subject_template[i] == '<') {
      const std::size_t close = subject_template.find('>', i);
      if (close != std::string::npos) {
        const std::string_view name(subject_template.data() + i + 1, close - i - 1);
        bool known = true;
        if (name == "hostname") out += SubjectToken(alert.hostname, false);
        else if (name == "priority") out += SubjectToken(PriorityName(alert.priority), true);
        else if (name == "rule") out += SubjectToken(alert.rule, false);
        else if (name == "source") out += SubjectToken(alert.source, false);
        else known = false;
        if (known) {
          i = close + 1;
          continue;
        }
      }
    }
    out.push_back(subject_template[i++]);
  }
  return out;
}

struct NatsSink::State {
  natsConnection* conn = nullptr;
  jsCtx* js = nullptr;
  std::string subject;
  std::string msg_id;
  // Asynchronous publish of one batch: acknowledgements arrive on a library thread and
  // are matched to the batch by message id (the alert's uuid).
  std::mutex mu;
  std::unordered_map<std::string, std::size_t> index;
  std::vector<char> acked;   // 0 pending, 1 acknowledged, 2 failed
  std::string error;
};

namespace {

void OnPublishAck(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* err, void* closure) {
  auto* state = static_cast<NatsSink::State*>(closure);
  const char* id = nullptr;
  if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) == NATS_OK && id != nullptr) {
    std::lock_guard lock(state->mu);
    const auto it = state->index.find(id);
    if (it != state->index.end() && it->second < state->acked.size()) {
      state->acked[it->second] = ack != nullptr ? 1 : 2;
      if (ack == nullptr && err != nullptr && state->error.empty()) {
        state->error = err->ErrText != nullptr ? err->ErrText : natsStatus_GetText(err->Err);
      }
    }
  }
  natsMsg_Destroy(msg);
}

// Both publish paths: sets state->subject and state->msg_id for `alert` and returns the
// publish options naming the message id (the alert's uuid, when it has one).
jsPubOptions PrepareMessage(NatsSink::State* state, const std::string& subject_template, const Alert& alert) {
  state->subject = NatsSubject(subject_template, alert);
  jsPubOptions po;
  jsPubOptions_Init(&po);
  if (alert.has_uuid()) {
    state->msg_id.assign(alert.uuid.data(), alert.uuid.size());
    po.MsgId = state->msg_id.c_str();
  }
  return po;
}

}  // namespace

NatsSink::NatsSink(NatsSinkOptions options)
    : options_(std::move(options)), state_(std::make_unique<State>()), log_("nats " + options_.url) {}

NatsSink::~NatsSink() { Disconnect(); }

void NatsSink::Disconnect() noexcept {
  if (state_->js != nullptr) jsCtx_Destroy(state_->js);
  if (state_->conn != nullptr) natsConnection_Destroy(state_->conn);
  state_->js = nullptr;
  state_->conn = nullptr;
}

void NatsSink::Reopen() noexcept { Disconnect(); }

std::string NatsSink::Connect() noexcept {
  if (state_->conn != nullptr && natsConnection_Status(state_->conn) == NATS_CONN_STATUS_CONNECTED) return {};
  Disconnect();
  natsOptions* opts = nullptr;
  std::string error;
  natsStatus s = natsOptions_Create(&opts);
  auto check = [&](natsStatus st, const char* what) {
    if (st != NATS_OK && error.empty()) error = std::string(what) + ": " + StatusText(st);
    return st == NATS_OK;
  };
  check(s, "options");
  if (error.empty()) check(natsOptions_SetURL(opts, options_.url.c_str()), "url");
  if (error.empty()) check(natsOptions_SetTimeout(opts, options_.timeout.count()), "timeout");
  // The QueuedSink retries with its own backoff (and spools meanwhile): no library
  // reconnect loop that would buffer publishes in memory behind our back.
  if (error.empty()) check(natsOptions_SetAllowReconnect(opts, false), "reconnect");
  // Write each publish to the socket at once: libnats otherwise leaves asynchronous
  // publishes to its flusher thread, which waits 1 ms for more before writing, and every
  // batch paid that millisecond before its first acknowledgement could come back.
  if (error.empty()) check(natsOptions_SetSendAsap(opts, true), "send_asap");
  if (error.empty() && !options_.creds_file.empty()) {
    check(natsOptions_SetUserCredentialsFromFiles(opts, options_.creds_file.c_str(), nullptr), "creds_file");
  }
  if (error.empty() && !options_.user.empty()) {
    std::string password;
    if (!options_.password_file.empty() && !ReadSecretFile(options_.password_file, &password, &error)) {
      error = "password_file: " + error;
    } else {
      check(natsOptions_SetUserInfo(opts, options_.user.c_str(), password.c_str()), "user");
    }
  }
  if (error.empty() && !options_.token_file.empty()) {
    std::string token;
    if (!ReadSecretFile(options_.token_file, &token, &error)) {
      error = "token_file: " + error;
    } else {
      check(natsOptions_SetToken(opts, token.c_str()), "token");
    }
  }
  if (error.empty() && (options_.tls || !options_.ca_file.empty() || !options_.cert_file.empty())) {
    check(natsOptions_SetSecure(opts, true), "tls");
    if (error.empty() && !options_.ca_file.empty()) {
      check(natsOptions_LoadCATrustedCertificates(opts, options_.ca_file.c_str()), "ca_file");
    }
    if (error.empty() && !options_.cert_file.empty()) {
      check(natsOptions_LoadCertificatesChain(opts, options_.cert_file.c_str(), options_.key_file.c_str()),
            "cert_file/key_file");
    }
  }
  if (error.empty()) check(natsConnection_Connect(&state_->conn, opts), "connect");
  if (opts != nullptr) natsOptions_Destroy(opts);
  if (error.empty()) {
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = options_.timeout.count();
    jo.PublishAsync.AckHandler = &OnPublishAck;
    jo.PublishAsync.AckHandlerClosure = state_.get();
    jo.PublishAsync.MaxPending = 1024;
    check(natsConnection_JetStream(&state_->js, state_->conn, &jo), "jetstream");
  }
  if (error.empty() && options_.create_stream && !options_.stream.empty()) {
    jsStreamInfo* info = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    s = js_GetStreamInfo(&info, state_->js, options_.stream.c_str(), nullptr, &jerr);
    if (s == NATS_NOT_FOUND) {
      std::vector<const char*> subjects;
      for (const auto& subject : options_.stream_subjects) subjects.push_back(subject.c_str());
      jsStreamConfig config;
      jsStreamConfig_Init(&config);
      config.Name = options_.stream.c_str();
      config.Subjects = subjects.data();
      config.SubjectsLen = static_cast<int>(subjects.size());
      config.Storage = js_FileStorage;
      s = js_AddStream(&info, state_->js, &config, nullptr, &jerr);
      if (s != NATS_OK) error = "create stream " + options_.stream + ": " + StatusText(s, jerr);
    } else if (s != NATS_OK) {
      error = "stream " + options_.stream + ": " + StatusText(s, jerr);
    }
    if (info != nullptr) jsStreamInfo_Destroy(info);
  }
  if (!error.empty()) Disconnect();
  return error;
}

std::size_t NatsSink::Write(std::span<const FormattedAlert> records) noexcept {
  if (std::string error = Connect(); !error.empty()) {
    log_.Failed(error);
    return 0;
  }
  const bool all_have_ids = std::all_of(records.begin(), records.end(),
                                        [](const FormattedAlert& r) { return r.alert->has_uuid(); });
  if (!all_have_ids || records.size() == 1) return WriteSync(records);
  // Publish the batch without waiting between messages, then wait for every
  // acknowledgement: one round trip per batch instead of one per alert.
  {
    std::lock_guard lock(state_->mu);
    state_->index.clear();
    state_->acked.assign(records.size(), 0);
    state_->error.clear();
    for (std::size_t i = 0; i < records.size(); ++i) {
      state_->index.emplace(std::string(records[i].alert->uuid.data(), records[i].alert->uuid.size()), i);
    }
  }
  std::string failure;
  for (const FormattedAlert& record : records) {
    jsPubOptions po = PrepareMessage(state_.get(), options_.subject, *record.alert);
    const natsStatus s = js_PublishAsync(state_->js, state_->subject.c_str(), record.text.data(),
                                         static_cast<int>(record.text.size()), &po);
    if (s != NATS_OK) {
      failure = "publish to " + state_->subject + ": " + StatusText(s);
      break;
    }
  }
  jsPubOptions wait;
  jsPubOptions_Init(&wait);
  wait.MaxWait = options_.timeout.count();
  const natsStatus complete = js_PublishAsyncComplete(state_->js, &wait);
  std::size_t delivered = 0;
  {
    std::lock_guard lock(state_->mu);
    while (delivered < state_->acked.size() && state_->acked[delivered] == 1) ++delivered;
    if (failure.empty() && delivered < records.size()) {
      failure = !state_->error.empty() ? state_->error
                                       : "acknowledgement: " + StatusText(complete == NATS_OK ? NATS_TIMEOUT : complete);
    }
    state_->index.clear();
    state_->acked.clear();
  }
  if (delivered < records.size()) {
    // Retried later with the same message ids: JetStream drops what it already stored.
    log_.Failed(failure);
    Disconnect();
  } else {
    log_.Succeeded();
  }
  return delivered;
}

std::size_t NatsSink::WriteSync(std::span<const FormattedAlert> records) noexcept {
  std::size_t delivered = 0;
  for (const FormattedAlert& record : records) {
    jsPubOptions po = PrepareMessage(state_.get(), options_.subject, *record.alert);
    po.MaxWait = options_.timeout.count();
    jsPubAck* ack = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    const natsStatus s = js_Publish(&ack, state_->js, state_->subject.c_str(), record.text.data(),
                                    static_cast<int>(record.text.size()), &po, &jerr);
    if (ack != nullptr) jsPubAck_Destroy(ack);
    if (s != NATS_OK) {
      log_.Failed("publish to " + state_->subject + ": " + StatusText(s, jerr));
      // A timed-out ack is ambiguous (the server may have stored it): the retry carries
      // the same Nats-Msg-Id, which JetStream de-duplicates.
      if (s != NATS_TIMEOUT) Disconnect();
      break;
    }
    ++delivered;
  }
  if (delivered == records.size()) log_.Succeeded();
  return delivered;
}

}  // namespace vigil
