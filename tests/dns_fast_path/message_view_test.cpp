// The production-style parser (message_view.hpp) against chapter 10's parse_message: the same
// verdict on every packet and, wherever both accept one, the same records. Records are the same
// when their owner, type, class and TTL are, and their data for the types the view decodes (MX,
// A, AAAA) and for unknown types. Run on the captured packets, every cut and many one-octet
// changes of them, each type's RDATA cut short, and names and pointer chains at their limits.
// The view's speed in the benchmarks counts only if this holds.

#include "message_view.hpp"
#include "dns/packets.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace {

using Bytes = std::vector<std::uint8_t>;
using dns::view::MessageView;

// The view decodes the RDATA of MX, A and AAAA records; the rest it only locates, and parse_message
// keeps the octets of an unknown type as they are.
bool same_data(const MessageView& view, const dns::view::RecordView& record, const dns::Record& want) {
    switch (record.type) {
    case dns::Type::MX:
        return view.mx(record) == std::get<dns::rdata::Mx>(want.data);
    case dns::Type::A:
        return view.a(record) == std::get<dns::rdata::A>(want.data);
    case dns::Type::AAAA:
        return view.aaaa(record) == std::get<dns::rdata::Aaaa>(want.data);
    default:
        const auto* raw = std::get_if<dns::rdata::Raw>(&want.data);
        return !raw || std::ranges::equal(view.rdata(record), raw->bytes);
    }
}

testing::AssertionResult same_records(const MessageView& view, std::span<const dns::view::RecordView> records,
                                      const std::vector<dns::Record>& expected) {
    if (records.size() != expected.size()) {
        return testing::AssertionFailure() << records.size() << " records, not " << expected.size();
    }
    for (std::size_t i = 0; i < records.size(); ++i) {
        const auto& record = records[i];
        const auto& want = expected[i];
        if (!(view.owner(record) == want.name) || record.type != want.type || record.klass != want.klass ||
            record.ttl != want.ttl) {
            return testing::AssertionFailure() << "record " << i << " is not " << want.name.to_text();
        }
        if (!same_data(view, record, want)) {
            return testing::AssertionFailure() << "record " << i << " has other data";
        }
    }
    return testing::AssertionSuccess();
}

// Both parsers reject `packet`, or both accept it and read the same header fields and records.
testing::AssertionResult agree(std::span<const std::uint8_t> packet) {
    const auto result = dns::parse_message(packet);
    const auto* message = std::get_if<dns::Message>(&result);
    const auto view = MessageView::parse(packet);
    if (!message || !view) {
        if (!message && !view) {
            return testing::AssertionSuccess();
        }
        return testing::AssertionFailure() << (message ? "only parse_message" : "only the view") << " accepts it";
    }
    if (view->id() != message->header.id || view->truncated() != message->header.tc ||
        view->rcode() != message->header.rcode) {
        return testing::AssertionFailure() << "the header differs";
    }
    for (const auto& [records, expected] : {std::pair{view->answers(), &message->answers},
                                            std::pair{view->authority(), &message->authority},
                                            std::pair{view->additional(), &message->additional}}) {
        if (auto same = same_records(*view, records, *expected); !same) {
            return same;
        }
    }
    return testing::AssertionSuccess();
}

// Why parse_message rejects `packet`, or "accepted".
std::string parse_error(std::span<const std::uint8_t> packet) {
    const auto result = dns::parse_message(packet);
    const auto* error = std::get_if<dns::ParseError>(&result);
    return error ? error->what : "accepted";
}

TEST(MessageView, ReadsTheCapturedMxAnswer) {
    const auto view = MessageView::parse(dns::packets::packet("mx_two_hosts"));
    ASSERT_TRUE(view);
    ASSERT_EQ(view->answers().size(), 2u);
    EXPECT_EQ(view->mx(view->answers()[1]), (dns::rdata::Mx{10, dns::Name::from_text("mx1.example.test").value()}));
    EXPECT_EQ(view->additional().size(), 4u);
    EXPECT_TRUE(agree(dns::packets::packet("mx_two_hosts")));
}

