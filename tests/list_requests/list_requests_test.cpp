// Requests by mail (chapter 35 onwards): the command in a Subject:, and the round trips that
// subscribe and unsubscribe, with their tokens, expiry and refusals.
#include "list_requests.hpp"
#include "lists.hpp"

#include "shared/testing/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace {

using namespace lists;

constexpr std::time_t now = 1796526225;
constexpr std::time_t day = 24 * 60 * 60;

struct Requests : ::testing::Test {
    mailsteps::testing::TempDir dir;

    void SetUp() override { ASSERT_EQ(create_list(dir.path(), "club@example.test"), std::nullopt); }

    Notice handle(Request request, const std::string& sender, std::time_t when = now) {
        auto handled = handle_request(dir.path(), "club@example.test", request, sender, when);
        EXPECT_TRUE(std::holds_alternative<Notice>(handled));
        return std::holds_alternative<Notice>(handled) ? std::get<Notice>(handled) : Notice{};
    }

    std::vector<std::string> members() { return std::get<std::vector<std::string>>(read_members(dir.path(), "club@example.test")); }

    static std::string subject_of(const Notice& notice) {
        auto at = notice.text.find("\nSubject: ") + 10;
        return notice.text.substr(at, notice.text.find('\n', at) - at);
    }

    // The token a confirmation asks to be sent back: "confirm TOKEN" is its subject.
    static std::string token_of(const Notice& notice) { return subject_of(notice).substr(8); }
};

} // namespace

TEST(ParseRequest, TakesTheCommandFromTheSubject) {
    EXPECT_EQ(parse_request("subscribe").kind, Request::Kind::subscribe);
    EXPECT_EQ(parse_request("  UNSUBSCRIBE please").kind, Request::Kind::unsubscribe);
    auto confirm = parse_request("Re: RE: Fwd: confirm 0123456789ABCDEF0123456789abcdef");
    EXPECT_EQ(confirm.kind, Request::Kind::confirm);
    EXPECT_EQ(confirm.token, "0123456789abcdef0123456789abcdef");
    for (const char* other : {"", "help", "confirm", "please subscribe me", "Re:", "subscribeme"}) {
        EXPECT_EQ(parse_request(other).kind, Request::Kind::help) << other;
    }
}

TEST_F(Requests, SubscribingTakesARoundTrip) {
    auto asked = handle({Request::Kind::subscribe, ""}, "alice@elsewhere.test");
    EXPECT_EQ(asked.to, "alice@elsewhere.test");
    EXPECT_TRUE(asked.text.starts_with("From: club-request@example.test\nTo: alice@elsewhere.test\n")) << asked.text;
    EXPECT_NE(asked.text.find("\nAuto-Submitted: auto-replied\n"), std::string::npos);
    EXPECT_EQ(token_of(asked).size(), 32U);
    EXPECT_TRUE(members().empty()); // not before the answer

    auto welcomed = handle({Request::Kind::confirm, token_of(asked)}, "alice@elsewhere.test");
    EXPECT_EQ(subject_of(welcomed), "Welcome to club@example.test");
    EXPECT_EQ(members(), std::vector<std::string>{"alice@elsewhere.test"});
    // A token works once.
    auto again = handle({Request::Kind::confirm, token_of(asked)}, "alice@elsewhere.test");
    EXPECT_NE(again.text.find("unknown or older than 3 days"), std::string::npos);
    EXPECT_EQ(subject_of(handle({Request::Kind::subscribe, ""}, "alice@elsewhere.test")),
              "Your request to club@example.test"); // already a member
}

TEST_F(Requests, UnsubscribingTakesARoundTripToo) {
    ASSERT_EQ(add_member(dir.path(), "club@example.test", "bob@elsewhere.test"), std::nullopt);
    auto asked = handle({Request::Kind::unsubscribe, ""}, "bob@elsewhere.test");
    EXPECT_EQ(members().size(), 1U);
    EXPECT_EQ(subject_of(handle({Request::Kind::confirm, token_of(asked)}, "bob@elsewhere.test")),
              "You have left club@example.test");
    EXPECT_TRUE(members().empty());
    EXPECT_NE(handle({Request::Kind::unsubscribe, ""}, "bob@elsewhere.test").text.find("You are not a member"),
              std::string::npos);
}

