#include "vigil/event.h"
#include "vigil/event_types.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(EventTypes, NameRoundTrips) {
  for (std::size_t i = 0; i < kEventTypeCount; ++i) {
    auto t = static_cast<EventType>(i);
    auto back = EventTypeFromName(EventTypeName(t));
    ASSERT_TRUE(back.has_value()) << EventTypeName(t);
    EXPECT_EQ(*back, t);
  }
}

TEST(EventTypes, UnknownNameIsRejected) {
  EXPECT_FALSE(EventTypeFromName("no_such_syscall").has_value());
  EXPECT_EQ(EventTypeName(EventType::kOpenat), "openat");
}

TEST(Event, ArgsAreFoundByIdAndCapped) {
  Event ev;
  ev.AddStr(ArgId::kName, "/etc/shadow");
  ev.AddNum(ArgId::kFlags, 2);
  ASSERT_NE(ev.Find(ArgId::kName), nullptr);
  EXPECT_EQ(ev.Find(ArgId::kName)->str, "/etc/shadow");
  EXPECT_EQ(ev.Find(ArgId::kFlags)->num, 2);
  EXPECT_EQ(ev.Find(ArgId::kMode), nullptr);
  for (int i = 0; i < 20; ++i) ev.AddNum(ArgId::kFd, i);
  EXPECT_EQ(ev.nargs, kMaxArgs);
}

TEST(Event, ArgNamesRoundTrip) {
  ArgId id;
  ASSERT_TRUE(ArgIdFromName("newpath", &id));
  EXPECT_EQ(id, ArgId::kNewpath);
  EXPECT_EQ(ArgName(id), "newpath");
  EXPECT_FALSE(ArgIdFromName("bogus", &id));
}

}  // namespace
}  // namespace vigil
