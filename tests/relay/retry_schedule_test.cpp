#include "retry_schedule.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace relay {
namespace {

using namespace std::chrono_literals;
using mailsteps::Duration;

TEST(RetrySchedule, DefaultWaitsLongerEachTimeThenEveryFourHours) {
    auto schedule = RetrySchedule::parse(default_retry_schedule);
    ASSERT_TRUE(schedule);
    const std::vector<std::pair<int, Duration>> rows{
        {1, 1min}, {2, 5min}, {3, 15min}, {4, 30min}, {5, 1h},
        {6, 2h},   {7, 4h},   {8, 4h},    {30, 4h},   {std::numeric_limits<int>::max(), 4h},
    };
    for (auto [attempts, delay] : rows) {
        EXPECT_EQ(schedule->delay_after(attempts), delay) << attempts;
    }
}

TEST(RetrySchedule, NothingToWaitForBeforeAFailure) {
    auto schedule = RetrySchedule::parse("10m");
    ASSERT_TRUE(schedule);
    EXPECT_EQ(schedule->delay_after(0), Duration::zero());
    EXPECT_EQ(schedule->delay_after(-3), Duration::zero());
    EXPECT_EQ(schedule->delay_after(1), Duration(10min));
    EXPECT_EQ(schedule->delay_after(1000), Duration(10min));
}

TEST(RetrySchedule, ReadsEveryDurationUnitAndSpacesAfterCommas) {
    auto schedule = RetrySchedule::parse("500ms, 30s,2m ,1h,  1d");
    ASSERT_TRUE(schedule);
    EXPECT_EQ(schedule->delay_after(1), Duration(500ms));
    EXPECT_EQ(schedule->delay_after(2), Duration(30s));
    EXPECT_EQ(schedule->delay_after(3), Duration(2min));
    EXPECT_EQ(schedule->delay_after(4), Duration(1h));
    EXPECT_EQ(schedule->delay_after(5), Duration(24h));
    EXPECT_EQ(schedule->delay_after(6), Duration(24h));
}

TEST(RetrySchedule, RefusesBadLists) {
    for (auto list : {"", " ", ",", "1m,", ",1m", "1m,,5m", "1m;5m", "0s", "1m,0", "0ms,1m", "abc", "1x", "-1m",
                      "1.5m", "1 m", "99999999999999999999d"}) {
        EXPECT_FALSE(RetrySchedule::parse(list)) << '"' << list << '"';
    }
}

TEST(RetrySchedule, SpellsItselfTheShortestWay) {
    EXPECT_EQ(RetrySchedule::parse(default_retry_schedule)->to_string(), default_retry_schedule);
    EXPECT_EQ(RetrySchedule::parse("60s, 120m,86400")->to_string(), "1m,2h,1d");
}

}  // namespace
}  // namespace relay
