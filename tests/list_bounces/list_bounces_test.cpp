// Bounces of a list's posts (chapter 36 onwards): the failed recipients read from DSNs as
// Postfix and chapter 19's relay write them, and the count that removes a member after bounces
// on 5 days.
#include "list_bounces/dsn_samples.hpp"

#include "bounce.hpp"
#include "list_bounces.hpp"
#include "lists.hpp"

#include "shared/testing/temp_dir.hpp"

#include <gtest/gtest.h>

namespace {

using namespace lists;
using Strings = std::vector<std::string>;

mailsteps::testing::TempDir spool_dir;

Strings failed_in(const std::string& message) {
    mailsteps::Spool text(spool_dir.path(), 64); // small: the report spans pieces and the file
    EXPECT_FALSE(text.append(message));
    return failed_recipients(text);
}

constexpr long day = 20793;

} // namespace

TEST(FailedRecipients, FromPostfixsDsnOnlyTheFailedInTheReport) {
    EXPECT_EQ(failed_in(tests::postfix_dsn("Bob@Example.Test")), Strings{"bob@example.test"});
    // "delayed" is no failure; the returned headers and the text for people do not count.
    EXPECT_EQ(failed_in(tests::postfix_dsn("bob@example.test", "carol@example.test")), Strings{"bob@example.test"});
}

// The DSN chapter 19's relay writes, read back by the list it was sent to.
TEST(FailedRecipients, FromOurOwnRelaysDsn) {
    relay::BounceInput input;
    input.sender = {"club-bounces", "localhost"};
    input.hostname = "mail.localhost";
    input.arrival = std::chrono::system_clock::now();
    input.recipients = {{{"bob", "example.test"}, relay::Failure::rejected, "mx.example.test", "550 5.1.1 no"},
                        {{"carol", "example.test"}, relay::Failure::rejected, "mx.example.test", "550 5.1.1 no"}};
    input.original = "Subject: Sunday lunch\n\nWho is coming?\n";
    EXPECT_EQ(failed_in(relay::make_bounce(input)), (Strings{"bob@example.test", "carol@example.test"}));
}

TEST(FailedRecipients, NoneInWhatIsNoReport) {
    EXPECT_EQ(failed_in("Subject: Out of office\nAuto-Submitted: auto-replied\n\nI am away until Monday.\n"), Strings{});
    EXPECT_EQ(failed_in("Subject: fake\n\nFinal-Recipient: rfc822; alice@example.test\nAction: failed\n"), Strings{});
    EXPECT_EQ(failed_in(""), Strings{});
}

struct BounceCount : ::testing::Test {
    mailsteps::testing::TempDir dir;

    void SetUp() override {
        ASSERT_EQ(create_list(dir.path(), "club@localhost"), std::nullopt);
        ASSERT_EQ(add_member(dir.path(), "club@localhost", "bob@example.test"), std::nullopt);
        ASSERT_EQ(add_member(dir.path(), "club@localhost", "carol@example.test"), std::nullopt);
    }

    bool bounce(const std::string& member, long on_day) {
        auto removed = record_bounce(dir.path(), "club@localhost", member, on_day);
        EXPECT_TRUE(std::holds_alternative<bool>(removed));
        return std::holds_alternative<bool>(removed) && std::get<bool>(removed);
    }

    Strings members() { return std::get<Strings>(read_members(dir.path(), "club@localhost")); }
};

TEST_F(BounceCount, TheFifthDayOfBouncesRemovesTheMember) {
    for (long d = 0; d < 4; ++d) {
        EXPECT_FALSE(bounce("bob@example.test", day + d));
        EXPECT_FALSE(bounce("bob@example.test", day + d)); // a second bounce the same day counts no more
    }
    EXPECT_EQ(members().size(), 2U);
    EXPECT_TRUE(bounce("bob@example.test", day + 4));
    EXPECT_EQ(members(), Strings{"carol@example.test"});
}

// Bounces with gaps of up to 7 days add up; after a longer quiet spell they start again.
TEST_F(BounceCount, AQuietWeekForgivesThePast) {
    for (long d : {0, 7, 14, 21}) {
        EXPECT_FALSE(bounce("bob@example.test", day + d));
    }
    EXPECT_FALSE(bounce("bob@example.test", day + 29)); // 8 days after the last: counts as the first
    for (long d : {30, 31, 32}) {
        EXPECT_FALSE(bounce("bob@example.test", day + d));
    }
    EXPECT_TRUE(bounce("bob@example.test", day + 33));
}

TEST_F(BounceCount, EachMemberIsCountedApart) {
    for (long d = 0; d < 4; ++d) {
        bounce("bob@example.test", day + d);
        bounce("carol@example.test", day + d);
    }
    EXPECT_TRUE(bounce("carol@example.test", day + 4));
    EXPECT_EQ(members(), Strings{"bob@example.test"});
}
