// Runtime metadata parsing on fixtures shaped as each runtime writes them: Docker Engine API
// inspect, containerd CRI task bundle config.json, CRI-O userdata config.json, podman's
// containers.json; image reference splitting and RFC 3339 times.
#include "vigil/runtime_json.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

const char* kId = "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899";

TEST(ImageRef, SplitsAsFalco) {
  std::string repo, tag, digest;
  SplitImageRef("docker.io/library/nginx:1.25.3", &repo, &tag, &digest);
  EXPECT_EQ(repo, "docker.io/library/nginx");
  EXPECT_EQ(tag, "1.25.3");
  EXPECT_EQ(digest, "");
  SplitImageRef("registry.local:5000/team/app", &repo, &tag, &digest);
  EXPECT_EQ(repo, "registry.local:5000/team/app");
  EXPECT_EQ(tag, "");
  SplitImageRef("registry.local:5000/app:v2@sha256:abcd", &repo, &tag, &digest);
  EXPECT_EQ(repo, "registry.local:5000/app");
  EXPECT_EQ(tag, "v2");
  EXPECT_EQ(digest, "sha256:abcd");
  SplitImageRef("busybox", &repo, &tag, &digest);
  EXPECT_EQ(repo, "busybox");
  EXPECT_EQ(tag, "");
}

TEST(Rfc3339, ParsesNanosAndOffsets) {
  EXPECT_EQ(ParseRfc3339Ns("1970-01-02T00:00:00Z"), 86400ULL * 1'000'000'000ULL);
  EXPECT_EQ(ParseRfc3339Ns("2026-12-01T20:06:08.123456789Z") % 1'000'000'000ULL, 123456789ULL);
  EXPECT_EQ(ParseRfc3339Ns("1970-01-02T01:00:00+01:00"), 86400ULL * 1'000'000'000ULL);
  EXPECT_EQ(ParseRfc3339Ns("0001-01-01T00:00:00Z"), 0u);  // Go's zero time: not started
  EXPECT_EQ(ParseRfc3339Ns("garbage"), 0u);
}

TEST(DockerInspect, ReadsEveryField) {
  const std::string json = std::string(R"({
    "Id": ")") + kId + R"(",
    "Created": "2026-12-01T20:00:00.5Z",
    "Name": "/web",
    "Image": "sha256:aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899",
    "State": {"Running": true, "StartedAt": "2026-12-01T20:00:01.25Z"},
    "Config": {"Image": "docker.io/library/nginx:1.25.3",
               "Labels": {"app": "shop", "io.kubernetes.pod.name": "shop-1",
                          "io.kubernetes.pod.namespace": "prod"}},
    "HostConfig": {"Privileged": true, "NetworkMode": "host", "PidMode": "", "IpcMode": "host"},
    "Mounts": [{"Type": "bind", "Source": "/etc", "Destination": "/host/etc", "Mode": "ro",
                "RW": false, "Propagation": "rprivate"}],
    "NetworkSettings": {"IPAddress": "", "Networks": {"bridge": {"IPAddress": "172.17.0.2"}}}
  })";
  ContainerInfo c;
  std::string err;
  ASSERT_TRUE(ParseDockerInspect(json, &c, &err)) << err;
  EXPECT_EQ(c.id, kId);
  EXPECT_EQ(c.name, "web");
  EXPECT_EQ(c.image, "docker.io/library/nginx:1.25.3");
  EXPECT_EQ(c.image_repository, "docker.io/library/nginx");
  EXPECT_EQ(c.image_tag, "1.25.3");
  EXPECT_EQ(c.image_id, "aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899");
  EXPECT_TRUE(c.privileged);
  EXPECT_TRUE(c.host_network);
  EXPECT_FALSE(c.host_pid);
  EXPECT_TRUE(c.host_ipc);
  ASSERT_EQ(c.mounts.size(), 1u);
  EXPECT_EQ(c.mounts[0].source, "/etc");
  EXPECT_EQ(c.mounts[0].dest, "/host/etc");
  EXPECT_EQ(c.mounts[0].mode, "ro");
  EXPECT_FALSE(c.mounts[0].rdwr);
  EXPECT_EQ(c.mounts[0].propagation, "rprivate");
  EXPECT_EQ(c.start_ts_ns % 1'000'000'000ULL, 250'000'000ULL);
  EXPECT_EQ(c.Label("app"), "shop");
  EXPECT_EQ(c.ip, "172.17.0.2");
  EXPECT_EQ(c.pod_name, "shop-1");
  EXPECT_EQ(c.pod_namespace, "prod");
}

TEST(DockerInspect, RejectsGarbage) {
  ContainerInfo c;
  std::string err;
  EXPECT_FALSE(ParseDockerInspect("{not json", &c, &err));
  EXPECT_FALSE(err.empty());
}

// A CRI container's task bundle as containerd 1.6 writes it (trimmed).
const char* kCriBundle = R"({
  "ociVersion": "1.0.2-dev",
  "process": {"args": ["sleep", "3600"],
              "capabilities": {"bounding": ["CAP_CHOWN", "CAP_NET_RAW"]}},
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid"]},
    {"destination": "/etc/hosts", "type": "bind", "source": "/var/lib/containerd/sandboxes/x/hosts",
     "options": ["rbind", "rprivate", "rw"]},
    {"destination": "/host/etc", "type": "bind", "source": "/etc", "options": ["rbind", "rprivate", "ro"]}
  ],
  "annotations": {
    "io.kubernetes.cri.container-type": "container",
    "io.kubernetes.cri.container-name": "app",
    "io.kubernetes.cri.image-name": "docker.io/library/nginx:1.25.3",
    "io.kubernetes.cri.sandbox-id": "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12",
    "io.kubernetes.cri.sandbox-name": "shop-7d9f",
    "io.kubernetes.cri.sandbox-namespace": "prod",
    "io.kubernetes.cri.sandbox-uid": "7b3c1c6e-2f0a-4d8e-9a1b-5c6d7e8f9a0b"
  },
  "linux": {
    "namespaces": [{"type": "pid"}, {"type": "ipc", "path": "/proc/42/ns/ipc"},
                   {"type": "uts", "path": "/proc/42/ns/uts"}, {"type": "mount"},
                   {"type": "network", "path": "/proc/42/ns/net"}],
    "maskedPaths": ["/proc/kcore"], "readonlyPaths": ["/proc/sys"]
  }
})";

