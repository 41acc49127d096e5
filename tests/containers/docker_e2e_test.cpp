// Real Docker containers (kernel suite): a private containerd + dockerd (tools/containers-up,
// all state in a temporary directory, no bridge, runc through tools/containers-runc) and an
// image built locally (tools/containers-image, no registry). `vigil run` asks this dockerd's
// Engine API and must put the metadata on real alerts:
//  - a shell and `cat /etc/shadow` in a named container carry its name, image, repository,
//    tag and type docker; the upstream "Terminal shell in container" fires on `docker run -t`;
//  - a --privileged start fires "Launch Privileged Container";
//  - a bind mount of /etc fires "Launch Sensitive Mount Container";
//  - a plain container fires neither.
// The daemons, their containers and images go with the temporary directory.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "e2e_support.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using testing::ContainerVigil;
using testing::Sh;
using testing::SourceRoot;
using testing::TempDir;

const std::string kImage = "docker.io/library/nginx:1.25.3";

class DockerE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    std::string out;
    started_ = Sh(SourceRoot() + "/tools/containers-up docker " + dir_->path(), &out) == 0;
    ASSERT_TRUE(started_) << out;
    ASSERT_EQ(Sh(SourceRoot() + "/tools/containers-image docker " + Socket() + " " + kImage, &out), 0) << out;
  }
  static void TearDownTestSuite() {
    Sh(SourceRoot() + "/tools/containers-up down " + dir_->path());
    delete dir_;
    dir_ = nullptr;
  }
  static std::string Socket() { return dir_->path() + "/docker.sock"; }
  static std::string Docker() { return "/usr/bin/docker -H unix://" + Socket() + " "; }
  void SetUp() override { ASSERT_TRUE(started_); }
  void TearDown() override {
    for (const auto& n : names_) Sh(Docker() + "rm -f " + n);
    vigil_.Stop();
  }
  std::string Name(const std::string& what) {
    names_.push_back("vigil-docker-" + what + "-" + std::to_string(getpid()));
    return names_.back();
  }
  std::string Config() const {
    // A loaded CI machine (other kernel tests in parallel) can make dockerd answer an inspect
    // in seconds while it starts containers: generous API timeout and hold, so the test checks
    // the metadata, not the machine's speed.
    return "containers: {docker_sockets: [" + Socket() + "], containerd_state: " + dir_->path() +
           "/containerd/state, podman_socket: /nonexistent/podman.sock, api_timeout_ms: 10000, "
           "hold_ms: 8000}\n";
  }

  static TempDir* dir_;
  static bool started_;
  std::vector<std::string> names_;
  ContainerVigil vigil_{*dir_};
};
TempDir* DockerE2E::dir_ = nullptr;
bool DockerE2E::started_ = false;

const char* kRules = testing::kContainerMetadataRules;

TEST_F(DockerE2E, MetadataOnAlertsAndLaunchRules) {
  ASSERT_EQ(vigil_.Start(kRules, Config()), "");
  const std::string shadow = Name("shadow");
  const std::string tty = Name("tty");
  const std::string priv = Name("priv");
  const std::string mnt = Name("mount");
  const std::string plain = Name("plain");
  std::string out;
  ASSERT_EQ(Sh(Docker() + "run --name " + shadow + " " + kImage + " sh -c '/bin/cat /etc/shadow >/dev/null; /bin/true'",
               &out),
            0)
      << out;
  // -t: the shell has a terminal, as `docker run -it ... sh` (no -i: the test has no tty)
  ASSERT_EQ(Sh(Docker() + "run -t --name " + tty + " " + kImage + " sh -c 'sh -c true'", &out), 0) << out;
  ASSERT_EQ(Sh(Docker() + "run --name " + priv + " --privileged " + kImage + " sh -c true", &out), 0) << out;
  ASSERT_EQ(Sh(Docker() + "run --name " + mnt + " -v /etc:/host/etc:ro " + kImage + " sh -c true", &out), 0) << out;
  ASSERT_EQ(Sh(Docker() + "run --name " + plain + " " + kImage + " sh -c true", &out), 0) << out;

  auto reads = vigil_.AlertsFor("vigil test shadow read in container", shadow);
  ASSERT_FALSE(reads.empty()) << vigil_.Log();
  const auto& f = reads[0]["output_fields"];
  EXPECT_EQ(f["container.image"], kImage);
  EXPECT_EQ(f["container.image.repository"], "docker.io/library/nginx");
  EXPECT_EQ(f["container.image.tag"], "1.25.3");
  EXPECT_EQ(f["container.type"], "docker");
  auto shells = vigil_.AlertsFor("vigil test shell in container", shadow);
  ASSERT_FALSE(shells.empty());
  EXPECT_EQ(shells[0]["output_fields"]["container.image.repository"], "docker.io/library/nginx");
  EXPECT_FALSE(vigil_.AlertsFor("Terminal shell in container", tty).empty()) << vigil_.Log();

  EXPECT_FALSE(vigil_.AlertsFor("Launch Privileged Container", priv).empty()) << vigil_.Log();
  EXPECT_FALSE(vigil_.AlertsFor("Launch Sensitive Mount Container", mnt).empty()) << vigil_.Log();
  EXPECT_TRUE(vigil_.AlertsFor("Launch Privileged Container", plain, 2s).empty());
  EXPECT_TRUE(vigil_.AlertsFor("Launch Sensitive Mount Container", plain, 1s).empty());
  EXPECT_TRUE(vigil_.AlertsFor("Launch Privileged Container", mnt, 1s).empty());
}

}  // namespace
}  // namespace vigil