TEST(MessageView, AskingForAnotherTypesDataIsABug) {
    const auto view = MessageView::parse(dns::packets::packet("mx_two_hosts"));
    ASSERT_TRUE(view);
    const auto& mx = view->answers()[0];
    EXPECT_THROW(view->a(mx), std::logic_error);
    EXPECT_THROW(view->aaaa(mx), std::logic_error);
    EXPECT_THROW(view->mx(view->additional()[0]), std::logic_error);
}

TEST(MessageView, AgreesOnEveryCapturedPacket) {
    for (const auto& [label, packet] : dns::packets::all()) {
        EXPECT_TRUE(MessageView::parse(packet)) << label;
        EXPECT_TRUE(agree(packet)) << label;
    }
}

TEST(MessageView, AgreesOnEveryCut) {
    for (const auto& [label, packet] : dns::packets::all()) {
        for (std::size_t size = 0; size < packet.size(); ++size) {
            EXPECT_TRUE(agree(packet.first(size))) << label << " cut to " << size;
        }
    }
}

// Values that make an octet a different length, label, pointer or count. Many of the changed
// packets still parse (a changed TTL, address or ID), many do not: both verdicts are tested.
TEST(MessageView, AgreesOnEveryOneOctetChange) {
    constexpr std::uint8_t values[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x0a, 0x0c, 0x10, 0x14,
                                       0x1c, 0x29, 0x3f, 0x40, 0x80, 0xc0, 0xc1, 0xff};
    int accepted = 0;
    int rejected = 0;
    for (const auto& [label, packet] : dns::packets::all()) {
        Bytes changed(packet.begin(), packet.end());
        for (std::size_t at = 0; at < changed.size(); ++at) {
            for (const std::uint8_t value : values) {
                changed[at] = value;
                EXPECT_TRUE(agree(changed)) << label << " with " << int{value} << " at " << at;
                if (parse_error(changed) == "accepted") {
                    ++accepted;
                } else {
                    ++rejected;
                }
            }
            changed[at] = packet[at];
        }
    }
    EXPECT_GT(accepted, 1000);
    EXPECT_GT(rejected, 1000);
}

// A response header: ID 0x1234, QR set, `questions` questions and `answers` answers.
Bytes header(std::uint8_t questions, std::uint8_t answers) {
    return {0x12, 0x34, 0x80, 0x00, 0, questions, 0, answers, 0, 0, 0, 0};
}

// A compression pointer to `target` (RFC 1035 4.1.4).
void append_pointer(Bytes& packet, std::size_t target) {
    packet.insert(packet.end(), {static_cast<std::uint8_t>(0xC0 | target >> 8), static_cast<std::uint8_t>(target)});
}

// Where a limit is: parse_message accepts `at_limit` and rejects `past_limit` because `why`,
// and the view reaches the same verdict on both.
testing::AssertionResult agree_on_limit(const Bytes& at_limit, const Bytes& past_limit, const std::string& why) {
    if (const auto error = parse_error(at_limit); error != "accepted") {
        return testing::AssertionFailure() << "at the limit: " << error;
    }
    if (const auto error = parse_error(past_limit); error != why) {
        return testing::AssertionFailure() << "past the limit: " << error << ", not " << why;
    }
    if (auto same = agree(at_limit); !same) {
        return same << " (at the limit)";
    }
    if (auto same = agree(past_limit); !same) {
        return same << " (past the limit)";
    }
    return testing::AssertionSuccess();
}

// An answer for the root of `type` whose RDATA is `rdata`.
Bytes answer_with_rdata(dns::Type type, std::span<const std::uint8_t> rdata) {
    const auto type_code = static_cast<std::uint16_t>(type);
    Bytes packet = header(0, 1);
    packet.insert(packet.end(), {0, static_cast<std::uint8_t>(type_code >> 8), static_cast<std::uint8_t>(type_code),
                                 0, 1, 0, 0, 0, 0, 0, static_cast<std::uint8_t>(rdata.size())});
    packet.insert(packet.end(), rdata.begin(), rdata.end());
    return packet;
}

