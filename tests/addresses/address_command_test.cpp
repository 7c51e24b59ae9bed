// The paths of MAIL FROM and RCPT TO (RFC 5321 4.1.2) and their parameters as the command
// parser reads them: every form the grammar allows, and the reply for each it does not.
#include "smtp_command.hpp"

#include "smtp/command_testing.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace smtp {
namespace {

using namespace std::string_literals;
using smtp::tests::ErrorRow;
using smtp::tests::expect_error;
using smtp::tests::printable;

bool is_printable_ascii(std::string_view text) {
    for (char c : text) {
        if (c < 32 || c > 126) {
            return false;
        }
    }
    return true;
}

// Lengths near the RFC 5321 4.5.3.1 limits.
const std::string local_64(64, 'l');
const std::string label_63(63, 'd');
const std::string domain_189 = label_63 + "." + label_63 + "." + std::string(61, 'd');  // path of 256
const std::string domain_190 = label_63 + "." + label_63 + "." + std::string(62, 'd');  // path of 257
const std::string domain_256 = label_63 + "." + label_63 + "." + label_63 + "." + std::string(62, 'd') + ".d";

TEST(ParseMailFrom, AcceptsValidForms) {
    const std::vector<std::pair<std::string, std::optional<Mailbox>>> rows{
        {"FROM:<alice@example.com>", Mailbox{"alice", "example.com"}},
        {"from:<alice@example.com>", Mailbox{"alice", "example.com"}},
        {"FROM: <alice@example.com>", Mailbox{"alice", "example.com"}},
        {"FROM:<>", std::nullopt},
        {"FROM:<Alice.Smith+tag@Example.COM>", Mailbox{"Alice.Smith+tag", "Example.COM"}},
        {"FROM:<a/b=c?d@x-1.example>", Mailbox{"a/b=c?d", "x-1.example"}},
        {"FROM:<\"john doe\"@example.com>", Mailbox{"john doe", "example.com"}},
        {R"(FROM:<"a\"b\\c"@example.com>)", Mailbox{R"(a"b\c)", "example.com"}},
        {R"(FROM:<"a>b@c"@example.com>)", Mailbox{"a>b@c", "example.com"}},
        {"FROM:<\"\"@example.com>", Mailbox{"", "example.com"}},
        {"FROM:<\"../../etc\"@x>", Mailbox{"../../etc", "x"}},
        {"FROM:<user@[127.0.0.1]>", Mailbox{"user", "[127.0.0.1]"}},
        {"FROM:<user@[255.255.255.0]>", Mailbox{"user", "[255.255.255.0]"}},
        {"FROM:<user@[IPv6:::1]>", Mailbox{"user", "[IPv6:::1]"}},
        {"FROM:<user@[IPv6:2001:db8::1]>", Mailbox{"user", "[IPv6:2001:db8::1]"}},
        {"FROM:<user@[ipv6:::ffff:192.0.2.1]>", Mailbox{"user", "[ipv6:::ffff:192.0.2.1]"}},
        {"FROM:<@a.example,@b.example:user@c.example>", Mailbox{"user", "c.example"}},
        {"FROM:<" + local_64 + "@x>", Mailbox{local_64, "x"}},
        {"FROM:<a@" + label_63 + ".example>", Mailbox{"a", label_63 + ".example"}},
        {"FROM:<" + local_64 + "@" + domain_189 + ">", Mailbox{local_64, domain_189}},
    };
    for (const auto& [argument, sender] : rows) {
        SCOPED_TRACE(printable(argument));
        auto result = parse_mail_from(argument);
        ASSERT_TRUE(std::holds_alternative<MailFrom>(result)) << std::get<SyntaxError>(result).text;
        EXPECT_EQ(std::get<MailFrom>(result).sender, sender);
    }
}

