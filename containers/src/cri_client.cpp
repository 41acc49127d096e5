// cri_client.cpp — PodSandboxStatus over gRPC/HTTP2 with libcurl (cri_client.h).
#include "vigil/cri_client.h"

#include <curl/curl.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstdlib>

namespace vigil {
namespace {

// --- protobuf wire format: just what the two messages need ---------------------------------
bool ReadVarint(std::string_view in, std::size_t* pos, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && *pos < in.size(); shift += 7) {
    const auto b = static_cast<uint8_t>(in[(*pos)++]);
    *v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

// Calls fn(field number, bytes) for each length-delimited field; skips the others.
template <typename Fn>
bool ForEachBytesField(std::string_view msg, Fn fn) {
  std::size_t pos = 0;
  while (pos < msg.size()) {
    uint64_t key = 0, v = 0;
    if (!ReadVarint(msg, &pos, &key)) return false;
    switch (key & 7) {
      case 0:
        if (!ReadVarint(msg, &pos, &v)) return false;
        break;
      case 1:
        pos += 8;
        break;
      case 5:
        pos += 4;
        break;
      case 2:
        if (!ReadVarint(msg, &pos, &v) || v > msg.size() - pos) return false;
        if (!fn(static_cast<uint32_t>(key >> 3), msg.substr(pos, v))) return false;
        pos += v;
        break;
      default:
        return false;
    }
    if (pos > msg.size()) return false;
  }
  return true;
}

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// --- gRPC over libcurl ----------------------------------------------------------------------
struct Reply {
  std::string body;
  std::string grpc_status;
  std::string grpc_message;
};

size_t OnBody(char* ptr, size_t size, size_t n, void* user) {
  auto* r = static_cast<Reply*>(user);
  if (r->body.size() > (1u << 20)) return 0;  // a pod's status is a few KiB
  r->body.append(ptr, size * n);
  return size * n;
}

// Headers and (HTTP/2) trailers: grpc-status / grpc-message.
size_t OnHeader(char* ptr, size_t size, size_t n, void* user) {
  auto* r = static_cast<Reply*>(user);
  std::string_view line(ptr, size * n);
  auto take = [&](std::string_view name, std::string* out) {
    if (line.size() > name.size() && line.substr(0, name.size()) == name) {
      std::string_view v = line.substr(name.size());
      while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.remove_suffix(1);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      *out = std::string(v);
    }
  };
  take("grpc-status:", &r->grpc_status);
  take("grpc-message:", &r->grpc_message);
  return size * n;
}

}  // namespace

bool DecodePodSandboxLabels(std::string_view message, KeyValues* labels) {
  labels->clear();
  // PodSandboxStatusResponse.status = 1 -> PodSandboxStatus.labels = 7 (map<string,string>)
  return ForEachBytesField(message, [&](uint32_t num, std::string_view status) {
    if (num != 1) return true;
    return ForEachBytesField(status, [&](uint32_t f, std::string_view entry) {
      if (f != 7) return true;
      std::string key, value;
      bool ok = ForEachBytesField(entry, [&](uint32_t e, std::string_view s) {
        if (e == 1) key = std::string(s);
        if (e == 2) value = std::string(s);
        return true;
      });
      if (ok) labels->emplace_back(std::move(key), std::move(value));
      return ok;
    });
  });
}

CriStatus CriPodLabels(const std::string& socket, const std::string& sandbox_id, int timeout_ms,
                       KeyValues* labels, std::string* error) {
  struct stat st {};
  if (::stat(socket.c_str(), &st) != 0) return CriStatus::kNoSocket;
  // PodSandboxStatusRequest { pod_sandbox_id = 1 } in a gRPC frame (uncompressed, length).
  std::string msg;
  msg.push_back(0x0a);
  PutVarint(&msg, sandbox_id.size());
  msg += sandbox_id;
  std::string frame(5, '\0');
  for (int i = 0; i < 4; ++i) frame[1 + i] = static_cast<char>((msg.size() >> (8 * (3 - i))) & 0xff);
  frame += msg;

  CURL* h = curl_easy_init();
  if (!h) {
    *error = "curl_easy_init failed";
    return CriStatus::kError;
  }
  Reply reply;
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "content-type: application/grpc");
  headers = curl_slist_append(headers, "te: trailers");
  curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, socket.c_str());
  curl_easy_setopt(h, CURLOPT_URL, "http://localhost/runtime.v1.RuntimeService/PodSandboxStatus");
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, frame.data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(frame.size()));
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_ms));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &reply);
  CURLcode rc = curl_easy_perform(h);
  long code = 0;
  if (rc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(headers);
  curl_easy_cleanup(h);
  if (rc != CURLE_OK) {
    *error = socket + ": " + curl_easy_strerror(rc);
    return rc == CURLE_OPERATION_TIMEDOUT ? CriStatus::kTimeout : CriStatus::kError;
  }
  if (code != 200) {
    *error = socket + ": HTTP " + std::to_string(code);
    return CriStatus::kError;
  }
  if (reply.grpc_status == "5") return CriStatus::kNotFound;  // NOT_FOUND
  if (reply.grpc_status != "0") {
    *error = socket + ": gRPC status " + (reply.grpc_status.empty() ? "missing" : reply.grpc_status) + " " +
             reply.grpc_message;
    return CriStatus::kError;
  }
  if (reply.body.size() < 5 || reply.body[0] != 0) {
    *error = socket + ": malformed gRPC reply";
    return CriStatus::kError;
  }
  std::size_t len = 0;
  for (int i = 1; i < 5; ++i) len = len << 8 | static_cast<uint8_t>(reply.body[i]);
  if (len != reply.body.size() - 5 || !DecodePodSandboxLabels(std::string_view(reply.body).substr(5), labels)) {
    *error = socket + ": malformed PodSandboxStatus reply";
    return CriStatus::kError;
  }
  return CriStatus::kOk;
}

}  // namespace vigil
