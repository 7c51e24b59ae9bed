#include "queue_entry.hpp"

#include <gtest/gtest.h>

#include <limits>
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

TEST(EnvelopeFormat, ReadsBackWhatItWrites) {
    auto with_odd_addresses = documented_entry();
    with_odd_addresses.sender = std::nullopt;
    with_odd_addresses.attempts = std::numeric_limits<int>::max();
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

TEST(EnvelopeFormat, KeepsTimesToTheSecond) {
    auto entry = documented_entry();
    entry.arrival += 999ms;
    entry.next_attempt = system_clock::time_point{};  // the epoch
    auto parsed = parse(format_envelope(entry).value());
    EXPECT_EQ(parsed.arrival, documented_entry().arrival);
    EXPECT_EQ(parsed.next_attempt, system_clock::time_point{});
}

TEST(EnvelopeFormat, PutsAMultiLineReplyOnOneLine) {
    auto entry = documented_entry();
    entry.recipients[0].last_reply = "550-5.1.1 first\r\n550 5.1.1 second\x01";
    auto text = format_envelope(entry).value();
    EXPECT_EQ(parse(text).recipients[0].last_reply, "550-5.1.1 first  550 5.1.1 second ");
}

TEST(EnvelopeFormat, RefusesWhatItCouldNotReadBack) {
    const std::vector<std::pair<std::string, void (*)(QueueEntry&)>> rows{
        {"empty id", [](QueueEntry& e) { e.id = ""; }},
        {"id that climbs out", [](QueueEntry& e) { e.id = "../x"; }},
        {"id with a dot", [](QueueEntry& e) { e.id = "a.b"; }},
        {"no recipients", [](QueueEntry& e) { e.recipients.clear(); }},
        {"negative attempts", [](QueueEntry& e) { e.attempts = -1; }},
        {"recipient without domain", [](QueueEntry& e) { e.recipients[0].address = {"postmaster", ""}; }},
        {"control character in a local part", [](QueueEntry& e) { e.recipients[1].address.local_part = "a\nb"; }},
        {"bad domain", [](QueueEntry& e) { e.sender = smtp::Mailbox{"a", "-x-.example"}; }},
        {"too big", [](QueueEntry& e) { e.recipients[0].last_reply.assign(max_envelope_size, 'x'); }},
    };
    for (const auto& [name, spoil] : rows) {
        auto entry = documented_entry();
        spoil(entry);
        EXPECT_EQ(format_envelope(entry), std::nullopt) << name;
    }
}

// A file cut short anywhere, even between two complete lines, is never taken for an entry.
TEST(EnvelopeFormat, RefusesEveryTruncation) {
    auto text = format_envelope(documented_entry()).value();
    for (std::size_t length = 0; length < text.size(); ++length) {
        EXPECT_TRUE(std::holds_alternative<EnvelopeError>(parse_envelope(text.substr(0, length)))) << length;
    }
}

TEST(EnvelopeFormat, NamesTheLineThatIsWrong) {
    const auto good = format_envelope(documented_entry()).value();
    const std::vector<std::pair<std::string, std::string>> rows{
        {"2026-11-25T19:40", "line 4:"},  // arrival
        {"2026-11-25T19:45", "line 5:"},  // next-attempt
    };
    for (const auto& [time, line] : rows) {
        auto text = good;
        text.replace(text.find(time), time.size(), "2026-11-25T24:00");
        auto parsed = parse_envelope(text);
        ASSERT_TRUE(std::holds_alternative<EnvelopeError>(parsed));
        EXPECT_EQ(std::get<EnvelopeError>(parsed).what.substr(0, 7), line) << std::get<EnvelopeError>(parsed).what;
    }
}

TEST(QueueId, AcceptsOnlyFileNameSafeIds) {
    for (const auto& good : std::vector<std::string>{"A", "62A1F3C4B5D6E-4D2-1F", "a_b-C9", std::string(64, 'x')}) {
        EXPECT_TRUE(is_queue_id(good)) << good;
    }
    for (auto bad : {"", ".", "..", "../etc", "a/b", "a.b", ".hidden", "a b", "a\nb", "\xC3\xA9"}) {
        EXPECT_FALSE(is_queue_id(bad)) << bad;
    }
    EXPECT_FALSE(is_queue_id(std::string(65, 'x')));
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
