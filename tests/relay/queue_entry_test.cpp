// The queue's envelope file (chapter 17 reads it back at start-up): what format_envelope()
// writes, and parse_envelope() reading it strictly.
#include "queue_entry.hpp"

#include <gtest/gtest.h>

namespace relay {
namespace {

// An entry like the one the format's documentation in queue_entry.hpp shows.
// Entries and their recipients are built field by field, so that the tests compile the same
// in every later chapter, whose QueueEntry and QueuedRecipient have more fields.
QueuedRecipient recipient(smtp::Mailbox address, RecipientStatus status, std::string last_reply) {
    QueuedRecipient recipient;
    recipient.address = std::move(address);
    recipient.status = status;
    recipient.last_reply = std::move(last_reply);
    return recipient;
}

QueueEntry documented_entry() {
    QueueEntry entry;
    entry.id = "62A1F3C4B5D6E-4D2-1F";
    entry.sender = smtp::Mailbox{"alice", "example.org"};
    entry.recipients = {
        recipient({"bob", "example.net"}, RecipientStatus::pending, "451 4.7.1 Greylisted, try again later"),
        recipient({"carol", "example.com"}, RecipientStatus::delivered, "250 2.0.0 Ok: queued as 7F3"),
    };
    return entry;
}

QueueEntry parse(std::string_view text) {
    auto parsed = parse_envelope(text);
    if (auto* error = std::get_if<EnvelopeError>(&parsed)) {
        ADD_FAILURE() << error->what << "\n" << text;
        return {};
    }
    return std::get<QueueEntry>(parsed);
}

// One field a line: the first three and the recipients' lines, as every later chapter writes
// them too (chapter 18 adds times between the sender and the recipients).
TEST(EnvelopeFormat, WritesOneFieldALine) {
    auto text = format_envelope(documented_entry()).value();
    EXPECT_TRUE(text.starts_with("mailsteps-queue-envelope 1\n"
                                 "id 62A1F3C4B5D6E-4D2-1F\n"
                                 "sender <alice@example.org>\n"))
        << text;
    EXPECT_TRUE(text.ends_with("\n"
                               "recipient pending <bob@example.net> 451 4.7.1 Greylisted, try again later\n"
                               "recipient delivered <carol@example.com> 250 2.0.0 Ok: queued as 7F3\n"
                               "end\n"))
        << text;
}

TEST(EnvelopeFormat, ReadsBackWhatItWrites) {
    auto with_odd_addresses = documented_entry();
    with_odd_addresses.sender = std::nullopt;
    with_odd_addresses.recipients = {
        recipient({R"(a"b\c)", "x.example"}, RecipientStatus::pending, ""),
        recipient({"a@b> c", "[IPv6:::1]"}, RecipientStatus::pending,
                  " leading space, \xC3\xA9t\xC3\xA9 and <angle> brackets"),
        recipient({"user", "[127.0.0.1]"}, RecipientStatus::delivered, "250 ok"),
    };
    for (const auto& entry : {documented_entry(), with_odd_addresses}) {
        auto text = format_envelope(entry);
        ASSERT_TRUE(text);
        EXPECT_EQ(parse(*text), entry);
    }
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
    auto text = format_envelope(documented_entry()).value();
    text.replace(text.find("sender <alice@example.org>"), 26, "sender alice@example.org");
    auto parsed = parse_envelope(text);
    ASSERT_TRUE(std::holds_alternative<EnvelopeError>(parsed));
    EXPECT_EQ(std::get<EnvelopeError>(parsed).what.substr(0, 7), "line 3:") << std::get<EnvelopeError>(parsed).what;
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

}  // namespace
}  // namespace relay