// Each type's RDATA cut at every octet, and with one octet too many: the field that runs out
// differs from cut to cut (an option's code or length, a string, a name, the SOA's numbers).
TEST(MessageView, AgreesOnEveryCutOfEachTypesRdata) {
    const std::pair<dns::Type, Bytes> whole[] = {
        {dns::Type::A, {127, 0, 0, 1}},
        {dns::Type::AAAA, Bytes(16, 1)},
        {dns::Type::MX, {0, 10, 2, 'm', 'x', 0}},
        {dns::Type::CNAME, {1, 'a', 0}},
        {dns::Type::NS, {2, 'n', 's', 0}},
        {dns::Type::SOA, {1, 'a', 0, 1, 'b', 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5}},
        {dns::Type::TXT, {2, 'h', 'i', 0, 3, 'y', 'e', 's'}},
        {dns::Type::OPT, {0, 10, 0, 2, 'a', 'b', 0, 12, 0, 0}},
        {static_cast<dns::Type>(99), {1, 2, 3}},
    };
    for (const auto& [type, rdata] : whole) {
        const auto label = static_cast<int>(type);
        for (std::size_t size = 0; size <= rdata.size(); ++size) {
            EXPECT_TRUE(agree(answer_with_rdata(type, std::span(rdata).first(size)))) << label << " cut to " << size;
        }
        Bytes longer = rdata;
        longer.push_back(0);
        EXPECT_EQ(parse_error(answer_with_rdata(type, rdata)), "accepted") << label;
        EXPECT_TRUE(agree(answer_with_rdata(type, longer))) << label << " one octet longer";
    }
}

// A name of `length` octets on the wire, of 63-octet labels and one shorter. (Lengths where
// the shorter one would be empty, (length - 1) % 64 == 1, are not used.)
void append_name_of(Bytes& packet, std::size_t length) {
    for (std::size_t left = length - 1; left > 0; left -= std::min<std::size_t>(left, 64)) {
        const std::size_t label = std::min<std::size_t>(left, 64) - 1;
        packet.push_back(static_cast<std::uint8_t>(label));
        packet.insert(packet.end(), label, 'a');
    }
    packet.push_back(0);
}

Bytes question_for_a_name_of(std::size_t length) {
    Bytes packet = header(1, 0);
    append_name_of(packet, length);
    packet.insert(packet.end(), {0, 1, 0, 1});
    return packet;
}

TEST(MessageView, AgreesOnNamesOf255And256Octets) {
    EXPECT_TRUE(
        agree_on_limit(question_for_a_name_of(255), question_for_a_name_of(256), "name longer than 255 octets"));
}

// Two questions: a 193-octet name, then a label of `label` octets and a pointer to that name.
Bytes name_through_a_pointer_with_a_label_of(std::uint8_t label) {
    Bytes packet = header(2, 0);
    for (int i = 0; i < 3; ++i) {
        packet.push_back(63);
        packet.insert(packet.end(), 63, 'a');
    }
    packet.insert(packet.end(), {0, 0, 1, 0, 1});
    packet.push_back(label);
    packet.insert(packet.end(), label, 'b');
    append_pointer(packet, 12);
    packet.insert(packet.end(), {0, 1, 0, 1});
    return packet;
}

TEST(MessageView, AgreesOnNamesThatPassTheLimitThroughAPointer) {
    EXPECT_TRUE(agree_on_limit(name_through_a_pointer_with_a_label_of(61),  // 62 + 193 = 255 octets
                               name_through_a_pointer_with_a_label_of(62), "name longer than 255 octets"));
}

