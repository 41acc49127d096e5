// container.* and k8s.* fields from runtime metadata, as Falco names and renders them; the
// upstream container-launch rules' macros fire on a container's init exec; the `container`
// event type.
#include <gtest/gtest.h>

#include "../engine/engine_test_util.h"
#include "vigil/container_store.h"

namespace vigil {
namespace {

using testing::LoadYaml;
using testing::MakeEvent;
using testing::MakeProcess;

const std::string kId = "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899";

class ContainerFields : public ::testing::Test {
 protected:
  void SetUp() override {
    table_.Upsert(MakeProcess(1, 0, "init", "/sbin/init"));
    Process c = MakeProcess(500, 1, "nginx", "/usr/sbin/nginx");
    c.vpid = 1;
    c.cgroup = "/docker/" + kId;
    c.container_id.clear();  // derived from the cgroup by Upsert
    table_.Upsert(c);
    Process h = MakeProcess(600, 1, "bash", "/bin/bash");
    table_.Upsert(h);
    ContainerInfo info;
    info.id = kId;
    info.runtime = ContainerRuntime::kDocker;
    info.name = "web";
    info.image = "docker.io/library/nginx:1.25.3";
    SplitImageRef(info.image, &info.image_repository, &info.image_tag, &info.image_digest);
    info.image_id = "aabb";
    info.privileged = true;
    info.host_network = true;
    info.mounts = {{"/etc", "/host/etc", "ro", false, "rprivate"}, {"/data", "/srv", "", true, ""}};
    info.labels = {{"app", "shop"}, {"tier", "web"}};
    info.pod_name = "shop-1";
    info.pod_namespace = "prod";
    info.pod_uid = "7b3c1c6e-2f0a-4d8e-9a1b-5c6d7e8f9a0b";
    info.pod_labels = {{"team", "blue"}};
    info.start_ts_ns = 1'700'000'000'000'000'000ULL;
    info.ip = "172.17.0.2";
    store_.Put(info);
  }
  std::string Out(const std::string& output, uint32_t tgid) {
    auto r = LoadYaml("- rule: r\n  desc: d\n  condition: evt.type exists\n  output: '" + output +
                      "'\n  priority: WARNING\n");
    EXPECT_EQ(r.errors(), 0u) << testing::DiagText(r);
    std::string got;
    r.ruleset->Evaluate(MakeEvent(EventType::kExecve, tgid), table_, [&](const Alert& a) { got = a.output; },
                        &store_);
    return got;
  }
  bool Fires(const std::string& cond, uint32_t tgid, EventType type = EventType::kExecve,
             const ContainerStore* store = nullptr) {
    auto r = LoadYaml("- rule: r\n  desc: d\n  condition: " + cond + "\n  output: x\n  priority: WARNING\n");
    EXPECT_EQ(r.errors(), 0u) << testing::DiagText(r);
    return r.ruleset->CountMatches(MakeEvent(type, tgid), table_, store ? store : &store_) > 0;
  }
  ProcessTable table_;
  ContainerStore store_{ContainersConfig{}};
};

TEST_F(ContainerFields, IdentityAndImage) {
  EXPECT_EQ(Out("%container.id %container.full_id %container.name %container.type", 500),
            "3f4e5d6c7b8a " + kId + " web docker");
  EXPECT_EQ(Out("%container.image|%container.image.repository|%container.image.tag|%container.image.id", 500),
            "docker.io/library/nginx:1.25.3|docker.io/library/nginx|1.25.3|aabb");
  EXPECT_EQ(Out("%container.image.digest %container.ip", 500), "<NA> 172.17.0.2");
  EXPECT_EQ(Out("%container.id %container.name %container.type %container.image", 600), "host host host <NA>");
}

TEST_F(ContainerFields, PrivilegeAndNamespaces) {
  EXPECT_TRUE(Fires("container.privileged=true", 500));
  EXPECT_TRUE(Fires("container.host_network=true and container.host_pid=false", 500));
  EXPECT_FALSE(Fires("container.privileged=true", 600));
}

TEST_F(ContainerFields, MountsSelectedAsFalco) {
  EXPECT_EQ(Out("%container.mounts", 500), "/etc:/host/etc:ro:false:rprivate,/data:/srv::true:");
  EXPECT_EQ(Out("%container.mount[0]", 500), "/etc:/host/etc:ro:false:rprivate");
  EXPECT_EQ(Out("%container.mount[/nope]", 500), "none");
  // .dest / .mode / .rdwr by source (glob), .source by destination
  EXPECT_EQ(Out("%container.mount.dest[/etc] %container.mount.mode[/etc] %container.mount.rdwr[/etc]", 500),
            "/host/etc ro false");
  EXPECT_EQ(Out("%container.mount.source[/host/*] %container.mount.propagation[/etc]", 500), "/etc rprivate");
  EXPECT_EQ(Out("%container.mount.dest[1] %container.mount.dest[7]", 500), "/srv <NA>");
  // The upstream sensitive_mount macro's shape
  EXPECT_TRUE(Fires("not container.mount.dest[/etc] in (\"<NA>\",\"N/A\")", 500));
  EXPECT_FALSE(Fires("not container.mount.dest[/proc*] in (\"<NA>\",\"N/A\")", 500));
  ContainerStore empty{ContainersConfig{}};  // no metadata: no mount either
  EXPECT_FALSE(Fires("not container.mount.dest[/etc] in (\"<NA>\",\"N/A\")", 500, EventType::kExecve, &empty));
}

TEST_F(ContainerFields, LabelsAndKubernetes) {
  EXPECT_EQ(Out("%container.label[app] %container.label[nope] %container.labels", 500),
            "shop <NA> app:shop, tier:web");
  EXPECT_EQ(Out("%k8s.ns.name %k8s.pod.name %k8s.pod.uid %k8s.pod.label[team] %k8s.pod.labels", 500),
            "prod shop-1 7b3c1c6e-2f0a-4d8e-9a1b-5c6d7e8f9a0b blue team:blue");
  EXPECT_EQ(Out("%k8s.ns.name %k8s.pod.name", 600), "<NA> <NA>");
  EXPECT_TRUE(Fires("container.start_ts > 0 and container.duration > 0", 500));
}

TEST_F(ContainerFields, WithoutMetadataFieldsAreNA) {
  ContainerStore empty{ContainersConfig{}};
  auto r = LoadYaml("- rule: r\n  desc: d\n  condition: evt.type exists\n  output: '%container.id %container.name "
                    "%container.image.repository'\n  priority: WARNING\n");
  std::string got;
  r.ruleset->Evaluate(MakeEvent(EventType::kExecve, 500), table_, [&](const Alert& a) { got = a.output; }, &empty);
  EXPECT_EQ(got, "3f4e5d6c7b8a <NA> <NA>");
  // No runtime metadata: privileged falls back to the capability heuristic (none here).
  EXPECT_FALSE(Fires("container.privileged=true", 500, EventType::kExecve, &empty));
}

TEST_F(ContainerFields, UpstreamContainerStartedMacroFires) {
  // falco-incubating_rules.yaml: container_started and the Launch Privileged Container rule.
  const char* yaml = R"(
- macro: spawned_process
  condition: (evt.type in (execve, execveat))
- macro: container
  condition: (container.id != host)
- macro: container_started
  condition: (spawned_process and proc.vpid=1 and container)
- rule: Launch Privileged Container
  desc: d
  condition: container_started and container.privileged=true
  output: Privileged container started (container=%container.name image=%container.image.repository:%container.image.tag)
  priority: INFO
- rule: Container event
  desc: d
  condition: evt.type=container and container.name=web
  output: started %container.name
  priority: INFO
)";
  auto r = LoadYaml(yaml);
  ASSERT_EQ(r.errors(), 0u) << testing::DiagText(r);
  std::vector<std::string> outs;
  auto collect = [&](const Alert& a) { outs.push_back(a.output); };
  r.ruleset->Evaluate(MakeEvent(EventType::kExecve, 500), table_, collect, &store_);
  ASSERT_EQ(outs.size(), 1u);
  EXPECT_EQ(outs[0], "Privileged container started (container=web image=docker.io/library/nginx:1.25.3)");
  outs.clear();
  r.ruleset->Evaluate(MakeEvent(EventType::kContainer, 500), table_, collect, &store_);
  ASSERT_EQ(outs.size(), 1u);
  EXPECT_EQ(outs[0], "started web");
}

}  // namespace
}  // namespace vigil