TEST(ParseMailFrom, RejectsBadSyntaxWithTheRightReply) {
    const std::string missing_from = "Missing \"FROM:\": the syntax is MAIL FROM:<address>";
    const std::string missing_bracket = "Missing '<': the syntax is MAIL FROM:<address>";
    const std::string bad = "Bad sender address syntax: ";
    const std::vector<ErrorRow> rows{
        // 501 5.5.2: the command itself is malformed
        {"", 501, "5.5.2", missing_from},
        {"FROM <a@b>", 501, "5.5.2", missing_from},
        {"TO:<a@b>", 501, "5.5.2", missing_from},
        {"FROM:a@b", 501, "5.5.2", missing_bracket},
        {"FROM:  <a@b>", 501, "5.5.2", missing_bracket},
        {"FROM:", 501, "5.5.2", missing_bracket},
        // 501 5.1.7: the address is malformed
        {"FROM:<", 501, "5.1.7", bad + "missing '>' at the end of the path"},
        {"FROM:<a@b", 501, "5.1.7", bad + "missing '>' at the end of the path"},
        {"FROM:<<a@b>>", 501, "5.1.7", bad + "unexpected '<' in the local part"},
        {"FROM:<a>", 501, "5.1.7", bad + "missing '@' and domain after the local part"},
        {"FROM:<Postmaster>", 501, "5.1.7", bad + "missing '@' and domain after the local part"},
        {"FROM:<a@>", 501, "5.1.7", bad + "missing domain after '@'"},
        {"FROM:<@b>", 501, "5.1.7", bad + "unexpected '>' in the source route"},
        {"FROM:<@b.example:<>@c>", 501, "5.1.7", bad + "unexpected '<' in the local part"},
        {"FROM:<@b.example", 501, "5.1.7", bad + "the path ends inside the source route"},
        {"FROM:<@b.example:", 501, "5.1.7", bad + "the path ends inside the local part"},
        {"FROM:<\"ab\\", 501, "5.1.7", bad + "the path ends inside the quoted local part after '\\'"},
        {"FROM:<@b,c:a@d>", 501, "5.1.7", bad + "unexpected 'c' in the source route"},
        {"FROM:<a@b@c>", 501, "5.1.7", bad + "unexpected '@' in the domain"},
        {"FROM:<a@b_c.example>", 501, "5.1.7", bad + "unexpected '_' in the domain"},
        {"FROM:<a@-b.example>", 501, "5.1.7", bad + "a domain label starts or ends with '-'"},
        {"FROM:<a@b-.example>", 501, "5.1.7", bad + "a domain label starts or ends with '-'"},
        {"FROM:<a@b..example>", 501, "5.1.7", bad + "the domain contains '..'"},
        {"FROM:<a@b.example.>", 501, "5.1.7", bad + "the domain ends with '.'"},
        {"FROM:<a@.b.example>", 501, "5.1.7", bad + "the domain starts with '.'"},
        {"FROM:<.a@b>", 501, "5.1.7", bad + "the local part starts with '.'"},
        {"FROM:<a.@b>", 501, "5.1.7", bad + "the local part ends with '.'"},
        {"FROM:<a..b@c>", 501, "5.1.7", bad + "the local part contains '..'"},
        // Unquoted, a path-like local part is not even RFC 5321 syntax (dots must separate atoms).
        {"FROM:<../../etc@x>", 501, "5.1.7", bad + "the local part starts with '.'"},
        {"FROM:<a/../b@x>", 501, "5.1.7", bad + "the local part contains '..'"},
        {"FROM:<a b@c>", 501, "5.1.7", bad + "unexpected space in the local part"},
        {"FROM:<a\r\n@b>", 501, "5.1.7", bad + "unexpected CR in the local part"},
        {"FROM:<a\n@b>", 501, "5.1.7", bad + "unexpected LF in the local part"},
        {"FROM:<a\0b@c>"s, 501, "5.1.7", bad + "unexpected NUL in the local part"},
        {"FROM:<a\x7f@c>", 501, "5.1.7", bad + "unexpected byte 0x7F in the local part"},
        {"FROM:<a@b\0.example>"s, 501, "5.1.7", bad + "unexpected NUL in the domain"},
        {"FROM:<a@b.example\r>", 501, "5.1.7", bad + "unexpected CR in the domain"},
        {"FROM:<\xC3\xA9@b>", 501, "5.1.7", bad + "unexpected byte 0xC3 in the local part"},
        {"FROM:<\"a\nb\"@c>", 501, "5.1.7", bad + "unexpected LF in the quoted local part"},
        {"FROM:<\"a\tb\"@c>", 501, "5.1.7", bad + "unexpected TAB in the quoted local part"},
        {"FROM:<\"a\\\x01\"@c>", 501, "5.1.7", bad + "unexpected byte 0x01 in the quoted local part after '\\'"},
        {"FROM:<\"abc@d>", 501, "5.1.7", bad + "the quoted local part has no closing '\"'"},
        {R"(FROM:<"abc\"@d>)", 501, "5.1.7", bad + "the quoted local part has no closing '\"'"},
        {"FROM:<a\"b\"@c>", 501, "5.1.7", bad + "unexpected '\"' in the local part"},
        {"FROM:<a@[300.1.1.1]>", 501, "5.1.7", bad + "invalid IPv4 address literal"},
        {"FROM:<a@[1.2.3]>", 501, "5.1.7", bad + "invalid IPv4 address literal"},
        {"FROM:<a@[1.2.3.4.5]>", 501, "5.1.7", bad + "invalid IPv4 address literal"},
        {"FROM:<a@[1.2.3.0004]>", 501, "5.1.7", bad + "invalid IPv4 address literal"},
        {"FROM:<a@[]>", 501, "5.1.7", bad + "invalid IPv4 address literal"},
        {"FROM:<a@[IPv6:1::2::3]>", 501, "5.1.7", bad + "invalid IPv6 address literal"},
        {"FROM:<a@[IPv6:12345::]>", 501, "5.1.7", bad + "invalid IPv6 address literal"},
        {"FROM:<a@[IPv6:1:2:3:4:5:6:7:8:9]>", 501, "5.1.7", bad + "invalid IPv6 address literal"},
        {"FROM:<a@[IPv6:::1%eth0]>", 501, "5.1.7", bad + "invalid IPv6 address literal"},
        {"FROM:<a@[IPv6:]>", 501, "5.1.7", bad + "invalid IPv6 address literal"},
        {"FROM:<a@[x400:c=us]>", 501, "5.1.7", bad + "unsupported address literal tag (only IPv6: is known)"},
        {"FROM:<a@[127.0.0.1>", 501, "5.1.7", bad + "missing ']' after the address literal"},
        {"FROM:<a@[127.0.0.1", 501, "5.1.7", bad + "missing ']' after the address literal"},
        {"FROM:<a@[127.0.0.1\r]>", 501, "5.1.7", bad + "unexpected CR in the address literal"},
        {"FROM:<a@[127.0.0.1]x>", 501, "5.1.7", bad + "unexpected 'x' in the domain"},
        // RFC 5321 4.5.3.1 limits
        {"FROM:<" + local_64 + "l@x>", 501, "5.1.7", bad + "the local part is 65 octets long, more than the limit of 64"},
        {"FROM:<\"" + std::string(63, 'q') + "\"@x>", 501, "5.1.7",
         bad + "the local part is 65 octets long, more than the limit of 64"},
        {"FROM:<a@" + label_63 + "d.example>", 501, "5.1.7",
         bad + "a domain label is 64 octets long, more than the limit of 63"},
        {"FROM:<a@" + domain_256 + ">", 501, "5.1.7", bad + "the domain is 256 octets long, more than the limit of 255"},
        {"FROM:<" + local_64 + "@" + domain_190 + ">", 501, "5.1.7",
         bad + "the path is 257 octets long, more than the limit of 256"},
        {"FROM:<" + std::string(10'000, 'a') + "@b>", 501, "5.1.7",
         bad + "the local part is 10000 octets long, more than the limit of 64"},
        {"FROM:<" + std::string(10'000, 'a'), 501, "5.1.7",
         bad + "the local part is 10000 octets long, more than the limit of 64"},
        {"FROM:<\"" + std::string(10'000, 'a'), 501, "5.1.7", bad + "the quoted local part has no closing '\"'"},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(printable(row.argument));
        expect_error(parse_mail_from(row.argument), row);
    }
}

TEST(ParseRcptTo, AcceptsValidForms) {
    const std::vector<std::pair<std::string, Mailbox>> rows{
        {"TO:<bob@example.com>", {"bob", "example.com"}},
        {"to:<bob@example.com>", {"bob", "example.com"}},
        {"To: <bob@example.com>", {"bob", "example.com"}},
        {"TO:<bob@example.com> ", {"bob", "example.com"}},
        {"TO:<Postmaster>", {"postmaster", ""}},
        {"TO:<postMASTER>", {"postmaster", ""}},
        {"TO: <POSTMASTER>", {"postmaster", ""}},
        {"TO:<Postmaster@example.com>", {"Postmaster", "example.com"}},
        {"TO:<@relay.example:bob@example.com>", {"bob", "example.com"}},
        {"TO:<bob@[IPv6:2001:db8::5]>", {"bob", "[IPv6:2001:db8::5]"}},
        {"TO:<\"bob smith\"@example.com>", {"bob smith", "example.com"}},
        // Valid RFC 5321 syntax: only the Maildir layer (mailbox_path) can and must refuse it.
        {"TO:<\"../../etc\"@example.com>", {"../../etc", "example.com"}},
        {"TO:<a/b@example.com>", {"a/b", "example.com"}},
    };
    for (const auto& [argument, recipient] : rows) {
        SCOPED_TRACE(argument);
        auto result = parse_rcpt_to(argument);
        ASSERT_TRUE(std::holds_alternative<RcptTo>(result)) << std::get<SyntaxError>(result).text;
        EXPECT_EQ(std::get<RcptTo>(result).recipient, recipient);
    }
}

TEST(ParseRcptTo, RejectsBadSyntaxWithTheRightReply) {
    const std::string missing_to = "Missing \"TO:\": the syntax is RCPT TO:<address>";
    const std::string missing_bracket = "Missing '<': the syntax is RCPT TO:<address>";
    const std::string bad = "Bad recipient address syntax: ";
    const std::vector<ErrorRow> rows{
        {"", 501, "5.5.2", missing_to},
        {"FROM:<a@b>", 501, "5.5.2", missing_to},
        {"TO <a@b>", 501, "5.5.2", missing_to},
        {"TO:a@b", 501, "5.5.2", missing_bracket},
        {"TO:Postmaster", 501, "5.5.2", missing_bracket},
        {"TO:<>", 501, "5.1.3", bad + "the null path <> is only for MAIL FROM"},
        {"TO:<> NOTIFY=NEVER", 501, "5.1.3", bad + "the null path <> is only for MAIL FROM"},
        {"TO:<a@b", 501, "5.1.3", bad + "missing '>' at the end of the path"},
        {"TO:<Postmaster", 501, "5.1.3", bad + "missing '>' at the end of the path"},
        {"TO:<bob>", 501, "5.1.3", bad + "missing '@' and domain after the local part"},
        {"TO:<a\nb@c>", 501, "5.1.3", bad + "unexpected LF in the local part"},
        {"TO:<a@c\0>"s, 501, "5.1.3", bad + "unexpected NUL in the domain"},
        {"TO:<../x@c>", 501, "5.1.3", bad + "the local part starts with '.'"},
        {"TO:<" + std::string(10'000, 'a') + "@b>", 501, "5.1.3",
         bad + "the local part is 10000 octets long, more than the limit of 64"},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(printable(row.argument));
        expect_error(parse_rcpt_to(row.argument), row);
    }
}

// Every byte value at every position of a path: whatever the outcome, no control character
// or 8-bit byte reaches an accepted address, and no reply text carries one back to the client.
TEST(ParseRcptTo, NoControlCharacterEverGetsThrough) {
    const std::string templates[] = {"TO:<ab@cd.example>", "TO:<\"a b\"@[127.0.0.1]>"};
    int accepted = 0;
    for (const auto& base : templates) {
        for (std::size_t position = 4; position < base.size(); ++position) {
            for (int byte = 0; byte < 256; ++byte) {
                auto argument = base;
                argument.insert(position, 1, static_cast<char>(byte));
                auto result = parse_rcpt_to(argument);
                if (const auto* rcpt = std::get_if<RcptTo>(&result)) {
                    ++accepted;
                    EXPECT_TRUE(is_printable_ascii(rcpt->recipient.local_part)) << printable(argument);
                    EXPECT_TRUE(is_printable_ascii(rcpt->recipient.domain)) << printable(argument);
                } else {
                    EXPECT_TRUE(is_printable_ascii(std::get<SyntaxError>(result).text)) << printable(argument);
                }
            }
        }
    }
    EXPECT_GT(accepted, 0);  // the loop did reach the accepting branch
}

}  // namespace
}  // namespace smtp
