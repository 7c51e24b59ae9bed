// STLS (RFC 2595 4) as a POP3 command: its keyword in any case, only before the login.
#include "pop3_command.hpp"

#include <gtest/gtest.h>

namespace {

using pop3::Verb;

TEST(StlsCommand, IsParsedInAnyCase) {
    for (const char* line : {"STLS", "stls", "StLs"}) {
        auto command = pop3::parse_command(line);
        EXPECT_EQ(command.verb, Verb::stls) << line;
        EXPECT_EQ(command.argument, "") << line;
    }
    EXPECT_EQ(pop3::parse_command("STLS now").argument, "now"); // refused by the session, not here
    EXPECT_EQ(pop3::parse_command("STLSX").verb, Verb::unknown);
}

TEST(StlsCommand, IsAllowedOnlyBeforeTheLogin) {
    EXPECT_TRUE(pop3::allowed_in(pop3::State::authorization, Verb::stls));
    EXPECT_FALSE(pop3::allowed_in(pop3::State::transaction, Verb::stls));
}

} // namespace
