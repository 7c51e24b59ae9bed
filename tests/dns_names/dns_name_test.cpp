// Chapter 10's DNS wire format and domain names: big-endian fields read with bounds, names
// from text and on the wire, the RFC 1035 4.1.4 compression example, and hand-made hostile
// names. Each name starts after twelve octets, where a message's header goes (chapter 11).

#include "dns_name.hpp"
#include "dns_wire.hpp"

#include <gtest/gtest.h>

namespace dns {

void PrintTo(const ParseError& error, std::ostream* out) {
    *out << '"' << error.what << "\" at offset " << error.offset;
}

}  // namespace dns

namespace {

using Bytes = std::vector<std::uint8_t>;
using dns::ParseError;

dns::Name name(std::string_view text) {
    return dns::Name::from_text(text).value();
}

// Twelve octets standing where a DNS message's header would be.
Bytes header() {
    return Bytes(12, 0);
}

void append(Bytes& out, std::initializer_list<std::uint8_t> octets) {
    out.insert(out.end(), octets);
}

void append_label(Bytes& out, std::size_t length, char fill = 'a') {
    out.push_back(static_cast<std::uint8_t>(length));
    out.insert(out.end(), length, static_cast<std::uint8_t>(fill));
}

// Why read_name rejects the name at `offset` of `packet`.
ParseError name_error(const Bytes& packet, std::size_t offset = 12) {
    dns::Reader in(packet, offset, packet.size());
    const dns::Name read = dns::read_name(in);
    if (in.ok()) {
        ADD_FAILURE() << "a malformed name was accepted: " << read.to_text();
        return {};
    }
    EXPECT_TRUE(read.is_root()) << "a rejected name reads as the root";
    return in.error();
}

// ---- The wire format: big-endian fields (RFC 1035 2.3.2), every read bounds-checked ------

TEST(Wire, ReadsBigEndianFields) {
    const Bytes octets{0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 0x07};
    dns::Reader in(octets);
    EXPECT_EQ(in.u16("ID"), 0x1234);
    EXPECT_EQ(in.u32("TTL"), 0xDEADBEEFu);
    EXPECT_EQ(in.u8("length"), 7);
    EXPECT_TRUE(in.ok());
    EXPECT_EQ(in.remaining(), 0u);
}

TEST(Wire, AReadPastTheEndFailsOnceAndLaterReadsGiveZeros) {
    const Bytes octets{0x12, 0x34, 0x56};
    dns::Reader in(octets);
    EXPECT_EQ(in.u16("ID"), 0x1234);
    EXPECT_EQ(in.u16("flags"), 0);  // one octet left: not enough
    EXPECT_EQ(in.u8("length"), 0);  // after a failure, every read gives zeros
    ASSERT_FALSE(in.ok());
    EXPECT_EQ(in.error(), (ParseError{"truncated flags", 2}));  // the first error is kept
}

TEST(Wire, AReaderStopsAtItsEndNotTheMessages) {
    const Bytes octets{1, 2, 3, 4};
    dns::Reader in(octets, 1, 3);
    EXPECT_EQ(in.u16("field"), 0x0203);
    EXPECT_TRUE(in.bytes(1, "RDATA").empty());
    EXPECT_FALSE(in.ok());
}

TEST(Wire, WritesBigEndianFields) {
    Bytes out;
    dns::put_u8(out, 7);
    dns::put_u16(out, 0x1234);
    dns::put_u32(out, 0xDEADBEEF);
    EXPECT_EQ(out, (Bytes{0x07, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF}));
}

// ---- Names ---------------------------------------------------------------------------

TEST(Name, TextWithOrWithoutTheFinalDot) {
    const auto relative = dns::Name::from_text("mx1.example.test");
    const auto absolute = dns::Name::from_text("mx1.example.test.");
    ASSERT_TRUE(relative && absolute);
    EXPECT_EQ(relative->labels(), (std::vector<std::string>{"mx1", "example", "test"}));
    EXPECT_EQ(*relative, *absolute);
    EXPECT_EQ(relative->to_text(), "mx1.example.test.");
    EXPECT_EQ(relative->wire_length(), 18u);
}

TEST(Name, ComparesCaseInsensitively) {
    EXPECT_EQ(name("EXAMPLE.Test"), name("example.test"));
    EXPECT_FALSE(name("example.test") == name("example.org"));
    EXPECT_FALSE(name("example.test") == name("test"));
}

TEST(Name, Root) {
    const auto root = name(".");
    EXPECT_TRUE(root.is_root());
    EXPECT_EQ(root.to_text(), ".");
    EXPECT_EQ(root.wire_length(), 1u);
    EXPECT_EQ(root, dns::Name());
}

TEST(Name, RejectsInvalidText) {
    for (const std::string text : {"", "a..b", ".a", "a\\", "\\256.test", "\\12", "\\1x2.test"}) {
        EXPECT_FALSE(dns::Name::from_text(text)) << text;
    }
}

TEST(Name, LengthLimits) {
    // RFC 1035 2.3.4: labels of 63 octets, names of 255 octets on the wire
    const std::string l63(63, 'a');
    EXPECT_TRUE(dns::Name::from_text(l63 + ".test"));
    EXPECT_FALSE(dns::Name::from_text(l63 + "a.test"));
    const std::string name255 = l63 + '.' + l63 + '.' + l63 + '.' + std::string(61, 'b');
    ASSERT_TRUE(dns::Name::from_text(name255));
    EXPECT_EQ(dns::Name::from_text(name255)->wire_length(), 255u);
    EXPECT_FALSE(dns::Name::from_text(name255 + "b"));
}

TEST(Name, Escapes) {
    const auto dotted = name("a\\.b.test");
    EXPECT_EQ(dotted.labels(), (std::vector<std::string>{"a.b", "test"}));
    EXPECT_EQ(dotted.to_text(), "a\\.b.test.");
    const auto spaced = name("sp\\032ace.test");
    EXPECT_EQ(spaced.labels().front(), "sp ace");
    EXPECT_EQ(spaced.to_text(), "sp\\032ace.test.");
    EXPECT_EQ(name(spaced.to_text()), spaced);
}

TEST(Name, WritesLengthPrefixedLabelsAndReadsThemBack) {
    Bytes wire;
    dns::write_name(wire, name("mx1.Example.test"));
    EXPECT_EQ(wire, (Bytes{3, 'm', 'x', '1', 7, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0}));
    dns::Reader in(wire);
    EXPECT_EQ(dns::read_name(in).to_text(), "mx1.Example.test.");
    EXPECT_TRUE(in.ok());
    EXPECT_EQ(in.remaining(), 0u);
}

// ---- RFC 1035 4.1.4: the compression example ----------------------------------------

TEST(Compression, Rfc1035Example) {
    // F.ISI.ARPA at 20, FOO.F.ISI.ARPA at 40, ARPA at 64, the root at 92.
    Bytes message(93, 0);
    const Bytes f_isi_arpa{1, 'F', 3, 'I', 'S', 'I', 4, 'A', 'R', 'P', 'A', 0};
    std::copy(f_isi_arpa.begin(), f_isi_arpa.end(), message.begin() + 20);
    const Bytes foo{3, 'F', 'O', 'O', 0xC0, 20};
    std::copy(foo.begin(), foo.end(), message.begin() + 40);
    message[64] = 0xC0;
    message[65] = 26;

    const std::pair<std::size_t, std::pair<const char*, std::size_t>> expected[] = {
        {20, {"F.ISI.ARPA.", 32}}, {40, {"FOO.F.ISI.ARPA.", 46}}, {64, {"ARPA.", 66}}, {92, {".", 93}}};
    for (const auto& [offset, result] : expected) {
        dns::Reader in(message, offset, message.size());
        EXPECT_EQ(dns::read_name(in).to_text(), result.first);
        EXPECT_TRUE(in.ok());
        EXPECT_EQ(in.offset(), result.second);
    }
}

TEST(Compression, PointerToANameThatEndsInAPointer) {
    Bytes packet = header();
    append(packet, {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0});  // 12: example.test
    append(packet, {3, 'm', 'x', '1', 0xC0, 12});                                    // 26: mx1 + pointer
    append(packet, {0xC0, 26});                                                      // 32: pointer to 26

    dns::Reader in(packet, 32, packet.size());
    EXPECT_EQ(dns::read_name(in), name("mx1.example.test"));
    EXPECT_TRUE(in.ok());
    EXPECT_EQ(in.offset(), 34u);  // the name ends, in place, after its first pointer
}

// ---- Hostile names: each gives an error naming the problem and its offset -------------

TEST(Hostile, LabelLongerThan63) {
    for (const std::uint8_t length : {0x40, 0x80}) {  // 64, and the reserved prefix 10
        Bytes packet = header();
        append(packet, {length});
        packet.insert(packet.end(), 70, 'a');
        EXPECT_EQ(name_error(packet), (ParseError{"label longer than 63 octets", 12}));
    }
}

TEST(Hostile, NameLongerThan255) {
    Bytes packet = header();
    for (int i = 0; i < 4; ++i) {
        append_label(packet, 63);  // 4 * 64 + 1 = 257 octets
    }
    append(packet, {0, 0, 1, 0, 1});
    EXPECT_EQ(name_error(packet), (ParseError{"name longer than 255 octets", 12 + 3 * 64}));
}

TEST(Hostile, NameLongerThan255ThroughAPointer) {
    Bytes packet = header();
    for (int i = 0; i < 3; ++i) {
        append_label(packet, 63);  // 193 octets: a valid name at 12
    }
    append(packet, {0, 0, 1, 0, 1});
    append_label(packet, 63);
    append(packet, {0xC0, 12, 0, 1, 0, 1});  // 64 + 193 = 257 octets
    EXPECT_EQ(name_error(packet, 12 + 193 + 4), (ParseError{"name longer than 255 octets", 12 + 2 * 64}));
}

TEST(Hostile, ForwardPointer) {
    Bytes packet = header();
    append(packet, {0xC0, 20, 0, 1, 0, 1, 0, 0, 0});
    append(packet, {1, 'a', 0});
    EXPECT_EQ(name_error(packet), (ParseError{"forward compression pointer", 12}));
}

TEST(Hostile, PointerToItself) {
    Bytes packet = header();
    append(packet, {0xC0, 12, 0, 1, 0, 1});
    EXPECT_EQ(name_error(packet), (ParseError{"compression pointer loop", 12}));
}

TEST(Hostile, PointerLoopThroughALabel) {
    Bytes packet = header();
    append(packet, {1, 'a', 0xC0, 12, 0, 1, 0, 1});  // a.a.a.a...
    EXPECT_EQ(name_error(packet), (ParseError{"compression pointer loop", 14}));
}

TEST(Hostile, PointerPastTheEnd) {
    Bytes packet = header();
    append(packet, {0xC0, 0xFF, 0, 1, 0, 1});
    EXPECT_EQ(name_error(packet), (ParseError{"compression pointer past the end of the message", 12}));
}

TEST(Hostile, TruncatedPointer) {
    Bytes packet = header();
    append(packet, {0xC0});
    EXPECT_EQ(name_error(packet), (ParseError{"truncated compression pointer", 12}));
}

TEST(Hostile, LabelPastTheEnd) {
    Bytes packet = header();
    append(packet, {5, 'a', 'b'});
    EXPECT_EQ(name_error(packet), (ParseError{"label runs past the end", 12}));
}

TEST(Hostile, NameWithoutItsFinalZero) {
    Bytes packet = header();
    append(packet, {1, 'a'});
    EXPECT_EQ(name_error(packet), (ParseError{"name runs past the end", 14}));
}

TEST(Hostile, TooManyPointerHops) {
    // The root name at 0, then pointers each aiming at the one before: legal one by one,
    // but following 128 of them is more than any name needs.
    Bytes message{0};
    for (int hop = 0; hop < 128; ++hop) {
        const std::size_t target = hop == 0 ? 0 : message.size() - 2;
        append(message, {static_cast<std::uint8_t>(0xC0 | target >> 8), static_cast<std::uint8_t>(target)});
    }
    dns::Reader in_127(message, message.size() - 4, message.size());
    EXPECT_TRUE(dns::read_name(in_127).is_root());
    EXPECT_TRUE(in_127.ok());

    dns::Reader in_128(message, message.size() - 2, message.size());
    dns::read_name(in_128);
    ASSERT_FALSE(in_128.ok());
    EXPECT_EQ(in_128.error(), (ParseError{"too many compression pointers", 1}));
}

}  // namespace
