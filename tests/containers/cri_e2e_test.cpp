// A Kubernetes-style pod through containerd's CRI plugin (kernel suite), without a kubelet:
// a private containerd with CRI (tools/containers-up cri), images imported locally
// (tools/containers-image containerd), the pod and its container started over the CRI
// socket with tools/containers-cri (RunPodSandbox/CreateContainer/StartContainer, as the
// kubelet does; host network, cgroupfs /kubepods/besteffort/pod<uid>/<id>). A `cat
// /etc/shadow` in the container must carry k8s.ns.name, k8s.pod.name, k8s.pod.uid (bundle
// annotations), k8s.pod.labels / k8s.pod.label[app] (CRI PodSandboxStatus), container.name,
// container.image and container.type. The pod and containerd go with the test's directory.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <sstream>
#include <string>

#include "e2e_support.h"

namespace vigil {
namespace {

using testing::ContainerVigil;
using testing::Sh;
using testing::SourceRoot;
using testing::TempDir;

const std::string kImage = "docker.io/library/nginx:1.25.3";

class CriE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    std::string out;
    started_ = Sh(SourceRoot() + "/tools/containers-up cri " + dir_->path(), &out) == 0;
    ASSERT_TRUE(started_) << out;
    const std::string image = SourceRoot() + "/tools/containers-image containerd " + Socket() + " ";
    // The pod's sandbox ("pause") image: any long-running process.
    started_ = Sh(image + "registry.k8s.io/pause:3.6 /bin/sleep 1000000 & " + image + kImage + " & wait", &out) == 0 &&
               Sh("ctr --address " + Socket() + " -n k8s.io images ls -q | grep -c -e pause:3.6 -e nginx:1.25.3 | grep -qx 2",
                  &out) == 0;
    ASSERT_TRUE(started_) << out;
  }
  static void TearDownTestSuite() {
    Sh(SourceRoot() + "/tools/containers-up down " + dir_->path());
    delete dir_;
    dir_ = nullptr;
  }
  static std::string Socket() { return dir_->path() + "/containerd.sock"; }
  void SetUp() override { ASSERT_TRUE(started_); }
  void TearDown() override {
    if (!sandbox_.empty()) Sh(SourceRoot() + "/tools/containers-cri " + Socket() + " rmp " + sandbox_);
    vigil_.Stop();
  }

  static TempDir* dir_;
  static bool started_;
  std::string sandbox_;
  ContainerVigil vigil_{*dir_};
};
TempDir* CriE2E::dir_ = nullptr;
bool CriE2E::started_ = false;

const char* kRules = R"(
- rule: vigil test shadow read in pod
  desc: test
  condition: open_read and container.id != host and fd.name = /etc/shadow and proc.name = cat
  output: shadow read (ns=%k8s.ns.name pod=%k8s.pod.name uid=%k8s.pod.uid labels=%k8s.pod.labels app=%k8s.pod.label[app] container=%container.name image=%container.image type=%container.type)
  priority: WARNING
)";

TEST_F(CriE2E, PodContainerAlertsCarryKubernetesMetadata) {
  ASSERT_EQ(vigil_.Start(kRules, "containers: {docker_sockets: [], podman_socket: /nonexistent/podman.sock, "
                                 "containerd_state: " + dir_->path() + "/containerd/state, cri_sockets: [" +
                                     Socket() + "], api_timeout_ms: 10000, hold_ms: 8000}\n"),
            "");
  const std::string pod = "vigil-pod-" + std::to_string(getpid());
  char uid[40];
  std::snprintf(uid, sizeof uid, "%08x-0000-4000-8000-%012x", static_cast<unsigned>(getpid()),
                static_cast<unsigned>(time(nullptr)));
  std::string out;
  ASSERT_EQ(Sh(SourceRoot() + "/tools/containers-cri " + Socket() + " run " + pod + " vigil-test-ns " + uid +
                   " shop-web " + kImage + " app=shop tier=web -- sh -c '/bin/cat /etc/shadow >/dev/null; sleep 1000'",
               &out),
            0)
      << out;
  std::istringstream ids(out);
  std::getline(ids, sandbox_);
  auto reads = vigil_.AlertsFor("vigil test shadow read in pod", pod, std::chrono::seconds(30), "k8s.pod.name");
  ASSERT_FALSE(reads.empty()) << vigil_.Log();
  const auto& f = reads[0]["output_fields"];
  EXPECT_EQ(f["k8s.ns.name"], "vigil-test-ns");
  EXPECT_EQ(f["k8s.pod.uid"], uid);
  EXPECT_EQ(f["k8s.pod.label[app]"], "shop");
  const std::string labels = f["k8s.pod.labels"].is_string() ? f["k8s.pod.labels"].get<std::string>() : "";
  EXPECT_NE(labels.find("app:shop"), std::string::npos) << labels;
  EXPECT_NE(labels.find("tier:web"), std::string::npos) << labels;
  EXPECT_EQ(f["container.name"], "shop-web");
  EXPECT_EQ(f["container.image"], kImage);
  EXPECT_EQ(f["container.type"], "containerd");
}

}  // namespace
}  // namespace vigil
