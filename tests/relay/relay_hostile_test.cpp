// A hostile client end to end, for mail the server relays: the addresses name no file of the
// queue and stay on their line of its envelope. The server runs with -v and --trace, so it
// logs the most it can, every line it receives included.
#include "smtp/smtp_hostile.hpp"
#include "smtp/smtp_testing.hpp"

#include "shared/testing/chapter.hpp"
#include "shared/testing/hostile.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>

namespace {

using namespace mailsteps::testing;
using namespace smtp::tests;
using namespace std::string_literals;

// Mail for other domains waits in the queue under names the server makes (queue ids), never
// names from the addresses; its envelope file keeps one field a line.
TEST(SmtpHostile, RelayedAddressesNameNoQueueFileAndStayOnTheirEnvelopeLine) {
    // 127.0.0.1 may relay. No name server answers at 127.0.0.1:9 (discard), so a delivery
    // attempt goes nowhere but loopback and fails, and the entry stays in the queue to be
    // looked at (from chapter 18 on, the next attempt is a minute away).
    ChapterServer server({"-v", "--trace", "--relay-network", "127.0.0.1", "--dns-server", "127.0.0.1:9"});
    LineClient client(server.port("smtp"));
    ASSERT_EQ(read_reply(client).code, 220);
    ASSERT_EQ(command(client, "EHLO client.test").code, 250);
    ASSERT_EQ(command(client, "MAIL FROM:<\"s " + injected + "\"@example.test>").code, 250);
    for (std::string hostile : {"RCPT TO:<r\r" + injected + "@example.test>",
                                "RCPT TO:<\"r\0"s + injected + "\"@example.test>",
                                "RCPT TO:<r@example.test\r" + injected + ">"}) {
        expect_refused(hostile, replies_to(client, hostile));
    }
    const std::vector<std::string> recipients{"\"../../escaped-r\"@example.test", "a/escaped-r@example.test",
                                              "\"r " + injected + "\"@example.test"};
    for (const auto& recipient : recipients) {
        ASSERT_EQ(command(client, "RCPT TO:<" + recipient + ">").code, 250) << recipient;
    }
    ASSERT_EQ(command(client, "DATA").code, 354);
    client.send(wire_data("Subject: relayed\n\nhi\n"));
    auto reply = read_reply(client);
    ASSERT_EQ(reply.code, 250) << reply;
    auto id = queue_id(reply.last());

    auto queue = server.dir() / "queue";
    auto envelope = read_file(queue / "envelopes" / id);
    ASSERT_FALSE(envelope.empty()) << "no envelope for " << id << " in " << queue;
    static const std::regex field(
        R"((mailsteps-queue-envelope|id|sender|arrival|next-attempt|attempts|recipient) .*|end)");
    std::istringstream lines(envelope);
    std::vector<std::string> recipient_lines;
    for (std::string line; std::getline(lines, line);) {
        EXPECT_TRUE(std::regex_match(line, field)) << escaped(line);
        EXPECT_FALSE(has_control(line)) << escaped(line);
        if (line.starts_with("recipient ")) {
            recipient_lines.push_back(line);
        }
    }
    ASSERT_EQ(recipient_lines.size(), recipients.size()) << envelope;
    // The queued message starts with our Received: header, naming no recipient (there are three).
    auto message = read_file(queue / "messages" / id);
    auto ours = message.substr(0, message.find("Subject: relayed\n"));
    EXPECT_EQ(count_trace_headers(ours), std::make_pair(0, 1)) << message;
    for (std::size_t i = 0; i < recipients.size(); ++i) {
        EXPECT_NE(recipient_lines[i].find(" <" + recipients[i] + ">"), std::string::npos) << recipient_lines[i];
    }
    for (const auto& name : names_under(queue)) {
        EXPECT_EQ(name.string().find("escaped"), std::string::npos) << name;
    }
    EXPECT_TRUE(all_files(mail_root(server)).empty());
    expect_clean_names(server.dir());
    expect_log_escaped(server.log());
}

} // namespace
