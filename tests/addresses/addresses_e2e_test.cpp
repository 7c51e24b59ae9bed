// End-to-end tests of the paths in MAIL FROM and RCPT TO (chapter 06 onwards): which
// addresses are ours, which are refused, and how.
#include "smtp/smtp_testing.hpp"

#include "shared/testing/chapter.hpp"

#include <gtest/gtest.h>

namespace {

using namespace mailsteps::testing;
using namespace smtp::tests;

// RFC 5321 3.6.2 and 7.1: mail for a domain that is not ours is refused, not relayed.
TEST(SmtpSecurity, RelayAttemptIsDenied) {
    ChapterServer server;
    LineClient client(server.port("smtp"));
    greet(client);
    ASSERT_EQ(command(client, "MAIL FROM:<alice@example.test>").code, 250);
    auto reply = command(client, "RCPT TO:<bob@example.com>");
    EXPECT_EQ(reply.code, 550) << reply; // RFC 5321 4.3.2: 550, not 554, among RCPT's replies
    EXPECT_NE(reply.last().find(" 5.7.1 "), std::string::npos) << reply;
    EXPECT_EQ(command(client, "DATA").code, 554); // RFC 5321 3.3: no valid recipient
    EXPECT_TRUE(all_files(server.dir()).empty());
}

// RFC 5321 3.6.2: a session with no permission to relay refuses other domains with 550 5.7.1
// (RFC 5321 4.3.2 lists 550 among RCPT's replies; Postfix's 554 is not there).
TEST(Session, OtherDomainsAreNotRelayed) {
    ChapterServer server;
    LineClient client(server.port("smtp"));
    ASSERT_EQ(read_reply(client).code, 220);
    command(client, "EHLO x");
    command(client, "MAIL FROM:<a@b>");
    auto reply = command(client, "RCPT TO:<c@example.test>");
    EXPECT_EQ(reply.code, 550) << reply;
    EXPECT_NE(reply.last().find(" 5.7.1 "), std::string::npos) << reply;
}

} // namespace
