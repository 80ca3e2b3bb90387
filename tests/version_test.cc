// The version macros and tg_version() agree.
#include <gtest/gtest.h>

#include <string>

extern "C" {
#include "core/version.h"
}

TEST(VersionTest, MacrosAndRuntimeAgree) {
  const std::string expected = std::to_string(TG_VERSION_MAJOR) + "." +
                               std::to_string(TG_VERSION_MINOR) + "." +
                               std::to_string(TG_VERSION_PATCH);
  EXPECT_EQ(expected, TG_VERSION_STRING);
  EXPECT_EQ(expected, tg_version());
  EXPECT_EQ(TG_VERSION_MAJOR, tg_version_major());
  EXPECT_EQ(TG_VERSION_MINOR, tg_version_minor());
  EXPECT_EQ(TG_VERSION_PATCH, tg_version_patch());
}
