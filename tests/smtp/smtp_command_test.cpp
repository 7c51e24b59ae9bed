// The command line parser (RFC 5321 4.1.1): verb and argument.
#include "smtp_command.hpp"

#include "command_testing.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace smtp {
namespace {

using namespace std::string_literals;
using smtp::tests::printable;

struct CommandRow {
    std::string line;
    Verb verb;
    std::string argument;
};

TEST(ParseCommand, SplitsVerbAndArgument) {
    const std::vector<CommandRow> rows{
        {"HELO client.example", Verb::helo, "client.example"},
        {"ehlo client.example", Verb::ehlo, "client.example"},
        {"Mail FROM:<a@b.example>", Verb::mail, "FROM:<a@b.example>"},
        {"RCPT TO:<a@b.example> ", Verb::rcpt, "TO:<a@b.example> "},
        {"DATA", Verb::data, ""},
        {"DATA ", Verb::data, ""},
        {"rset", Verb::rset, ""},
        {"NOOP anything", Verb::noop, "anything"},
        {"QUIT", Verb::quit, ""},
        {"VRFY alice", Verb::vrfy, "alice"},
        {"EXPN staff", Verb::expn, "staff"},
        {"help", Verb::help, ""},
        {"MAIL  FROM:<a@b>", Verb::mail, " FROM:<a@b>"},
        {"MAILFROM:<a@b>", Verb::unknown, ""},
        {"TURN", Verb::unknown, ""}, // RFC 2821 removed it; nobody implements it
        {"QUITE", Verb::unknown, ""},
        {" QUIT", Verb::unknown, "QUIT"},
        {"HELO\tclient", Verb::unknown, ""},
        {"QUIT\0X"s, Verb::unknown, ""},
        {"", Verb::unknown, ""},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(printable(row.line));
        auto command = parse_command(row.line);
        EXPECT_EQ(command.verb, row.verb);
        EXPECT_EQ(command.argument, row.argument);
    }
}

}  // namespace
}  // namespace smtp
