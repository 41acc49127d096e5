// The metadata store: fetches off the caller's thread, pending -> ready/failed, a hung
// runtime socket costs a timeout and a counter (never the caller), retries, eviction when the
// cgroup vanishes, on-disk sources (podman storage, containerd bundles), memory per container.
#include "vigil/container_store.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <thread>

namespace vigil {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kId = "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899";

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/vigil-containers-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string Write(const std::string& rel, const std::string& text) const {
    fs::path p = fs::path(path_) / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

template <typename Pred>
bool WaitFor(Pred p, std::chrono::milliseconds limit = 5000ms) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (p()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return p();
}

ContainersConfig TestConfig(const std::string& root) {
  ContainersConfig c;
  c.docker_sockets = {root + "/no-docker.sock"};
  c.podman_socket = root + "/no-podman.sock";
  c.podman_storage = root + "/storage";
  c.containerd_state = root + "/containerd";
  c.crio_state = root + "/crio";
  c.cgroup_root = root + "/cgroup";
  c.retry_delay_ms = 10;
  return c;
}

TEST(ContainerStore, FetchesOffTheCallersThread) {
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  ContainerStore store(ContainersConfig{}, [gate](const CgroupContainer& c) {
    gate.wait();
    FetchResult r;
    r.status = FetchResult::Status::kOk;
    r.info.id = c.id;
    r.info.name = "web";
    r.info.runtime = c.runtime;
    return r;
  });
  store.Start();
  auto t0 = std::chrono::steady_clock::now();
  store.Request(kId, "/docker/" + kId);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 50ms);
  EXPECT_EQ(store.StatusOf(kId), ContainerStore::Status::kPending);
  EXPECT_TRUE(store.AnyPending());
  EXPECT_EQ(store.Find(kId), nullptr);
  store.Request(kId, "/docker/" + kId);  // known: no second fetch
  release.set_value();
  ASSERT_TRUE(WaitFor([&] { return store.StatusOf(kId) == ContainerStore::Status::kReady; }));
  auto info = store.Find(kId);
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->name, "web");
  EXPECT_EQ(info->runtime, ContainerRuntime::kDocker);
  EXPECT_FALSE(store.AnyPending());
  std::vector<std::string> ready;
  store.TakeReady(&ready);
  EXPECT_EQ(ready, std::vector<std::string>{kId});
  EXPECT_EQ(store.Stats().fetches, 1u);
  EXPECT_EQ(store.Stats().fetched, 1u);
}

TEST(ContainerStore, UnknownContainerIsRetriedThenFailed) {
  TempDir dir;
  ContainerStore store(TestConfig(dir.path()));
  store.Start();
  store.Request(kId, "/docker/" + kId);
  ASSERT_TRUE(WaitFor([&] { return store.StatusOf(kId) == ContainerStore::Status::kFailed; }));
  auto st = store.Stats();
  EXPECT_EQ(st.fetches, 3u);  // retries = 3
  EXPECT_EQ(st.failures, 1u);
  EXPECT_EQ(store.Find(kId), nullptr);
}

// A unix socket that accepts connections and never answers: a hung runtime.
class HungSocket {
 public:
  explicit HungSocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
  }
  ~HungSocket() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }

 private:
  std::string path_;
  int fd_ = -1;
};

TEST(ContainerStore, HungRuntimeCostsATimeoutAndACounter) {
  TempDir dir;
  ContainersConfig cfg = TestConfig(dir.path());
  cfg.docker_sockets = {dir.path() + "/docker.sock"};
  cfg.api_timeout_ms = 200;
  HungSocket hung(cfg.docker_sockets[0]);
  ContainerStore store(cfg);
  store.Start();
  auto t0 = std::chrono::steady_clock::now();
  store.Request(kId, "/docker/" + kId);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 50ms);  // the caller never waits
  ASSERT_TRUE(WaitFor([&] { return store.StatusOf(kId) == ContainerStore::Status::kFailed; }));
  auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(elapsed, 190ms);
  EXPECT_LT(elapsed, 3s);
  EXPECT_EQ(store.Stats().timeouts, 1u);
  EXPECT_EQ(store.Stats().failures, 1u);
}

TEST(ContainerStore, PodmanOnDiskState) {
  TempDir dir;
  ContainersConfig cfg = TestConfig(dir.path());
  dir.Write("storage/overlay-containers/containers.json",
            R"([{"id": ")" + kId + R"(", "names": ["web"], "image": "bbbb",
                "metadata": "{\"image-name\":\"docker.io/library/nginx:1.25.3\",\"name\":\"web\"}"}])");
  dir.Write("storage/overlay-containers/" + kId + "/userdata/config.json",
            R"({"process": {"capabilities": {"bounding": ["CAP_SYS_ADMIN"]}},
                "mounts": [{"destination": "/host/etc", "type": "bind", "source": "/etc", "options": ["rbind"]}],
                "linux": {"namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}]}})");
  FetchResult r = FetchContainer(CgroupContainer{ContainerRuntime::kPodman, kId, "", ""}, cfg);
  ASSERT_EQ(r.status, FetchResult::Status::kOk) << r.error;
  EXPECT_EQ(r.info.name, "web");
  EXPECT_EQ(r.info.image_repository, "docker.io/library/nginx");
  EXPECT_EQ(r.info.image_tag, "1.25.3");
  EXPECT_TRUE(r.info.privileged);
  ASSERT_EQ(r.info.mounts.size(), 1u);
  EXPECT_EQ(r.info.mounts[0].source, "/etc");
  EXPECT_EQ(r.info.source, "podman-disk");
}

