// Unit tests of the CRI client's decoding (cri_client.h): a PodSandboxStatusResponse captured
// from containerd 1.6's CRI plugin (pod "mypod" in "myns", labels tier=web, app=shop), malformed
// input, and an absent socket.
#include "vigil/cri_client.h"

#include <gtest/gtest.h>

#include <string>

namespace vigil {
namespace {

// containerd's reply without the 5-byte gRPC frame header.
const std::string kReply(
    "\x0a\xa9\x01\x0a\x40\x63\x66\x36\x37\x38\x62\x61\x37\x36\x31\x34\x33\x37\x66\x64\x36\x62\x63\x39"
    "\x31\x61\x38\x64\x64\x36\x32\x61\x30\x64\x38\x31\x35\x61\x35\x32\x32\x31\x65\x33\x63\x63\x61\x63"
    "\x63\x66\x33\x32\x39\x61\x63\x62\x33\x33\x38\x33\x34\x37\x62\x36\x66\x66\x65\x66\x31\x12\x33\x0a"
    "\x05\x6d\x79\x70\x6f\x64\x12\x24\x31\x32\x33\x34\x61\x62\x63\x64\x2d\x30\x30\x30\x30\x2d\x34\x30"
    "\x30\x30\x2d\x38\x30\x30\x30\x2d\x30\x30\x30\x30\x30\x30\x30\x30\x30\x30\x30\x31\x1a\x04\x6d\x79"
    "\x6e\x73\x20\x92\xa6\x8e\xce\xe4\xa0\xd1\xf6\x18\x2a\x00\x32\x0a\x0a\x08\x12\x06\x08\x02\x10\x01"
    "\x18\x02\x3a\x0b\x0a\x04\x74\x69\x65\x72\x12\x03\x77\x65\x62\x3a\x0b\x0a\x03\x61\x70\x70\x12\x04"
    "\x73\x68\x6f\x70"
    , 0xac);

TEST(CriClient, DecodesPodLabelsFromContainerdReply) {
  KeyValues labels;
  ASSERT_TRUE(DecodePodSandboxLabels(kReply, &labels));
  ASSERT_EQ(labels.size(), 2u);
  EXPECT_EQ(labels[0], (std::pair<std::string, std::string>{"tier", "web"}));
  EXPECT_EQ(labels[1], (std::pair<std::string, std::string>{"app", "shop"}));
}

TEST(CriClient, NoLabelsIsEmpty) {
  KeyValues labels{{"stale", "x"}};
  // status { id: "ab" }
  ASSERT_TRUE(DecodePodSandboxLabels(std::string("\x0a\x04\x0a\x02" "ab", 6), &labels));
  EXPECT_TRUE(labels.empty());
}

TEST(CriClient, RejectsTruncatedReply) {
  KeyValues labels;
  EXPECT_FALSE(DecodePodSandboxLabels(kReply.substr(0, 60), &labels));
  EXPECT_FALSE(DecodePodSandboxLabels(std::string("\x0a\xff", 2), &labels));
  EXPECT_FALSE(DecodePodSandboxLabels(std::string("\x0f", 1), &labels));  // wire type 7
}

TEST(CriClient, AbsentSocketIsNoSocket) {
  KeyValues labels;
  std::string error;
  EXPECT_EQ(CriPodLabels("/nonexistent/containerd.sock", "abc", 100, &labels, &error), CriStatus::kNoSocket);
}

}  // namespace
}  // namespace vigil
