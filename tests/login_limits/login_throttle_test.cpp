// The per-address login limit (login_throttle.cpp) on its own: attempts are taken before a
// password is checked, so however many arrive at once, no more than the limit are checked.
#include "login_throttle.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace pop3 {
namespace {

using namespace std::chrono_literals;

const auto alice = asio::ip::make_address("192.0.2.1");
const auto bob = asio::ip::make_address("192.0.2.2");

TEST(LoginThrottle, AttemptsPastTheLimitAreRefused) {
    LoginThrottle throttle(3, 15min);
    EXPECT_TRUE(throttle.try_attempt(alice));
    EXPECT_TRUE(throttle.try_attempt(alice));
    EXPECT_TRUE(throttle.try_attempt(alice));
    EXPECT_FALSE(throttle.try_attempt(alice));
    EXPECT_FALSE(throttle.try_attempt(alice)); // a refusal takes nothing, and changes nothing
    EXPECT_TRUE(throttle.try_attempt(bob));    // each address has its own count
}

// Many sessions on many threads ask at the same moment, none of them done yet: exactly the
// limit get through. (Counting only finished failures let every one of them through.)
TEST(LoginThrottle, AttemptsAtOnceFromManyThreadsNeverPassTheLimit) {
    constexpr int limit = 10;
    LoginThrottle throttle(limit, 15min);
    std::atomic<int> allowed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 100; ++i) {
                allowed += throttle.try_attempt(alice) ? 1 : 0;
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(allowed, limit);
}

TEST(LoginThrottle, RightPasswordsGiveTheirAttemptBack) {
    LoginThrottle throttle(2, 15min);
    for (int login = 0; login < 10; ++login) {
        ASSERT_TRUE(throttle.try_attempt(alice)) << login;
        throttle.refund(alice);
    }
    EXPECT_TRUE(throttle.try_attempt(alice));
    EXPECT_TRUE(throttle.try_attempt(alice));
    EXPECT_FALSE(throttle.try_attempt(alice));
    throttle.refund(bob); // nothing to give back: bob still has his two
    EXPECT_TRUE(throttle.try_attempt(bob));
    EXPECT_TRUE(throttle.try_attempt(bob));
    EXPECT_FALSE(throttle.try_attempt(bob));
}

// IPv6 counts per /64; an IPv4 client seen on a dual-stack socket counts as its IPv4 address.
TEST(LoginThrottle, Ipv6CountsPerSlash64AndMappedIpv4AsIpv4) {
    LoginThrottle throttle(1, 15min);
    EXPECT_TRUE(throttle.try_attempt(asio::ip::make_address("2001:db8:1:2::1")));
    EXPECT_FALSE(throttle.try_attempt(asio::ip::make_address("2001:db8:1:2:ffff::9")));
    EXPECT_TRUE(throttle.try_attempt(asio::ip::make_address("2001:db8:1:3::1")));
    EXPECT_TRUE(throttle.try_attempt(alice));
    EXPECT_FALSE(throttle.try_attempt(asio::ip::make_address("::ffff:192.0.2.1")));
}

TEST(LoginThrottle, AttemptsAreAllowedAgainOnceTheWindowHasPassed) {
    LoginThrottle throttle(1, 100ms);
    ASSERT_TRUE(throttle.try_attempt(alice));
    ASSERT_FALSE(throttle.try_attempt(alice));
    std::this_thread::sleep_for(200ms);
    EXPECT_TRUE(throttle.try_attempt(alice));
}

} // namespace
} // namespace pop3