TEST(ContainerStore, ContainerdBundles) {
  TempDir dir;
  ContainersConfig cfg = TestConfig(dir.path());
  dir.Write("containerd/io.containerd.runtime.v2.task/k8s.io/" + kId + "/config.json",
            R"({"annotations": {"io.kubernetes.cri.container-name": "app",
                                "io.kubernetes.cri.sandbox-name": "shop",
                                "io.kubernetes.cri.sandbox-namespace": "prod"}})");
  dir.Write("containerd/io.containerd.runtime.v2.task/default/box1/config.json", R"({"annotations": {}})");
  FetchResult r = FetchContainer(CgroupContainer{ContainerRuntime::kCri, kId, "uid-1", ""}, cfg);
  ASSERT_EQ(r.status, FetchResult::Status::kOk) << r.error;
  EXPECT_EQ(r.info.name, "app");
  EXPECT_EQ(r.info.pod_name, "shop");
  EXPECT_EQ(r.info.pod_namespace, "prod");
  FetchResult ctr = FetchContainer(CgroupContainer{ContainerRuntime::kContainerd, "box1", "", "default"}, cfg);
  EXPECT_EQ(ctr.status, FetchResult::Status::kOk) << ctr.error;
  FetchResult none = FetchContainer(CgroupContainer{ContainerRuntime::kCrio, kId, "", ""}, cfg);
  EXPECT_EQ(none.status, FetchResult::Status::kNotFound);
}

TEST(ContainerStore, EvictsWhenTheCgroupIsGone) {
  TempDir dir;
  ContainersConfig cfg = TestConfig(dir.path());
  const std::string cg = "/docker/" + kId;
  fs::create_directories(dir.path() + "/cgroup/cpuset" + cg);
  ContainerStore store(cfg, [](const CgroupContainer& c) {
    FetchResult r;
    r.status = FetchResult::Status::kOk;
    r.info.id = c.id;
    return r;
  });
  store.Start();
  store.Request(kId, cg);
  ASSERT_TRUE(WaitFor([&] { return store.StatusOf(kId) == ContainerStore::Status::kReady; }));
  store.EvictGone();
  EXPECT_EQ(store.StatusOf(kId), ContainerStore::Status::kReady);
  fs::remove(dir.path() + "/cgroup/cpuset" + cg);
  store.EvictGone();
  EXPECT_EQ(store.StatusOf(kId), ContainerStore::Status::kUnknown);
  EXPECT_EQ(store.Stats().evictions, 1u);
  EXPECT_EQ(store.Stats().cached, 0u);
}

TEST(ContainerStore, MemoryFor1000Containers) {
  ContainerStore store(ContainersConfig{});
  for (int i = 0; i < 1000; ++i) {
    ContainerInfo c;
    char id[65];
    std::snprintf(id, sizeof id, "%064x", i);
    c.id = id;
    c.runtime = ContainerRuntime::kCri;
    c.name = "app-" + std::to_string(i);
    c.image = "registry.example.com/team/service-" + std::to_string(i % 50) + ":1.2." + std::to_string(i % 7);
    SplitImageRef(c.image, &c.image_repository, &c.image_tag, &c.image_digest);
    c.image_id = std::string(64, 'a');
    c.mounts = {{"/var/lib/kubelet/pods/x/volumes/secret", "/var/run/secrets/kubernetes.io/serviceaccount", "ro", false, "rprivate"},
                {"/var/lib/kubelet/pods/x/etc-hosts", "/etc/hosts", "rw", true, "rprivate"}};
    c.labels = {{"app", "service"}, {"io.kubernetes.pod.name", "app-" + std::to_string(i)}};
    c.pod_name = c.name + "-7d9f8b6c5d-x2x2x";
    c.pod_namespace = "production";
    c.pod_uid = "7b3c1c6e-2f0a-4d8e-9a1b-5c6d7e8f9a0b";
    c.sandbox_id = std::string(64, 'b');
    c.ip = "10.244.1." + std::to_string(i % 250);
    store.Put(std::move(c));
  }
  auto st = store.Stats();
  EXPECT_EQ(st.cached, 1000u);
  std::cout << "metadata cache: 1000 containers, " << st.memory_bytes << " bytes ("
            << st.memory_bytes / 1000 << " bytes per container)\n";
  RecordProperty("cache_bytes_1000", std::to_string(st.memory_bytes));
  EXPECT_LT(st.memory_bytes, 4u << 20);
  EXPECT_GT(st.memory_bytes, 500'000u);
}

}  // namespace
}  // namespace vigil
