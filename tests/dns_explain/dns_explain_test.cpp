// Chapter 12's text forms: records printed the way dig prints them, and the annotated dump
// of `mxlookup --explain`, on the captured packets of tests/dns/packets/, which are themselves
// written in that form.

#include "dns_explain.hpp"
#include "dns_message.hpp"
#include "dns_text.hpp"
#include "dns/packets.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace {

using Bytes = std::vector<std::uint8_t>;

dns::Message parsed(std::span<const std::uint8_t> wire) {
    auto result = dns::parse_message(wire);
    if (const auto* error = std::get_if<dns::ParseError>(&result)) {
        ADD_FAILURE() << "parse error: " << error->what << " at offset " << error->offset;
        return {};
    }
    return std::get<dns::Message>(std::move(result));
}

// ---- Records as text ----------------------------------------------------------------------

// Each record as text equals the line `dig +noall +answer` printed for it, give or take
// whitespace.
TEST(Captured, RecordsPrintLikeDig) {
    auto words = [](const std::string& line) {
        std::istringstream in(line);
        std::vector<std::string> result;
        for (std::string word; in >> word;) {
            result.push_back(word);
        }
        return result;
    };
    const std::pair<std::span<const std::uint8_t>, std::vector<std::string>> cases[] = {
        {dns::packets::packet("mx_two_hosts"),
         {"example.test.\t\t0\tIN\tMX\t20 mx2.example.test.", "example.test.\t\t0\tIN\tMX\t10 mx1.example.test."}},
        {dns::packets::packet("aaaa_record"), {"mx2.example.test.\t0\tIN\tAAAA\t::1"}},
        {dns::packets::packet("cname_then_a"),
         {"alias.example.test.\t0\tIN\tCNAME\tmx1.example.test.", "mx1.example.test.\t0\tIN\tA\t127.0.0.2"}},
        {dns::packets::packet("txt_two_strings"), {"txt.test.\t\t0\tIN\tTXT\t\"v=spf1 -all\" \"second string\""}},
        {dns::packets::packet("null_mx"), {"nullmx.test.\t\t0\tIN\tMX\t0 ."}},
        {dns::packets::packet("unknown_type"), {"raw.test.\t\t0\tIN\tTYPE65534 \\# 4 0A000001"}},
        {dns::packets::packet("soa_with_ns"),
         {"auth.test.\t\t600\tIN\tSOA\tns.auth.test. hostmaster.ns.auth.test. 1795635680 1200 180 1209600 600"}},
    };
    for (const auto& [packet, dig_lines] : cases) {
        const auto message = parsed(packet);
        ASSERT_EQ(message.answers.size(), dig_lines.size());
        for (std::size_t i = 0; i < dig_lines.size(); ++i) {
            EXPECT_EQ(words(dns::to_text(message.answers[i])), words(dig_lines[i]));
        }
    }
}

TEST(Captured, AdditionalRecordsAsText) {
    const auto message = parsed(dns::packets::packet("mx_two_hosts"));
    ASSERT_EQ(message.additional.size(), 4u);
    EXPECT_EQ(dns::to_text(message.additional[0]), "mx2.example.test.\t0\tIN\tA\t127.0.0.3");
    EXPECT_EQ(dns::to_text(message.additional[1]), "mx2.example.test.\t0\tIN\tAAAA\t::1");
    EXPECT_EQ(dns::to_text(message.additional[2]), "mx1.example.test.\t0\tIN\tA\t127.0.0.2");
}

TEST(Text, TypesClassesAndRcodesByNameOrNumber) {
    EXPECT_EQ(dns::to_string(dns::Type::MX), "MX");
    EXPECT_EQ(dns::to_string(static_cast<dns::Type>(65534)), "TYPE65534");  // RFC 3597 5
    EXPECT_EQ(dns::class_to_string(dns::class_in), "IN");
    EXPECT_EQ(dns::class_to_string(254), "CLASS254");
    EXPECT_EQ(dns::to_string(dns::Rcode::NXDOMAIN), "NXDOMAIN");
    EXPECT_EQ(dns::to_string(static_cast<dns::Rcode>(11)), "RCODE11");
    EXPECT_EQ(dns::type_from_string("aaaa"), dns::Type::AAAA);
    EXPECT_EQ(dns::type_from_string("BOGUS"), std::nullopt);
}

// ---- The annotated dump ------------------------------------------------------------------

TEST(Explain, NamesFieldsLabelsAndPointers) {
    const std::string text = dns::explain(dns::packets::packet("mx_two_hosts"));
    for (const char* expected : {"flags: QR=1 response, OPCODE=0 QUERY, AA=1, TC=0, RD=1, RA=1, Z=0, RCODE=0 NOERROR",
                                 "ANCOUNT 2", "pointer to 000c: example.test.", "label mx2", "preference 10",
                                 "end of name mx1.example.test.", "address ::1", "UDP payload size 1232"}) {
        EXPECT_NE(text.find(expected), std::string::npos) << expected;
    }
}

TEST(Explain, ShowsEveryOctetOnceInOrder) {
    for (const auto& [label, packet] : dns::packets::all()) {
        std::istringstream lines(dns::explain(packet));
        std::size_t next = 0;
        for (std::string line; std::getline(lines, line);) {
            if (line.starts_with("      ;;")) {
                continue;  // a section heading
            }
            ASSERT_EQ(std::stoul(line.substr(0, 4), nullptr, 16), next) << label << ": " << line;
            std::istringstream octets(line.substr(6, 24));
            for (std::string octet; octets >> octet; ++next) {
                ASSERT_LT(next, packet.size()) << label;
                ASSERT_EQ(std::stoul(octet, nullptr, 16), packet[next]) << label << ": " << line;
            }
        }
        EXPECT_EQ(next, packet.size()) << label;
    }
}

TEST(Explain, MalformedPacketShowsItsError) {
    const Bytes packet{0x12, 0x34, 0x81};
    EXPECT_EQ(dns::explain(packet),
              "0000  12 34 81\n;; not a valid DNS message: truncated flags at offset 2 (0x0002)\n");
}

// Each fixture is a ";; N octets" heading and the dump of its octets, word for word: what a
// student reads in tests/dns/packets/ is what explain() prints. A freshly captured fixture
// (rows without notes) fails here, and the message holds the text to paste in.
TEST(Explain, EachFixtureIsTheDumpOfItsOctets) {
    ASSERT_GE(dns::packets::all().size(), 12u);
    for (const auto& [label, packet] : dns::packets::all()) {
        std::ifstream file(dns::packets::directory / (label + ".txt"));
        std::string shown;
        for (std::string line; std::getline(file, line);) {
            if (!line.starts_with('#')) {
                shown += line + '\n';
            }
        }
        const std::string expected = ";; " + std::to_string(packet.size()) + " octets\n" + dns::explain(packet);
        EXPECT_EQ(shown, expected) << label << ".txt should read, after its # lines:\n" << expected;
    }
}

}  // namespace