// An answer whose owner name takes `hops` pointers to reach the root: the first aims at a chain
// of pointers kept in the RDATA of a record of unknown type, each aiming at the one before.
Bytes answer_through_pointers(int hops) {
    Bytes packet = header(1, 2);
    packet.insert(packet.end(), {0, 0, 1, 0, 1});  // 12: the question, for the root
    const auto chain_length = static_cast<std::uint16_t>(2 * (hops - 1));
    packet.insert(packet.end(), {0, 0, 99, 0, 1, 0, 0, 0, 0});  // 17: an unknown type ...
    packet.insert(packet.end(),
                  {static_cast<std::uint8_t>(chain_length >> 8), static_cast<std::uint8_t>(chain_length)});
    std::size_t previous = 12;
    for (int i = 0; i < hops - 1; ++i) {  // 28: ... holding the chain
        const std::size_t at = packet.size();
        append_pointer(packet, previous);
        previous = at;
    }
    append_pointer(packet, previous);
    packet.insert(packet.end(), {0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 127, 0, 0, 1});  // type A
    return packet;
}

TEST(MessageView, AgreesOn127And128PointerHops) {
    EXPECT_TRUE(
        agree_on_limit(answer_through_pointers(127), answer_through_pointers(128), "too many compression pointers"));
}

// The same hops, counted through a name the view has checked before: the A record's owner
// above, given a label first, takes `hops` - 1 of them, and a second A record's owner is a
// pointer to it.
Bytes second_answer_through_pointers(int hops) {
    Bytes packet = answer_through_pointers(hops - 1);
    packet[7] = 3;                                 // answers
    packet.insert(packet.end() - 16, {1, 'a'});    // before its pointer, 10 octets and the address
    const std::size_t first_owner = packet.size() - 18;
    append_pointer(packet, first_owner);
    packet.insert(packet.end(), {0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 127, 0, 0, 2});
    return packet;
}

TEST(MessageView, AgreesOnPointerHopsThroughANameCheckedBefore) {
    EXPECT_TRUE(agree_on_limit(second_answer_through_pointers(127), second_answer_through_pointers(128),
                               "too many compression pointers"));
}

// TXT records for the root, each of strings of 't', that make `packet` `size` octets long.
// Returns how many.
std::uint8_t pad_with_txt_records(Bytes& packet, std::size_t size) {
    std::uint8_t records = 0;
    for (; packet.size() < size; ++records) {
        const std::size_t rdata = std::min<std::size_t>(size - packet.size() - 11, 60'000);  // after 11 octets
        packet.insert(packet.end(), {0, 0, 16, 0, 1, 0, 0, 0, 0, static_cast<std::uint8_t>(rdata >> 8),
                                     static_cast<std::uint8_t>(rdata)});
        for (std::size_t left = rdata; left > 0;) {  // RFC 1035 3.3.14: strings of up to 255 octets
            const std::size_t string = std::min<std::size_t>(left, 256) - 1;
            packet.push_back(static_cast<std::uint8_t>(string));
            packet.insert(packet.end(), string, 't');
            left -= string + 1;
        }
    }
    return records;
}

// The view remembers where the names it has checked start, in 16 bits, as far as pointers
// reach (16 KB): a name at 64 KB + 14 must not be taken for the one at 14. The question's name
// "q" ends with the root at 14; TXT records pad the packet (larger than a DNS message can be,
// but a caller can hand one over) up to a 255-octet owner name; then an owner of one label
// and a pointer to 14 is 3 octets, where the far name would make it 257.
TEST(MessageView, AgreesOnANamePastWherePointersReach) {
    Bytes packet = header(1, 0);
    packet.insert(packet.end(), {1, 'q', 0, 0, 1, 0, 1});
    const std::uint8_t padding = pad_with_txt_records(packet, 0x10000 + 14);
    ASSERT_EQ(packet.size(), 0x10000u + 14);
    append_name_of(packet, 255);
    packet.insert(packet.end(), {0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 127, 0, 0, 1});
    packet.insert(packet.end(), {1, 'x'});
    append_pointer(packet, 14);
    packet.insert(packet.end(), {0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 127, 0, 0, 2});
    packet[7] = padding + 2;  // answers
    EXPECT_EQ(parse_error(packet), "accepted");
    EXPECT_TRUE(agree(packet));
}

}  // namespace
