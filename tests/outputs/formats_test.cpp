#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_alerts.h"
#include "vigil/alert_time.h"
#include "vigil/ecs_format.h"
#include "vigil/falco_json_format.h"
#include "vigil/output_format.h"
#include "vigil/safe_text.h"
#include "vigil/text_format.h"

namespace vigil {
namespace {

using testing::IntField;
using testing::SampleAlert;
using testing::StrField;

TEST(AlertTime, RendersUtcWithNanoseconds) {
  EXPECT_EQ(FormatIso8601Nanos(testing::kSampleTs), "2026-11-24T15:37:51.123456789Z");
  EXPECT_EQ(FormatIso8601Micros(testing::kSampleTs), "2026-11-24T15:37:51.123456Z");
  EXPECT_EQ(FormatClockNanos(testing::kSampleTs), "15:37:51.123456789");
  EXPECT_EQ(FormatRfc3164Time(testing::kSampleTs), "Nov 24 15:37:51");
  EXPECT_EQ(FormatIso8601Nanos(5), "1970-01-01T00:00:00.000000005Z");
}

TEST(FalcoJsonFormat, HasFalcosShapeFieldByField) {
  const std::string text = FormatFalcoJson(SampleAlert());
  const auto j = nlohmann::json::parse(text);
  ASSERT_TRUE(j.is_object());
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"hostname", "output", "output_fields", "priority",
                                            "rule", "source", "tags", "time"}));
  EXPECT_EQ(j["hostname"], "host-1");
  EXPECT_EQ(j["output"], "15:37:51.123456789: Warning Shell spawned (user=root proc=bash)");
  EXPECT_EQ(j["priority"], "Warning");
  EXPECT_EQ(j["rule"], "Terminal shell in container");
  EXPECT_EQ(j["source"], "syscall");
  EXPECT_EQ(j["time"], "2026-11-24T15:37:51.123456789Z");
  EXPECT_EQ(j["tags"], nlohmann::json::array({"container", "shell", "mitre_execution"}));
  const auto& fields = j["output_fields"];
  EXPECT_TRUE(fields["proc.name"].is_string());
  EXPECT_EQ(fields["proc.name"], "bash");
  EXPECT_TRUE(fields["proc.pid"].is_number_integer());
  EXPECT_EQ(fields["proc.pid"], 4242);
  EXPECT_TRUE(fields["container.name"].is_null());
  EXPECT_FALSE(fields.contains("vigil.suppressed"));
  // Compact, one line, keys in Falco's (sorted) order.
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_EQ(text.rfind("{\"hostname\":\"host-1\",\"output\":", 0), 0u);
}

TEST(FalcoJsonFormat, ReportsSuppressedCountAsOutputField) {
  Alert a = SampleAlert();
  a.suppressed = 7;
  const auto j = nlohmann::json::parse(FormatFalcoJson(a));
  EXPECT_EQ(j["output_fields"]["vigil.suppressed"], 7);
}

TEST(FalcoJsonFormat, EscapesControlCharsAndInvalidUtf8) {
  Alert a = SampleAlert("evil\nfake 00:00:00.000000000: Critical injected\r\x01 \xff\xfe end");
  a.output_fields.push_back(StrField("fd.name", "/tmp/a\nb\xc3\x28"));
  const std::string text = FormatFalcoJson(a);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_EQ(text.find('\x01'), std::string::npos);
  EXPECT_NE(text.find("\\n"), std::string::npos);
  EXPECT_NE(text.find("\\u0001"), std::string::npos);
  const auto j = nlohmann::json::parse(text);  // valid UTF-8 JSON
  EXPECT_EQ(j["output_fields"]["fd.name"], "/tmp/a\nb\xEF\xBF\xBD(");
  EXPECT_NE(j["output"].get<std::string>().find("\xEF\xBF\xBD\xEF\xBF\xBD end"), std::string::npos);
}

