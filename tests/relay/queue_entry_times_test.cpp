// Chapter 18: the envelope file keeps when a message arrived, when it is next tried and how
// often it was: times in UTC to the second.
#include "queue_entry.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace relay {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

// A recipient of an entry: built field by field, so the tests of every later chapter, whose
// QueuedRecipient has more fields, compile the same.
QueuedRecipient recipient(smtp::Mailbox address, RecipientStatus status, std::string last_reply) {
    QueuedRecipient recipient;
    recipient.address = std::move(address);
    recipient.status = status;
    recipient.last_reply = std::move(last_reply);
    return recipient;
}

system_clock::time_point at(year_month_day date, seconds time_of_day) { return sys_days{date} + time_of_day; }

QueueEntry documented_entry() {
    return QueueEntry{
        .id = "62A1F3C4B5D6E-4D2-1F",
        .sender = smtp::Mailbox{"alice", "example.org"},
        .recipients = {recipient({"bob", "example.net"}, RecipientStatus::pending, "451 4.7.1 Greylisted")},
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

TEST(EnvelopeTimes, AreWrittenAfterTheSender) {
    auto text = format_envelope(documented_entry()).value();
    EXPECT_NE(text.find("sender <alice@example.org>\n"
                        "arrival 2026-11-25T19:40:00Z\n"
                        "next-attempt 2026-11-25T19:45:00Z\n"
                        "attempts 1\n"
                        "recipient pending <bob@example.net>"),
              std::string::npos)
        << text;
}

TEST(EnvelopeTimes, ReadBackWithTheLargestCount) {
    auto entry = documented_entry();
    entry.attempts = std::numeric_limits<int>::max();
    EXPECT_EQ(parse(format_envelope(entry).value()), entry);
}

TEST(EnvelopeTimes, KeepsTimesToTheSecond) {
    auto entry = documented_entry();
    entry.arrival += 999ms;
    entry.next_attempt = system_clock::time_point{};  // the epoch
    auto parsed = parse(format_envelope(entry).value());
    EXPECT_EQ(parsed.arrival, documented_entry().arrival);
    EXPECT_EQ(parsed.next_attempt, system_clock::time_point{});
}

TEST(EnvelopeTimes, ANegativeCountIsRefused) {
    auto entry = documented_entry();
    entry.attempts = -1;
    EXPECT_EQ(format_envelope(entry), std::nullopt);
}

TEST(EnvelopeTimes, NamesTheLineThatIsWrong) {
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

}  // namespace
}  // namespace relay
