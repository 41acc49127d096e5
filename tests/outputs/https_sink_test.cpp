// HTTPS: TLS verification on by default, a custom CA bundle, and `insecure`.
// The server is cpp-httplib's SSLServer on 127.0.0.1 with a self-signed certificate made
// here with OpenSSL.
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT  // the cpp-httplib pkg-config flags define it
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_alerts.h"
#include "vigil/http_sink.h"
#include "vigil/queued_sink.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;

// Writes a self-signed certificate for IP 127.0.0.1 and its key as PEM files.
bool MakeSelfSignedCert(const std::string& cert_path, const std::string& key_path) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  if (key == nullptr || cert == nullptr) return false;
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(cert, key, EVP_sha256());
  FILE* cf = std::fopen(cert_path.c_str(), "w");
  FILE* kf = std::fopen(key_path.c_str(), "w");
  const bool ok = cf && kf && PEM_write_X509(cf, cert) == 1 &&
                  PEM_write_PrivateKey(kf, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (cf) std::fclose(cf);
  if (kf) std::fclose(kf);
  X509_free(cert);
  EVP_PKEY_free(key);
  return ok;
}

class HttpsServer {
 public:
  HttpsServer(const std::string& cert, const std::string& key) : server_(cert.c_str(), key.c_str()) {
    server_.Post("/alerts", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      bodies_.push_back(req.body);
      res.status = 200;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~HttpsServer() {
    // stop() is a no-op until the accept loop runs (the socket already listens).
    testing::WaitFor([this] { return server_.is_running(); });
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_) + "/alerts"; }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mu_);
    return bodies_;
  }

 private:
  httplib::SSLServer server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> bodies_;
};

struct Delivery {
  uint64_t sent = 0;
  uint64_t failed = 0;
};

Delivery PostOne(HttpSinkOptions options) {
  options.retries = 0;
  QueuedSink sink({.name = "https"}, std::make_unique<HttpSink>(options, OutputFormat::kJson));
  sink.Submit(std::make_shared<const Alert>(testing::SampleAlert("over tls")));
  EXPECT_TRUE(sink.Flush(10s));
  return {sink.Stats().sent, sink.Stats().failed};
}

TEST(HttpSink, VerifiesTheServerCertificateUnlessInsecure) {
  testing::ScratchDir dir;
  const std::string cert = dir.File("cert.pem");
  ASSERT_TRUE(MakeSelfSignedCert(cert, dir.File("key.pem")));
  HttpsServer server(cert, dir.File("key.pem"));
  ASSERT_TRUE(server.bodies().empty());

  HttpSinkOptions options;
  options.url = server.url();
  // Default: verification on, the self-signed certificate is not trusted.
  Delivery d = PostOne(options);
  EXPECT_EQ(d.sent, 0u);
  EXPECT_EQ(d.failed, 1u);
  EXPECT_TRUE(server.bodies().empty());

  // Trusting it through ca_file.
  options.ca_file = cert;
  d = PostOne(options);
  EXPECT_EQ(d.sent, 1u);
  ASSERT_EQ(server.bodies().size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(server.bodies()[0])["output"], "15:37:51.123456789: Warning over tls");

  // insecure: no verification at all.
  options.ca_file.clear();
  options.insecure = true;
  d = PostOne(options);
  EXPECT_EQ(d.sent, 1u);
  EXPECT_EQ(server.bodies().size(), 2u);
}

}  // namespace
}  // namespace vigil