TEST(OciConfig, CriAnnotationsGiveKubernetesIdentity) {
  ContainerInfo c;
  std::string err;
  ASSERT_TRUE(ParseOciConfig(kCriBundle, &c, &err)) << err;
  EXPECT_EQ(c.name, "app");
  EXPECT_EQ(c.image, "docker.io/library/nginx:1.25.3");
  EXPECT_EQ(c.image_repository, "docker.io/library/nginx");
  EXPECT_EQ(c.image_tag, "1.25.3");
  EXPECT_EQ(c.pod_name, "shop-7d9f");
  EXPECT_EQ(c.pod_namespace, "prod");
  EXPECT_EQ(c.pod_uid, "7b3c1c6e-2f0a-4d8e-9a1b-5c6d7e8f9a0b");
  EXPECT_EQ(c.sandbox_id.substr(0, 4), "ab12");
  EXPECT_FALSE(c.privileged);
  EXPECT_FALSE(c.host_network);
  EXPECT_FALSE(c.host_pid);
  ASSERT_EQ(c.mounts.size(), 2u);  // bind mounts only
  EXPECT_EQ(c.mounts[1].source, "/etc");
  EXPECT_EQ(c.mounts[1].dest, "/host/etc");
  EXPECT_FALSE(c.mounts[1].rdwr);
  EXPECT_EQ(c.mounts[1].propagation, "rprivate");
}

TEST(OciConfig, PrivilegedAndHostNamespaces) {
  const char* json = R"({
    "process": {"capabilities": {"bounding": ["CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_SYS_MODULE"]}},
    "linux": {"namespaces": [{"type": "mount"}, {"type": "uts"}]}
  })";
  ContainerInfo c;
  std::string err;
  ASSERT_TRUE(ParseOciConfig(json, &c, &err)) << err;
  EXPECT_TRUE(c.privileged);
  EXPECT_TRUE(c.host_network);
  EXPECT_TRUE(c.host_pid);
  EXPECT_TRUE(c.host_ipc);
}

TEST(OciConfig, CrioAnnotations) {
  const char* json = R"({
    "annotations": {
      "io.kubernetes.container.name": "db",
      "io.kubernetes.pod.name": "db-0",
      "io.kubernetes.pod.namespace": "data",
      "io.kubernetes.pod.uid": "11111111-2222-3333-4444-555555555555",
      "io.kubernetes.cri-o.ImageName": "quay.io/team/postgres:16",
      "io.kubernetes.cri-o.ImageRef": "sha256:0011",
      "io.kubernetes.cri-o.Created": "2026-12-01T10:00:00Z",
      "io.kubernetes.cri-o.Labels": "{\"tier\":\"backend\"}"
    }
  })";
  ContainerInfo c;
  std::string err;
  ASSERT_TRUE(ParseOciConfig(json, &c, &err)) << err;
  EXPECT_EQ(c.name, "db");
  EXPECT_EQ(c.pod_name, "db-0");
  EXPECT_EQ(c.pod_namespace, "data");
  EXPECT_EQ(c.image_repository, "quay.io/team/postgres");
  EXPECT_EQ(c.image_tag, "16");
  EXPECT_EQ(c.image_id, "0011");
  EXPECT_EQ(c.Label("tier"), "backend");
  EXPECT_NE(c.start_ts_ns, 0u);
}

TEST(PodmanContainersJson, FindsTheEntry) {
  const std::string json = std::string(R"([
    {"id": "0000000000000000000000000000000000000000000000000000000000000000", "names": ["other"]},
    {"id": ")") + kId + R"(", "names": ["web"], "image": "bbbb",
     "metadata": "{\"image-name\":\"docker.io/library/nginx:1.25.3\",\"image-id\":\"bbbb\",\"name\":\"web\",\"created-at\":1764619200}",
     "created": "2026-12-01T20:00:00Z"}
  ])";
  ContainerInfo c;
  c.id = kId;
  std::string err;
  ASSERT_TRUE(ParsePodmanContainersJson(json, &c, &err)) << err;
  EXPECT_EQ(c.name, "web");
  EXPECT_EQ(c.image, "docker.io/library/nginx:1.25.3");
  EXPECT_EQ(c.image_tag, "1.25.3");
  EXPECT_EQ(c.image_id, "bbbb");
  EXPECT_EQ(c.start_ts_ns, 1764619200ULL * 1'000'000'000ULL);
  ContainerInfo missing;
  missing.id = "ffff";
  EXPECT_FALSE(ParsePodmanContainersJson(json, &missing, &err));
}

}  // namespace
}  // namespace vigil
