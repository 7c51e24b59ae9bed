// Chapter 19: the envelope file keeps a failure until its DSN is stored ("failed", then
// "bounced") with the server that refused; new_queue_id() names the bounces.
#include "queue_entry.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>

namespace relay {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

system_clock::time_point at(year_month_day date, seconds time_of_day) { return sys_days{date} + time_of_day; }

// The entry that the format's documentation in queue_entry.hpp shows.
QueueEntry documented_entry() {
    return QueueEntry{
        .id = "62A1F3C4B5D6E-4D2-1F",
        .sender = smtp::Mailbox{"alice", "example.org"},
        .recipients = {{{"bob", "example.net"}, RecipientStatus::pending, "451 4.7.1 Greylisted, try again later", ""},
                       {{"carol", "example.com"}, RecipientStatus::delivered, "250 2.0.0 Ok: queued as 7F3", ""},
                       {{"dan smith", "example.com"}, RecipientStatus::bounced, "550 5.1.1 No such user", ""},
                       {{"erin", "example.com"}, RecipientStatus::failed, "550 5.1.1 No such user", "mx1.example.com"}},
        .arrival = at(2026y / November / 25, 19h + 40min),
        .next_attempt = at(2026y / November / 25, 19h + 45min),
        .attempts = 1,
    };
}

QueueEntry parse(std::string_view text) {
    auto parsed = parse_envelope(text);
    if (auto* error = std::get_if<EnvelopeError>(&parsed)) {
        ADD_FAILURE() << error->what << "\n" << text;
        return {};
    }
    return std::get<QueueEntry>(parsed);
}

TEST(EnvelopeFormat, WritesTheDocumentedText) {
    EXPECT_EQ(format_envelope(documented_entry()),
              "mailsteps-queue-envelope 1\n"
              "id 62A1F3C4B5D6E-4D2-1F\n"
              "sender <alice@example.org>\n"
              "arrival 2026-11-25T19:40:00Z\n"
              "next-attempt 2026-11-25T19:45:00Z\n"
              "attempts 1\n"
              "recipient pending <bob@example.net> 451 4.7.1 Greylisted, try again later\n"
              "recipient delivered <carol@example.com> 250 2.0.0 Ok: queued as 7F3\n"
              "recipient bounced <\"dan smith\"@example.com> 550 5.1.1 No such user\n"
              "recipient failed <erin@example.com> 550 5.1.1 No such user\n"
              "remote-host mx1.example.com\n"
              "end\n");
}

// RFC 5321 6.1: a failure not yet reported keeps what its DSN needs, the reply and the server
// that gave it, through a restart; one found without a server (a DNS verdict) has none.
TEST(EnvelopeFormat, KeepsAFailureNotYetReportedWithItsReplyAndServer) {
    auto entry = documented_entry();
    entry.recipients = {
        {{"erin", "example.com"}, RecipientStatus::failed, "550 5.1.1 No such user", "mx1.example.com"},
        {{"fred", "nowhere.test"}, RecipientStatus::failed, "550 5.1.2 nowhere.test does not accept mail", ""},
        {{"gina", "example.com"}, RecipientStatus::bounced, "554 5.7.1 Go away", "mx2.example.com"},
    };
    auto text = format_envelope(entry).value();
    EXPECT_NE(text.find("recipient failed <erin@example.com> 550 5.1.1 No such user\nremote-host mx1.example.com\n"
                        "recipient failed <fred@nowhere.test> 550 5.1.2 nowhere.test does not accept mail\n"
                        "recipient bounced <gina@example.com> 554 5.7.1 Go away\nremote-host mx2.example.com\n"),
              std::string::npos)
        << text;
    EXPECT_EQ(parse(text), entry);
}

// A file from before the "failed" status and "remote-host" existed still loads.
TEST(EnvelopeFormat, ReadsAFileWrittenBeforeFailuresWereKept) {
    auto parsed = parse("mailsteps-queue-envelope 1\n"
                        "id 3F2A9C01B7D4\n"
                        "sender <alice@localhost>\n"
                        "arrival 2026-11-25T19:40:00Z\n"
                        "next-attempt 2026-11-25T19:41:00Z\n"
                        "attempts 1\n"
                        "recipient pending <bob@example.test> mx1.example.test[127.0.0.2]:25 said: 451 4.3.0 Later\n"
                        "recipient bounced <carol@example.test> mx1.example.test[127.0.0.2]:25 said: 550 5.1.1 No\n"
                        "end\n");
    ASSERT_EQ(parsed.recipients.size(), 2u);
    EXPECT_EQ(parsed.recipients[0].status, RecipientStatus::pending);
    EXPECT_EQ(parsed.recipients[1].status, RecipientStatus::bounced);
    EXPECT_EQ(parsed.recipients[1].last_reply, "mx1.example.test[127.0.0.2]:25 said: 550 5.1.1 No");
    EXPECT_EQ(parsed.recipients[1].remote_host, "");
}

// "remote-host" belongs to the recipient line just before it, once, and is never empty.
TEST(EnvelopeFormat, RefusesAStrayRemoteHost) {
    const std::string head = "mailsteps-queue-envelope 1\nid A1\nsender <>\narrival 2026-11-25T19:40:00Z\n"
                             "next-attempt 2026-11-25T19:41:00Z\nattempts 1\n";
    const std::string failed = "recipient failed <bob@example.test> 550 5.1.1 No\n";
    for (const auto& body : {"remote-host mx1.example.test\n" + failed, failed + "remote-host \n",
                             failed + "remote-host mx1.example.test\nremote-host mx2.example.test\n"}) {
        EXPECT_TRUE(std::holds_alternative<EnvelopeError>(parse_envelope(head + body + "end\n"))) << body;
    }
    EXPECT_EQ(parse(head + failed + "remote-host mx1.example.test\nend\n").recipients.at(0).remote_host,
              "mx1.example.test");
}

TEST(EnvelopeFormat, ReadsBackFailuresAndRemoteHosts) {
    auto with_odd_addresses = documented_entry();
    with_odd_addresses.sender = std::nullopt;
    with_odd_addresses.recipients = {
        {{R"(a"b\c)", "x.example"}, RecipientStatus::pending, "", ""},
        {{"a@b> c", "[IPv6:::1]"}, RecipientStatus::bounced, " leading space, \xC3\xA9t\xC3\xA9 and <angle> brackets",
         " mx.example, \xC3\xA9"},
        {{"user", "[127.0.0.1]"}, RecipientStatus::delivered, "250 ok", ""},
    };
    for (const auto& entry : {documented_entry(), with_odd_addresses}) {
        auto text = format_envelope(entry);
        ASSERT_TRUE(text);
        EXPECT_EQ(parse(*text), entry);
    }
}

TEST(QueueId, NewIdsAreUniqueAcrossThreads) {
    std::set<std::string> ids;
    std::mutex mutex;
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 1000; ++i) {
                auto id = new_queue_id();
                std::lock_guard lock{mutex};
                EXPECT_TRUE(is_queue_id(id)) << id;
                EXPECT_TRUE(ids.insert(id).second) << id;
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(ids.size(), 8000u);
}

}  // namespace
}  // namespace relay
