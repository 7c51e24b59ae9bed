// Chapter 18: the SMTP client tells a server that will not talk to us (RFC 5321 3.1: a 5xx
// greeting) from a refusal of the message, so the relay can try the next MX host.

#include "relay/smtp_client_testing.hpp"

namespace {

class SmtpClientRefusalTest : public SmtpClientTest {};

TEST_F(SmtpClientRefusalTest, RefusedGreetingIsARefusalToTalk) {
    server_.greeting = "554 5.7.1 No mail from you\r\n";
    auto attempt = deliver();
    EXPECT_TRUE(attempt.connected);
    EXPECT_EQ(attempt.session_reply.code, 554);
    EXPECT_EQ(attempt.session_reply.text, "5.7.1 No mail from you");
    EXPECT_TRUE(attempt.refused_to_talk); // RFC 5321 3.1: another MX host may take the message
    EXPECT_EQ(server_.commands, (Commands{"QUIT"}));
}

TEST_F(SmtpClientRefusalTest, TemporaryEhloFailureIsNoRefusalToTalk) {
    server_.replies["EHLO"] = "451 4.3.0 Try again later\r\n";
    auto attempt = deliver();
    EXPECT_EQ(attempt.session_reply.code, 451);
    EXPECT_FALSE(attempt.refused_to_talk); // temporary
}

// A 5xx to MAIL, RCPT or DATA is about the message: it is no refusal to talk.
class RefusalOfTheMessage : public SmtpClientRefusalTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(RefusalOfTheMessage, IsNoRefusalToTalk) {
    server_.replies[GetParam()] = "554 5.7.1 Not this one\r\n";
    auto attempt = deliver();
    EXPECT_EQ(relay::outcome_for(attempt, 0).code, 554);
    EXPECT_FALSE(attempt.refused_to_talk);
}

INSTANTIATE_TEST_SUITE_P(SmtpClientRefusalTest, RefusalOfTheMessage, ::testing::Values("MAIL", "RCPT", "DATA"));

} // namespace
