#include "shared/duration.hpp"

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using mailsteps::Duration;
using mailsteps::format_duration;
using mailsteps::parse_duration;

TEST(Duration, ParsesEveryUnit) {
    EXPECT_EQ(parse_duration("500ms"), Duration(500ms));
    EXPECT_EQ(parse_duration("30s"), Duration(30s));
    EXPECT_EQ(parse_duration("5m"), Duration(5min));
    EXPECT_EQ(parse_duration("2h"), Duration(2h));
    EXPECT_EQ(parse_duration("5d"), Duration(120h));
    EXPECT_EQ(parse_duration("0"), Duration(0));
}

TEST(Duration, BareNumberMeansSeconds) { EXPECT_EQ(parse_duration("300"), Duration(300s)); }

TEST(Duration, RefusesMalformedInput) {
    for (auto text : {"", "s", "-5s", "5 s", "5sec", "1.5s", "5m5s", "ms", "99999999999999999999d", "5S"}) {
        EXPECT_EQ(parse_duration(text), std::nullopt) << text;
    }
}

TEST(Duration, FormatsTheShortestExactSpelling) {
    EXPECT_EQ(format_duration(1500ms), "1500ms");
    EXPECT_EQ(format_duration(90s), "90s");
    EXPECT_EQ(format_duration(5min), "5m");
    EXPECT_EQ(format_duration(48h), "2d");
    EXPECT_EQ(format_duration(0ms), "0s");
}

TEST(Duration, FormatAndParseRoundTrip) {
    for (Duration duration : {Duration(1ms), Duration(999ms), Duration(61s), Duration(25h), Duration(7 * 24h)}) {
        EXPECT_EQ(parse_duration(format_duration(duration)), duration);
    }
}