TEST(EcsFormat, MapsFalcoFieldsToEcs) {
  Alert a = SampleAlert();
  a.priority = Priority::kCritical;
  a.output_fields.push_back(StrField("proc.exepath", "/usr/bin/bash"));
  a.output_fields.push_back(StrField("proc.cmdline", "bash -i"));
  a.output_fields.push_back(IntField("proc.ppid", 1));
  a.output_fields.push_back(IntField("user.uid", 0));
  a.output_fields.push_back(StrField("fd.name", "/etc/shadow"));
  a.output_fields.push_back(StrField("fd.typechar", "f"));
  a.suppressed = 2;
  const auto j = EcsJsonObject(a);
  EXPECT_EQ(j["@timestamp"], "2026-11-24T15:37:51.123456789Z");
  EXPECT_EQ(j["event"]["kind"], "alert");
  EXPECT_EQ(j["event"]["severity"], 2);
  EXPECT_EQ(j["event"]["count"], 3);
  EXPECT_EQ(j["event"]["category"], nlohmann::json::array({"process", "file"}));
  EXPECT_EQ(j["rule"]["name"], "Terminal shell in container");
  EXPECT_EQ(j["message"], "Shell spawned (user=root proc=bash)");
  EXPECT_EQ(j["host"]["hostname"], "host-1");
  EXPECT_EQ(j["process"]["name"], "bash");
  EXPECT_EQ(j["process"]["pid"], 4242);
  EXPECT_EQ(j["process"]["executable"], "/usr/bin/bash");
  EXPECT_EQ(j["process"]["command_line"], "bash -i");
  EXPECT_EQ(j["process"]["parent"]["pid"], 1);
  EXPECT_EQ(j["user"]["name"], "root");
  EXPECT_EQ(j["user"]["id"], "0");
  EXPECT_EQ(j["file"]["path"], "/etc/shadow");
  EXPECT_FALSE(j.contains("source"));
  EXPECT_EQ(j["tags"], nlohmann::json::array({"container", "shell", "mitre_execution"}));
  EXPECT_EQ(j["labels"]["proc_name"], "bash");
  EXPECT_EQ(j["labels"]["proc_pid"], "4242");
  EXPECT_EQ(j["labels"]["vigil_suppressed"], "2");
  EXPECT_FALSE(j["labels"].contains("container_name"));  // null fields are left out
  EXPECT_EQ(j["log"]["level"], "critical");
}

TEST(EcsFormat, MapsSocketTupleToSourceAndDestination) {
  Alert a = SampleAlert();
  a.output_fields = {StrField("fd.name", "10.0.0.1:4444->10.0.0.2:80"), StrField("fd.cip", "10.0.0.1"),
                     IntField("fd.cport", 4444), StrField("fd.sip", "10.0.0.2"),
                     IntField("fd.sport", 80), StrField("fd.l4proto", "tcp")};
  a.tags = {};
  const auto j = EcsJsonObject(a);
  EXPECT_EQ(j["source"]["ip"], "10.0.0.1");
  EXPECT_EQ(j["source"]["port"], 4444);
  EXPECT_EQ(j["destination"]["ip"], "10.0.0.2");
  EXPECT_EQ(j["destination"]["port"], 80);
  EXPECT_EQ(j["network"]["transport"], "tcp");
  EXPECT_FALSE(j.contains("file"));  // a socket's fd.name is not a path
  EXPECT_EQ(j["event"]["category"], nlohmann::json::array({"network"}));
  const std::string text = FormatEcsJson(a);
  EXPECT_EQ(text.find('\n'), std::string::npos);
}

TEST(TextFormat, IsFalcosTextLine) {
  EXPECT_EQ(FormatText(SampleAlert()),
            "15:37:51.123456789: Warning Shell spawned (user=root proc=bash)");
  Alert a = SampleAlert("x");
  a.priority = Priority::kInformational;
  a.suppressed = 3;
  EXPECT_EQ(FormatText(a), "15:37:51.123456789: Informational x (vigil.suppressed=3)");
}

TEST(TextFormat, NewlineInFieldNeverStartsANewLine) {
  const std::string line =
      FormatText(SampleAlert("file=/tmp/x\n15:00:00.000000000: Critical fake\r\x1b[31m\xff\xc2\x85|\xe2\x80\xa8|\\"));
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.find('\r'), std::string::npos);
  EXPECT_EQ(line.find('\x1b'), std::string::npos);
  EXPECT_EQ(line,
            "15:37:51.123456789: Warning file=/tmp/x\\n15:00:00.000000000: Critical fake\\r\\x1b[31m"
            "\\xff\\u0085|\\u2028|\\\\");
}

TEST(SafeText, KeepsValidUtf8AndRejectsOverlongsAndSurrogates) {
  EXPECT_EQ(EscapeText("gr\xc3\xbc\xc3\x9f \xe6\x97\xa5 \xf0\x9f\x98\x80"),
            "gr\xc3\xbc\xc3\x9f \xe6\x97\xa5 \xf0\x9f\x98\x80");
  EXPECT_EQ(EscapeText("\xc0\xaf"), "\\xc0\\xaf");          // overlong '/'
  EXPECT_EQ(EscapeText("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // UTF-16 surrogate
  EXPECT_EQ(EscapeText(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(SanitizeUtf8("ok\xff"), "ok\xEF\xBF\xBD");
}

TEST(OutputFormat, ParsesNamesAndDispatches) {
  EXPECT_EQ(ParseOutputFormat("JSON"), OutputFormat::kJson);
  EXPECT_EQ(ParseOutputFormat("ecs"), OutputFormat::kEcs);
  EXPECT_EQ(ParseOutputFormat("text"), OutputFormat::kText);
  EXPECT_FALSE(ParseOutputFormat("xml").has_value());
  std::string out;
  FormatAlert(SampleAlert(), OutputFormat::kText, &out);
  EXPECT_EQ(out, FormatText(SampleAlert()));
  FormatAlert(SampleAlert(), OutputFormat::kEcs, &out);
  EXPECT_EQ(nlohmann::json::parse(out)["event"]["kind"], "alert");
}

}  // namespace
}  // namespace vigil