// The token proves the answer came from someone reading the address's mail: whoever sends it
// back, the change is the one asked for, for the address asked about, and its notice goes there.
TEST_F(Requests, TheTokenDecidesNotTheSender) {
    auto asked = handle({Request::Kind::subscribe, ""}, "alice@elsewhere.test");
    auto welcomed = handle({Request::Kind::confirm, token_of(asked)}, "mallory@evil.test");
    EXPECT_EQ(welcomed.to, "alice@elsewhere.test");
    EXPECT_EQ(members(), std::vector<std::string>{"alice@elsewhere.test"});
}

TEST_F(Requests, WrongOldAndHostileTokensChangeNothing) {
    auto asked = handle({Request::Kind::subscribe, ""}, "alice@elsewhere.test");
    auto token = token_of(asked);
    auto wrong = token;
    wrong[0] = wrong[0] == '0' ? '1' : '0';
    for (const std::string& bad : {wrong, std::string("../../lists/club@example.test/members"), std::string(""),
                                   std::string("members"), token.substr(0, 31)}) {
        auto answer = handle({Request::Kind::confirm, bad}, "alice@elsewhere.test");
        EXPECT_NE(answer.text.find("unknown or older than 3 days"), std::string::npos) << bad;
    }
    EXPECT_NE(handle({Request::Kind::confirm, token}, "alice@elsewhere.test", now + 3 * day + 1)
                  .text.find("unknown or older than 3 days"),
              std::string::npos);
    EXPECT_TRUE(members().empty());
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "club@example.test" / "members"));
    // Files this code did not write: a date in the future, a field too many, an address with a space.
    for (const char* forged : {"subscribe victim@example.test 99999999999\n",
                               "subscribe victim@example.test 99999 1796526225\n",
                               "subscribe a b@example.test 1796526225\n"}) {
        std::ofstream(dir.path() / "club@example.test" / "pending" / "0123456789abcdef0123456789abcdef") << forged;
        auto answer = handle({Request::Kind::confirm, "0123456789abcdef0123456789abcdef"}, "mallory@evil.test");
        EXPECT_NE(answer.text.find("unknown or older than 3 days"), std::string::npos) << forged;
    }
    EXPECT_TRUE(members().empty());
}

// Unanswered requests are forgotten after 3 days, and no more than 1,000 wait at once: a flood
// of requests in other people's names fills no disk.
TEST_F(Requests, AtMostAThousandRequestsWait) {
    for (int i = 0; i < 1000; ++i) {
        handle({Request::Kind::subscribe, ""}, "victim" + std::to_string(i) + "@elsewhere.test");
    }
    auto refused = handle_request(dir.path(), "club@example.test", {Request::Kind::subscribe, ""},
                                  "one.more@elsewhere.test", now);
    EXPECT_TRUE(std::holds_alternative<std::error_code>(refused));
    auto later = handle({Request::Kind::subscribe, ""}, "one.more@elsewhere.test", now + 3 * day + 1);
    EXPECT_EQ(token_of(later).size(), 32U);
    std::size_t waiting = 0;
    for ([[maybe_unused]] const auto& entry :
         std::filesystem::directory_iterator(dir.path() / "club@example.test" / "pending")) {
        ++waiting;
    }
    EXPECT_EQ(waiting, 1U);
}

TEST_F(Requests, AnythingElseGetsTheHelp) {
    auto help = handle({}, "carol@elsewhere.test");
    EXPECT_EQ(subject_of(help), "Help for club@example.test");
    EXPECT_NE(help.text.find("  subscribe     to join the list\n"), std::string::npos);
}
