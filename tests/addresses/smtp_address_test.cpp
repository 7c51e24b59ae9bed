#include "smtp_address.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace smtp {
namespace {

TEST(ToString, QuotesOnlyWhenNeeded) {
    const std::vector<std::pair<Mailbox, std::string>> rows{
        {{"alice", "example.com"}, "alice@example.com"},
        {{"Alice.Smith+tag", "Example.COM"}, "Alice.Smith+tag@Example.COM"},
        {{"a/b=c?d", "x"}, "a/b=c?d@x"},
        {{"john doe", "example.com"}, "\"john doe\"@example.com"},
        {{R"(a"b\c)", "x"}, R"("a\"b\\c"@x)"},
        {{"", "x"}, "\"\"@x"},
        {{".a", "x"}, "\".a\"@x"},
        {{"a.", "x"}, "\"a.\"@x"},
        {{"a..b", "x"}, "\"a..b\"@x"},
        {{"a@b", "x"}, "\"a@b\"@x"},
        {{"user", "[127.0.0.1]"}, "user@[127.0.0.1]"},
        {{"postmaster", ""}, "postmaster"},
    };
    for (const auto& [mailbox, text] : rows) {
        EXPECT_EQ(to_string(mailbox), text);
    }
}

// What to_string writes, read_path reads back as the same mailbox.
TEST(ToString, RoundTripsThroughReadPath) {
    const std::vector<Mailbox> rows{
        {"alice", "example.com"}, {"john doe", "example.com"}, {R"(a"b\c)", "x"},        {"", "x"},
        {".a", "x"},              {"a..b", "x"},               {"a@b>c", "[IPv6:::1]"}, {"~!#$%&'*+-/=?^_`{|}", "x"},
    };
    for (const auto& mailbox : rows) {
        auto text = "<" + to_string(mailbox) + ">";
        SCOPED_TRACE(text);
        auto path = read_path(text);
        ASSERT_TRUE(std::holds_alternative<Path>(path)) << std::get<PathError>(path).what;
        EXPECT_EQ(std::get<Path>(path).mailbox, mailbox);
        EXPECT_EQ(std::get<Path>(path).rest, "");
    }
}

// RFC 5321 4.1.2: a sender SHOULD use the minimum quoting possible; quotes that are not
// needed are dropped on the way through.
TEST(ToString, DropsNeedlessQuotes) {
    auto path = read_path(R"(<"abc.def"@x>)");
    ASSERT_TRUE(std::holds_alternative<Path>(path));
    EXPECT_EQ(to_string(*std::get<Path>(path).mailbox), "abc.def@x");
}

TEST(ReadPath, StopsAtTheClosingBracket) {
    const std::vector<std::pair<std::string, std::string>> rows{
        {"<a@b>", ""},
        {"<a@b> SIZE=1", " SIZE=1"},
        {"<> x", " x"},
        {R"(<"a>b"@c> z)", " z"},
        {"<@r.example:a@b>>", ">"},
    };
    for (const auto& [text, rest] : rows) {
        SCOPED_TRACE(text);
        auto path = read_path(text);
        ASSERT_TRUE(std::holds_alternative<Path>(path)) << std::get<PathError>(path).what;
        EXPECT_EQ(std::get<Path>(path).rest, rest);
    }
}

TEST(ReadPath, NeedsAnOpeningBracket) {
    for (std::string text : {"", "a@b>", " <a@b>"}) {
        auto path = read_path(text);
        ASSERT_TRUE(std::holds_alternative<PathError>(path)) << text;
        EXPECT_EQ(std::get<PathError>(path).what, "the path must start with '<'");
    }
}

}  // namespace
}  // namespace smtp
