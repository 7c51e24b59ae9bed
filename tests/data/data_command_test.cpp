// The parameters of MAIL FROM and RCPT TO (RFC 5321 4.1.2), read from chapter 07 on: SIZE
// (RFC 1870) and BODY (RFC 6152), which DATA depends on, and the refusal of every other.
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

struct MailFromRow {
    std::string argument;
    std::optional<Mailbox> sender;
    std::optional<std::uint64_t> size;
    Body body;
};

TEST(ParseMailFrom, AcceptsSizeAndBody) {
    const std::vector<MailFromRow> rows{
        {"FROM:<> SIZE=0", std::nullopt, 0, Body::seven_bit},
        {"FROM:<a@b> SIZE=12345", Mailbox{"a", "b"}, 12345, Body::seven_bit},
        {"FROM:<a@b> size=18446744073709551615", Mailbox{"a", "b"}, 18446744073709551615u, Body::seven_bit},
        {"FROM:<a@b> BODY=8BITMIME", Mailbox{"a", "b"}, {}, Body::eight_bit_mime},
        {"FROM:<a@b> body=7bit", Mailbox{"a", "b"}, {}, Body::seven_bit},
        {"FROM:<a@b> Body=8bitmime SIZE=10", Mailbox{"a", "b"}, 10, Body::eight_bit_mime},
        {"FROM:<a@b>  SIZE=10  ", Mailbox{"a", "b"}, 10, Body::seven_bit},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(printable(row.argument));
        auto result = parse_mail_from(row.argument);
        ASSERT_TRUE(std::holds_alternative<MailFrom>(result)) << std::get<SyntaxError>(result).text;
        const auto& mail = std::get<MailFrom>(result);
        EXPECT_EQ(mail.sender, row.sender);
        EXPECT_EQ(mail.size, row.size);
        EXPECT_EQ(mail.body, row.body);
    }
}

TEST(ParseMailFrom, RejectsBadParametersWithTheRightReply) {
    const std::vector<ErrorRow> rows{
        // 501 5.5.2: the command itself is malformed
        {"FROM:<a@b>x", 501, "5.5.2", "Unexpected text right after '>'"},
        {"FROM:<a@b>>", 501, "5.5.2", "Unexpected text right after '>'"},
        {"FROM:<a@b>\r\n", 501, "5.5.2", "Unexpected text right after '>'"},
        // 501 5.5.4: a malformed parameter
        {"FROM:<a@b> -X=1", 501, "5.5.4", "Malformed parameter: a keyword is letters, digits and '-'"},
        {"FROM:<a@b> =1", 501, "5.5.4", "Malformed parameter: a keyword is letters, digits and '-'"},
        {"FROM:<a@b> \0"s, 501, "5.5.4", "Malformed parameter: a keyword is letters, digits and '-'"},
        {"FROM:<a@b> X=a=b", 501, "5.5.4", "Malformed value for parameter X"},
        // 501 5.5.4: a known parameter with a bad value
        {"FROM:<a@b> SIZE=abc", 501, "5.5.4", "Bad SIZE value: expected SIZE=<octets>, a number below 2^64"},
        {"FROM:<a@b> SIZE=-1", 501, "5.5.4", "Bad SIZE value: expected SIZE=<octets>, a number below 2^64"},
        {"FROM:<a@b> SIZE=+1", 501, "5.5.4", "Bad SIZE value: expected SIZE=<octets>, a number below 2^64"},
        {"FROM:<a@b> SIZE=1x", 501, "5.5.4", "Bad SIZE value: expected SIZE=<octets>, a number below 2^64"},
        {"FROM:<a@b> SIZE=18446744073709551616", 501, "5.5.4",
         "Bad SIZE value: expected SIZE=<octets>, a number below 2^64"},
        {"FROM:<a@b> SIZE", 501, "5.5.4", "Bad SIZE value: expected SIZE=<octets>, a number below 2^64"},
        {"FROM:<a@b> SIZE=", 501, "5.5.4", "Malformed value for parameter SIZE"},
        {"FROM:<a@b> SIZE=1 SIZE=2", 501, "5.5.4", "Duplicate parameter SIZE"},
        {"FROM:<a@b> BODY=BINARYMIME", 501, "5.5.4", "Bad BODY value: expected BODY=7BIT or BODY=8BITMIME"},
        {"FROM:<a@b> BODY", 501, "5.5.4", "Bad BODY value: expected BODY=7BIT or BODY=8BITMIME"},
        {"FROM:<a@b> BODY=7BIT body=8BITMIME", 501, "5.5.4", "Duplicate parameter BODY"},
        {"FROM:<a@b> SIZE=1\r", 501, "5.5.4", "Malformed value for parameter SIZE"},
        // 555 5.5.4: a parameter we do not know (RFC 5321 4.1.1.11)
        {"FROM:<a@b> FOO=bar", 555, "5.5.4", "Unsupported MAIL parameter FOO"},
        {"FROM:<a@b> SMTPUTF8", 555, "5.5.4", "Unsupported MAIL parameter SMTPUTF8"},
        {"FROM:<a@b> SIZE=10 RET=HDRS", 555, "5.5.4", "Unsupported MAIL parameter RET"}, // DSN (RFC 3461)
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(printable(row.argument));
        expect_error(parse_mail_from(row.argument), row);
    }
}

// RFC 5321 4.1.1.11: we announce no extension that adds RCPT parameters (such as DSN's NOTIFY).
TEST(ParseRcptTo, RejectsParametersWithTheRightReply) {
    const std::vector<ErrorRow> rows{
        {"TO:<a@b>x", 501, "5.5.2", "Unexpected text right after '>'"},
        {"TO:<Postmaster>x", 501, "5.5.2", "Unexpected text right after '>'"},
        {"TO:<a@b> \x01", 501, "5.5.4", "Malformed parameter: a keyword is letters, digits and '-'"},
        {"TO:<a@b> NOTIFY=NEVER", 555, "5.5.4", "Unsupported RCPT parameter NOTIFY"},
        {"TO:<Postmaster> ORCPT=rfc822;a@b", 555, "5.5.4", "Unsupported RCPT parameter ORCPT"},
        {"TO:<a@b> SIZE=10", 555, "5.5.4", "Unsupported RCPT parameter SIZE"},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(printable(row.argument));
        expect_error(parse_rcpt_to(row.argument), row);
    }
}

}  // namespace
}  // namespace smtp
