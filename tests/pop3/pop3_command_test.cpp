#include "pop3_command.hpp"

#include <gtest/gtest.h>

using namespace pop3;

TEST(Pop3Command, KeywordsAreCaseInsensitive) {
    EXPECT_EQ(parse_command("STAT").verb, Verb::stat);
    EXPECT_EQ(parse_command("stat").verb, Verb::stat);
    EXPECT_EQ(parse_command("Retr 2").verb, Verb::retr);
    EXPECT_EQ(parse_command("top 1 10").verb, Verb::top);
    EXPECT_EQ(parse_command("capa").verb, Verb::capa);
}

TEST(Pop3Command, ArgumentIsEverythingAfterTheFirstSpace) {
    Command command = parse_command("TOP 1 10");
    EXPECT_EQ(command.argument, "1 10");
    EXPECT_EQ(parse_command("LIST").argument, "");
    // RFC 1939 7: a password may contain spaces.
    EXPECT_EQ(parse_command("PASS correct horse battery").argument, "correct horse battery");
}

TEST(Pop3Command, UnknownKeywords) {
    EXPECT_EQ(parse_command("").verb, Verb::unknown);
    EXPECT_EQ(parse_command("APOP demo 1234").verb, Verb::unknown); // not offered: only hashes are stored
    EXPECT_EQ(parse_command("STATS").verb, Verb::unknown);
    EXPECT_EQ(parse_command(" STAT").verb, Verb::unknown);
    EXPECT_EQ(parse_command("STA").verb, Verb::unknown);
}

TEST(Pop3Command, StateMachine) {
    for (Verb verb : {Verb::user, Verb::pass}) {
        EXPECT_TRUE(allowed_in(State::authorization, verb));
        EXPECT_FALSE(allowed_in(State::transaction, verb));
    }
    for (Verb verb : {Verb::stat, Verb::list, Verb::retr, Verb::dele, Verb::noop, Verb::rset, Verb::top, Verb::uidl}) {
        EXPECT_FALSE(allowed_in(State::authorization, verb));
        EXPECT_TRUE(allowed_in(State::transaction, verb));
    }
    for (Verb verb : {Verb::quit, Verb::capa}) {
        EXPECT_TRUE(allowed_in(State::authorization, verb));
        EXPECT_TRUE(allowed_in(State::transaction, verb));
    }
    EXPECT_FALSE(allowed_in(State::authorization, Verb::unknown));
    EXPECT_FALSE(allowed_in(State::transaction, Verb::unknown));
}

TEST(Pop3Command, MessageNumbers) {
    EXPECT_EQ(parse_message_number("1"), 1U);
    EXPECT_EQ(parse_message_number("10000"), 10000U);
    EXPECT_EQ(parse_message_number("007"), 7U);
    for (const char* bad : {"", "0", "00", "-1", "+1", "1x", "x", " 1", "1 ", "0x10", "99999999999999999999999"}) {
        EXPECT_EQ(parse_message_number(bad), std::nullopt) << bad;
    }
    EXPECT_EQ(parse_message_number(std::string(41, '1')), std::nullopt); // RFC 1939 3: 40 characters at most
}

TEST(Pop3Command, TopArguments) {
    using Arguments = std::pair<std::size_t, std::size_t>;
    EXPECT_EQ(parse_top_arguments("1 10"), Arguments(1, 10));
    EXPECT_EQ(parse_top_arguments("3 0"), Arguments(3, 0));
    // RFC 1939 7: a count past the end of the body means the whole body, however big it is.
    EXPECT_EQ(parse_top_arguments("1 99999999999999999999999"), Arguments(1, SIZE_MAX));
    for (const char* bad : {"", "1", "1 ", " 1 2", "0 5", "1 -1", "1  2", "1 2 3", "a b"}) {
        EXPECT_EQ(parse_top_arguments(bad), std::nullopt) << bad;
    }
}

TEST(Pop3Command, TraceHidesPasswords) {
    EXPECT_EQ(hide_password("PASS secret"), "PASS ****");
    EXPECT_EQ(hide_password("pass two words"), "pass ****");
    EXPECT_EQ(hide_password("USER alice"), "USER alice");
    EXPECT_EQ(hide_password("PASS\tsecret"), "PASS ****"); // not a command, still a secret
    EXPECT_EQ(hide_password("USERPASS x"), "USERPASS x");
}
