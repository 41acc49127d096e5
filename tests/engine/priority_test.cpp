#include "vigil/priority.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(Priority, ParsesFalcoNamesCaseInsensitively) {
  EXPECT_EQ(ParsePriority("CRITICAL"), Priority::kCritical);
  EXPECT_EQ(ParsePriority("warning"), Priority::kWarning);
  EXPECT_EQ(ParsePriority("Informational"), Priority::kInformational);
  EXPECT_EQ(ParsePriority("INFO"), Priority::kInformational);
  EXPECT_EQ(ParsePriority("emergency"), Priority::kEmergency);
  EXPECT_FALSE(ParsePriority("severe").has_value());
}

TEST(Priority, NamesAreFalcos) {
  EXPECT_EQ(PriorityName(Priority::kNotice), "Notice");
  EXPECT_EQ(PriorityName(Priority::kDebug), "Debug");
}

}  // namespace
}  // namespace vigil
