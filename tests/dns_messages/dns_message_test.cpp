// Chapter 11's DNS messages: the header, questions and records parsed from packets captured
// from dnsmasq and dig (tests/dns/packets/*.txt), hand-made hostile messages, and queries built
// and parsed back.

#include "dns_message.hpp"
#include "dns/packets.hpp"

#include <gtest/gtest.h>

#include <set>

namespace dns {

void PrintTo(const ParseError& error, std::ostream* out) {
    *out << '"' << error.what << "\" at offset " << error.offset;
}

}  // namespace dns

namespace {

using Bytes = std::vector<std::uint8_t>;
using dns::ParseError;
using dns::Type;

dns::Name name(std::string_view text) {
    return dns::Name::from_text(text).value();
}

dns::Message parsed(std::span<const std::uint8_t> wire) {
    auto result = dns::parse_message(wire);
    if (const auto* error = std::get_if<ParseError>(&result)) {
        ADD_FAILURE() << "parse error: " << error->what << " at offset " << error->offset;
        return {};
    }
    return std::get<dns::Message>(std::move(result));
}

ParseError parse_error(std::span<const std::uint8_t> wire) {
    const auto result = dns::parse_message(wire);
    if (const auto* error = std::get_if<ParseError>(&result)) {
        return *error;
    }
    ADD_FAILURE() << "a malformed packet was accepted";
    return {};
}

// A response header: ID 0x1234, QR set, then the four section counts.
Bytes header(std::uint16_t questions, std::uint16_t answers = 0, std::uint16_t authority = 0,
             std::uint16_t additional = 0) {
    Bytes out{0x12, 0x34, 0x80, 0x00};
    for (const std::uint16_t count : {questions, answers, authority, additional}) {
        dns::put_u16(out, count);
    }
    return out;
}

void append(Bytes& out, std::initializer_list<std::uint8_t> octets) {
    out.insert(out.end(), octets);
}

Bytes copy_of(std::span<const std::uint8_t> packet) {
    return {packet.begin(), packet.end()};
}

// ---- RFC 1035 4.1.4: a name that ends in a pointer, in a whole message ------------------

TEST(Compression, PointerToANameThatEndsInAPointer) {
    Bytes packet = header(1, 1, 0, 1);
    append(packet, {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0, 0, 15, 0, 1});  // 12: question
    append(packet, {0xC0, 12, 0, 15, 0, 1, 0, 0, 0, 60, 0, 8});                                     // 30: MX record
    append(packet, {0, 10, 3, 'm', 'x', '1', 0xC0, 12});                    // 42: 10, at 44 "mx1" + pointer
    append(packet, {0xC0, 44, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 2});  // 50: name = pointer to 44

    const auto message = parsed(packet);
    ASSERT_EQ(message.additional.size(), 1u);
    EXPECT_EQ(message.additional[0].name.to_text(), "mx1.example.test.");
    EXPECT_EQ(std::get<dns::rdata::A>(message.additional[0].data).address.to_string(), "127.0.0.2");

    dns::Reader in(packet, 50, packet.size());
    EXPECT_EQ(dns::read_name(in), name("mx1.example.test"));
    EXPECT_EQ(in.offset(), 52u);  // the name ends, in place, after its first pointer
}

// ---- Packets captured from dnsmasq and dig (tests/dns/packets/) -------------------------

TEST(Captured, DigQueryWithEdnsCookie) {
    const auto message = parsed(dns::packets::packet("dig_mx_query"));
    EXPECT_FALSE(message.header.qr);
    EXPECT_TRUE(message.header.rd);
    EXPECT_EQ(message.header.z, 2);  // dig sets the AD bit (RFC 6840 5.7)
    ASSERT_EQ(message.questions.size(), 1u);
    EXPECT_EQ(message.questions[0], (dns::Question{name("example.test"), Type::MX, dns::class_in}));
    ASSERT_EQ(message.additional.size(), 1u);
    const auto& opt = message.additional[0];
    EXPECT_EQ(opt.type, Type::OPT);
    EXPECT_EQ(opt.klass, 1232);
    const auto& options = std::get<dns::rdata::Opt>(opt.data).options;
    ASSERT_EQ(options.size(), 1u);
    EXPECT_EQ(options[0].code, 10);  // COOKIE, RFC 7873
    EXPECT_EQ(options[0].data.size(), 8u);
}

TEST(Captured, TwoMxRecordsWithAdditionalAddresses) {
    const auto message = parsed(dns::packets::packet("mx_two_hosts"));
    EXPECT_EQ(message.header.id, 0x1001);
    EXPECT_TRUE(message.header.qr && message.header.aa && message.header.rd && message.header.ra);
    EXPECT_FALSE(message.header.tc);
    EXPECT_EQ(message.header.rcode, dns::Rcode::NOERROR);
    ASSERT_EQ(message.answers.size(), 2u);
    EXPECT_EQ(message.answers[0].name, name("example.test"));
    EXPECT_EQ(std::get<dns::rdata::Mx>(message.answers[0].data), (dns::rdata::Mx{20, name("mx2.example.test")}));
    EXPECT_EQ(std::get<dns::rdata::Mx>(message.answers[1].data), (dns::rdata::Mx{10, name("mx1.example.test")}));
    ASSERT_EQ(message.additional.size(), 4u);
    EXPECT_EQ(message.additional[0].name, name("mx2.example.test"));
    EXPECT_EQ(std::get<dns::rdata::A>(message.additional[0].data).address.to_string(), "127.0.0.3");
    EXPECT_EQ(std::get<dns::rdata::Aaaa>(message.additional[1].data).address.to_string(), "::1");
    EXPECT_EQ(message.additional[2].name, name("mx1.example.test"));
    EXPECT_EQ(std::get<dns::rdata::A>(message.additional[2].data).address.to_string(), "127.0.0.2");
    EXPECT_EQ(message.additional[3].type, Type::OPT);
}

TEST(Captured, AddressRecords) {
    const auto a = parsed(dns::packets::packet("a_record"));
    ASSERT_EQ(a.answers.size(), 1u);
    EXPECT_EQ(std::get<dns::rdata::A>(a.answers[0].data).address, asio::ip::make_address_v4("127.0.0.2"));

    const auto aaaa = parsed(dns::packets::packet("aaaa_record"));
    ASSERT_EQ(aaaa.answers.size(), 1u);
    EXPECT_EQ(std::get<dns::rdata::Aaaa>(aaaa.answers[0].data).address, asio::ip::address_v6::loopback());
}

TEST(Captured, CnameThenItsTarget) {
    const auto message = parsed(dns::packets::packet("cname_then_a"));
    ASSERT_EQ(message.answers.size(), 2u);
    EXPECT_EQ(message.answers[0].type, Type::CNAME);
    EXPECT_EQ(std::get<dns::rdata::Cname>(message.answers[0].data).target, name("mx1.example.test"));
    EXPECT_EQ(message.answers[1].name, name("mx1.example.test"));
    EXPECT_EQ(message.answers[1].type, Type::A);
}

TEST(Captured, TxtWithTwoStrings) {
    const auto message = parsed(dns::packets::packet("txt_two_strings"));
    ASSERT_EQ(message.answers.size(), 1u);
    EXPECT_EQ(std::get<dns::rdata::Txt>(message.answers[0].data).strings,
              (std::vector<std::string>{"v=spf1 -all", "second string"}));
}

TEST(Captured, NullMx) {
    const auto message = parsed(dns::packets::packet("null_mx"));
    ASSERT_EQ(message.answers.size(), 1u);
    const auto& mx = std::get<dns::rdata::Mx>(message.answers[0].data);
    EXPECT_EQ(mx.preference, 0);
    EXPECT_TRUE(mx.exchange.is_root());
}

TEST(Captured, NoDataAndNxDomain) {
    const auto no_data = parsed(dns::packets::packet("no_data"));
    EXPECT_EQ(no_data.header.rcode, dns::Rcode::NOERROR);
    EXPECT_TRUE(no_data.answers.empty());
    const auto nxdomain = parsed(dns::packets::packet("nxdomain"));
    EXPECT_EQ(nxdomain.header.rcode, dns::Rcode::NXDOMAIN);
    EXPECT_TRUE(nxdomain.answers.empty());
}

TEST(Captured, UnknownTypeIsKeptRaw) {
    const auto message = parsed(dns::packets::packet("unknown_type"));
    ASSERT_EQ(message.answers.size(), 1u);
    EXPECT_EQ(static_cast<unsigned>(message.answers[0].type), 65534u);
    EXPECT_EQ(std::get<dns::rdata::Raw>(message.answers[0].data).bytes, (Bytes{0x0A, 0x00, 0x00, 0x01}));
}

TEST(Captured, SoaWithNsInTheAuthoritySection) {
    const auto message = parsed(dns::packets::packet("soa_with_ns"));
    ASSERT_EQ(message.answers.size(), 1u);
    const auto& soa = std::get<dns::rdata::Soa>(message.answers[0].data);
    EXPECT_EQ(soa.mname, name("ns.auth.test"));
    EXPECT_EQ(soa.rname, name("hostmaster.ns.auth.test"));
    EXPECT_EQ(soa.serial, 1795635680u);
    EXPECT_EQ(soa.refresh, 1200u);
    EXPECT_EQ(soa.retry, 180u);
    EXPECT_EQ(soa.expire, 1209600u);
    EXPECT_EQ(soa.minimum, 600u);
    ASSERT_EQ(message.authority.size(), 1u);
    EXPECT_EQ(std::get<dns::rdata::Ns>(message.authority[0].data).host, name("ns.auth.test"));
}

TEST(Captured, TruncatedUdpResponse) {
    const auto message = parsed(dns::packets::packet("big_txt_truncated"));
    EXPECT_TRUE(message.header.tc);
    EXPECT_TRUE(message.answers.empty());
}

// ---- Hostile messages: each gives an error naming the problem and its offset ------------

TEST(Hostile, EmptyPacket) {
    EXPECT_EQ(parse_error(Bytes{}), (ParseError{"truncated ID", 0}));
}

TEST(Hostile, TruncatedHeader) {
    const Bytes packet{0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00};
    EXPECT_EQ(parse_error(packet), (ParseError{"truncated ANCOUNT", 6}));
}

TEST(Hostile, QuestionCountLargerThanTheData) {
    EXPECT_EQ(parse_error(header(1)), (ParseError{"QDCOUNT is 1 but the message ends after 0", 12}));
}

TEST(Hostile, AnswerCountLargerThanTheData) {
    Bytes packet = copy_of(dns::packets::packet("a_record"));
    packet.resize(50);  // header, question, answer: without the OPT record
    packet[7] = 2;      // ANCOUNT
    packet[11] = 0;     // ARCOUNT
    EXPECT_EQ(parse_error(packet), (ParseError{"ANCOUNT is 2 but the message ends after 1", 50}));
}

TEST(Hostile, AdditionalCountLargerThanTheData) {
    Bytes packet = copy_of(dns::packets::packet("mx_two_hosts"));
    packet.resize(packet.size() - 11);  // without the OPT record
    EXPECT_EQ(parse_error(packet), (ParseError{"ARCOUNT is 4 but the message ends after 3", packet.size()}));
}

TEST(Hostile, RdlengthPastTheEnd) {
    Bytes packet = copy_of(dns::packets::packet("a_record"));
    packet[45] = 0xFF;  // RDLENGTH at 44
    EXPECT_EQ(parse_error(packet), (ParseError{"RDLENGTH runs past the end of the message", 44}));
}

TEST(Hostile, RdataTooShortForItsType) {
    Bytes packet = copy_of(dns::packets::packet("a_record"));
    packet[45] = 3;  // an A record with three octets of address
    EXPECT_EQ(parse_error(packet), (ParseError{"truncated A address", 46}));
}

TEST(Hostile, RdataLongerThanItsFields) {
    Bytes packet = copy_of(dns::packets::packet("a_record"));
    packet[45] = 5;
    EXPECT_EQ(parse_error(packet), (ParseError{"RDATA longer than its fields", 50}));
}

TEST(Hostile, NameInRdataCannotRunPastRdlength) {
    Bytes packet = header(1, 1);
    append(packet, {1, 'a', 0, 0, 15, 0, 1});                     // 12: question a. MX
    append(packet, {0xC0, 12, 0, 15, 0, 1, 0, 0, 0, 60, 0, 4});   // 19: RDLENGTH 4 ...
    append(packet, {0, 10, 3, 'm', 'x', '1', 0});                 // 31: ... but the name needs 5
    EXPECT_EQ(parse_error(packet), (ParseError{"label runs past the end", 33}));
}

TEST(Hostile, TxtStringPastRdlength) {
    Bytes packet = header(1, 1);
    append(packet, {1, 'a', 0, 0, 16, 0, 1});
    append(packet, {0xC0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, 3});
    append(packet, {10, 'h', 'i', 'x', 'y'});
    EXPECT_EQ(parse_error(packet), (ParseError{"truncated TXT string", 32}));
}

TEST(Hostile, EveryCutOfARealPacketIsAnError) {
    for (const auto& [label, packet] : dns::packets::all()) {
        for (std::size_t size = 0; size < packet.size(); ++size) {
            const auto result = dns::parse_message(packet.first(size));
            const auto* error = std::get_if<ParseError>(&result);
            ASSERT_NE(error, nullptr) << label << " cut to " << size;
            EXPECT_LE(error->offset, size) << label;
        }
    }
}

// ---- Building, and round trips through the parser ------------------------------------

TEST(Build, QueryOnTheWire) {
    auto query = dns::build_query(name("example.test"), Type::MX);
    query.header.id = 0x1234;
    const Bytes expected{
        0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1,                     // ID, RD, 1 question, 1 additional
        7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0, 0, 15, 0, 1,  // example.test. MX IN
        0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0,                            // OPT: ., 1232 octets, no options
    };
    EXPECT_EQ(dns::encode(query), expected);
}

TEST(Build, QueryWithoutEdns) {
    const auto query = dns::build_query(name("example.test"), Type::A, false);
    EXPECT_TRUE(query.additional.empty());
    EXPECT_EQ(parsed(dns::encode(query)), query);
}

TEST(Build, QueryIdsAreRandom) {
    std::set<std::uint16_t> ids;
    for (int i = 0; i < 20; ++i) {
        ids.insert(dns::build_query(name("example.test"), Type::A).header.id);
    }
    EXPECT_GT(ids.size(), 10u);
}

TEST(Build, EveryRecordTypeRoundTrips) {
    dns::Message message;
    message.header = {0xBEEF, true, 2, true, true, true, true, 7, dns::Rcode::REFUSED};
    message.questions.push_back({name("Example.TEST"), Type::MX, dns::class_in});
    auto add = [&](std::vector<dns::Record>& section, Type type, dns::Rdata data) {
        section.push_back({name("example.test"), type, dns::class_in, 3600, std::move(data)});
    };
    add(message.answers, Type::A, dns::rdata::A{asio::ip::make_address_v4("127.0.0.2")});
    add(message.answers, Type::AAAA, dns::rdata::Aaaa{asio::ip::make_address_v6("2001:db8::1")});
    add(message.answers, Type::MX, dns::rdata::Mx{10, name("mx1.example.test")});
    add(message.answers, Type::CNAME, dns::rdata::Cname{name("target.test")});
    add(message.answers, Type::TXT, dns::rdata::Txt{{"v=spf1 -all", "", std::string(255, 'x')}});
    add(message.authority, Type::NS, dns::rdata::Ns{name("ns.example.test")});
    add(message.authority, Type::SOA, dns::rdata::Soa{name("ns.test"), name("a\\.b.test"), 1, 2, 3, 4, 5});
    add(message.additional, static_cast<Type>(99), dns::rdata::Raw{{1, 2, 3}});
    message.additional.push_back({dns::Name(), Type::OPT, 4096, 0x8000, dns::rdata::Opt{{{10, {1, 2, 3, 4}}}}});
    EXPECT_EQ(parsed(dns::encode(message)), message);
}

TEST(Build, CapturedPacketsSurviveParseEncodeParse) {
    for (const auto& [label, packet] : dns::packets::all()) {
        const auto message = parsed(packet);
        EXPECT_EQ(parsed(dns::encode(message)), message) << label;
    }
}

}  // namespace
