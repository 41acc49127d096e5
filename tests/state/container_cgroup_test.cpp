// Table-driven tests of cgroup path -> container (state/container_cgroup.h): every runtime,
// both cgroup drivers, v1 (cpuset hierarchy), v2 (unified) and hybrid paths.
#include "vigil/container_cgroup.h"

#include <gtest/gtest.h>

#include <string>

namespace vigil {
namespace {

const std::string kId = "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899";
const std::string kPod = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string kUid = "7b3c1c6e-2f0a-4d8e-9a1b-5c6d7e8f9a0b";
std::string Underscored(std::string s) {
  for (char& c : s)
    if (c == '-') c = '_';
  return s;
}

struct Case {
  const char* what;
  std::string path;
  ContainerRuntime runtime;
  std::string id;
  std::string pod_uid;
};

class CgroupForms : public ::testing::TestWithParam<Case> {};

TEST_P(CgroupForms, Parses) {
  const Case& c = GetParam();
  CgroupContainer got;
  bool ok = ParseContainerCgroup(c.path, &got);
  EXPECT_EQ(ok, c.runtime != ContainerRuntime::kNone) << c.what << ": " << c.path;
  EXPECT_EQ(got.runtime, c.runtime) << c.what;
  EXPECT_EQ(got.id, c.id) << c.what;
  EXPECT_EQ(got.pod_uid, c.pod_uid) << c.what;
  EXPECT_EQ(ContainerIdFromCgroup(c.path), ok ? c.id.substr(0, 12) : "host") << c.what;
}

using R = ContainerRuntime;
INSTANTIATE_TEST_SUITE_P(
    AllRuntimes, CgroupForms,
    ::testing::Values(
        // cgroupfs driver (v1 cpuset hierarchy on hybrid hosts, or v2 unified)
        Case{"docker cgroupfs", "/docker/" + kId, R::kDocker, kId, ""},
        Case{"podman cgroupfs", "/libpod_parent/libpod-" + kId, R::kPodman, kId, ""},
        Case{"podman pod cgroupfs", "/libpod_parent/" + kPod + "/libpod-" + kId, R::kPodman, kId, ""},
        Case{"podman pod's own cgroup", "/libpod_parent/" + kPod, R::kNone, "", ""},
        Case{"podman conmon cgroupfs", "/libpod_parent/conmon", R::kNone, "", ""},
        Case{"cri besteffort cgroupfs", "/kubepods/besteffort/pod" + kUid + "/" + kId, R::kCri, kId, kUid},
        Case{"cri burstable cgroupfs", "/kubepods/burstable/pod" + kUid + "/" + kId, R::kCri, kId, kUid},
        Case{"cri guaranteed cgroupfs", "/kubepods/pod" + kUid + "/" + kId, R::kCri, kId, kUid},
        Case{"crio cgroupfs", "/kubepods/besteffort/pod" + kUid + "/crio-" + kId, R::kCrio, kId, kUid},
        Case{"plain ctr", "/default/my-box_1.0", R::kContainerd, "my-box_1.0", ""},
        // systemd driver
        Case{"docker systemd", "/system.slice/docker-" + kId + ".scope", R::kDocker, kId, ""},
        Case{"podman systemd", "/machine.slice/libpod-" + kId + ".scope", R::kPodman, kId, ""},
        Case{"podman systemd v2 nested", "/machine.slice/libpod-" + kId + ".scope/container", R::kPodman, kId, ""},
        Case{"podman pod systemd", "/machine.slice/machine-libpod_pod_" + kPod + ".slice/libpod-" + kId + ".scope",
             R::kPodman, kId, ""},
        Case{"podman rootless", "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + kId + ".scope",
             R::kPodman, kId, ""},
        Case{"podman conmon systemd", "/machine.slice/libpod-conmon-" + kId + ".scope", R::kNone, "", ""},
        Case{"cri-containerd systemd",
             "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + Underscored(kUid) +
                 ".slice/cri-containerd-" + kId + ".scope",
             R::kCri, kId, kUid},
        Case{"cri-containerd guaranteed systemd",
             "/kubepods.slice/kubepods-pod" + Underscored(kUid) + ".slice/cri-containerd-" + kId + ".scope",
             R::kCri, kId, kUid},
        Case{"crio systemd",
             "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + Underscored(kUid) +
                 ".slice/crio-" + kId + ".scope",
             R::kCrio, kId, kUid},
        Case{"crio conmon systemd",
             "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + Underscored(kUid) +
                 ".slice/crio-conmon-" + kId + ".scope",
             R::kNone, "", ""},
        // nesting, unknown runtimes, hosts
        Case{"docker in docker", "/docker/" + kPod + "/docker/" + kId, R::kDocker, kId, ""},
        Case{"unknown runtime 64-hex", "/lxc.payload/" + kId, R::kUnknown, kId, ""},
        Case{"host session", "/user.slice/user-0.slice/session-1.scope", R::kNone, "", ""},
        Case{"host service", "/system.slice/ssh.service", R::kNone, "", ""},
        Case{"root", "/", R::kNone, "", ""},
        Case{"empty", "", R::kNone, "", ""},
        Case{"two components not a ctr namespace", "/system.slice/cron.service", R::kNone, "", ""},
        Case{"63 hex is no id", "/docker/" + kId.substr(1), R::kNone, "", ""},
        Case{"65 hex is no id", "/docker/a" + kId, R::kNone, "", ""},
        Case{"docker prefix, bad id", "/system.slice/docker-xyz.scope", R::kNone, "", ""}));

TEST(ContainerCgroup, CtrNamespacesAreConfigurable) {
  CgroupContainer c;
  EXPECT_FALSE(ParseContainerCgroup("/buildkit/abc", &c));
  EXPECT_TRUE(ParseContainerCgroup("/buildkit/abc", &c, {"default", "buildkit"}));
  EXPECT_EQ(c.runtime, ContainerRuntime::kContainerd);
  EXPECT_EQ(c.id, "abc");
  EXPECT_EQ(c.ctr_namespace, "buildkit");
  EXPECT_FALSE(ParseContainerCgroup("/default/-bad", &c));
}

TEST(ContainerCgroup, RuntimeNamesAreFalcos) {
  EXPECT_EQ(ContainerRuntimeName(ContainerRuntime::kDocker), "docker");
  EXPECT_EQ(ContainerRuntimeName(ContainerRuntime::kPodman), "podman");
  EXPECT_EQ(ContainerRuntimeName(ContainerRuntime::kCri), "containerd");
  EXPECT_EQ(ContainerRuntimeName(ContainerRuntime::kCrio), "cri-o");
  EXPECT_EQ(ContainerRuntimeName(ContainerRuntime::kNone), "host");
}

}  // namespace
}  // namespace vigil
