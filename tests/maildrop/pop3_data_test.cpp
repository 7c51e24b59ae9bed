// to_wire and wire_size: a stored message, LF or CRLF, as a POP3 multi-line response (RFC 1939 3).
#include "pop3_data.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace pop3 {
namespace {

// The conversion written the slow, obvious way, byte by byte, to hold the fast one to.
std::string reference_wire(std::string_view text) {
    std::string wire;
    bool at_line_start = true;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (at_line_start && c == '.') {
            wire += '.';
        }
        at_line_start = c == '\n';
        if (c == '\n') {
            wire += "\r\n";
        } else if (c != '\r' || i + 1 == text.size() || text[i + 1] != '\n') {
            wire += c;
        }
    }
    if (!at_line_start) {
        wire += "\r\n";
    }
    return wire + ".\r\n";
}

// Every string of up to `length` characters drawn from `alphabet`.
std::vector<std::string> all_strings(std::string_view alphabet, std::size_t length) {
    std::vector<std::string> strings{""};
    for (std::size_t begin = 0; begin < strings.size(); ++begin) {
        if (strings[begin].size() < length) {
            for (char c : alphabet) {
                strings.push_back(strings[begin] + c);
            }
        }
    }
    return strings;
}

TEST(WireSize, CountsEveryLineEndAsCrlf) {
    EXPECT_EQ(wire_size(""), 0u);
    EXPECT_EQ(wire_size("a\n"), 3u);
    EXPECT_EQ(wire_size("a\r\n"), 3u);
    EXPECT_EQ(wire_size("\n\n"), 4u);
    EXPECT_EQ(wire_size("Subject: hi\n\nbody\n"), 21u);
    EXPECT_EQ(wire_size("Subject: hi\r\n\nbody\r\n"), 21u);
}

TEST(WireSize, LastLineWithoutLineEndCountsTwoMore) {
    EXPECT_EQ(wire_size("a"), 3u);
    EXPECT_EQ(wire_size("a\nb"), 6u);
    EXPECT_EQ(wire_size("a\r"), 4u); // a CR not before an LF is text: "a\r" CRLF
}

TEST(WireSize, StuffingDotsDoNotCount) {
    EXPECT_EQ(wire_size(".\n"), 3u);
    EXPECT_EQ(wire_size("..\n.x\n"), 8u);
}

// A file read in blocks can split a CRLF between two of them.
TEST(WireSize, PiecesAddUpToTheWhole) {
    for (const auto& text : all_strings("a.\r\n", 6)) {
        for (std::size_t cut = 0; cut <= text.size(); ++cut) {
            WireSize size;
            size.add(std::string_view{text}.substr(0, cut));
            size.add(std::string_view{text}.substr(cut));
            ASSERT_EQ(size.total(), wire_size(text)) << testing::PrintToString(text) << " cut at " << cut;
        }
    }
}

TEST(ToWire, TurnsLfIntoCrlf) {
    EXPECT_EQ(to_wire("Subject: hi\n\nbody\n"), "Subject: hi\r\n\r\nbody\r\n.\r\n");
}

TEST(ToWire, KeepsCrlfThatIsThere) {
    EXPECT_EQ(to_wire("Subject: hi\r\n\r\nbody\r\n"), "Subject: hi\r\n\r\nbody\r\n.\r\n");
    EXPECT_EQ(to_wire("mixed\r\nends\nhere\r\n"), "mixed\r\nends\r\nhere\r\n.\r\n");
}

TEST(ToWire, ACrNotBeforeAnLfIsText) {
    EXPECT_EQ(to_wire("a\rb\n"), "a\rb\r\n.\r\n");
    EXPECT_EQ(to_wire("a\r\r\n"), "a\r\r\n.\r\n");
}

TEST(ToWire, StuffsLinesStartingWithADot) {
    EXPECT_EQ(to_wire("Subject: dots\n\n.\n..\n.foo\nnot.first\n"),
              "Subject: dots\r\n\r\n..\r\n...\r\n..foo\r\nnot.first\r\n.\r\n");
}

TEST(ToWire, ALoneDotLineCannotEndTheResponseEarly) {
    auto wire = to_wire("Subject: x\n\nbefore\n.\nafter\n");
    EXPECT_EQ(wire.find("\r\n.\r\n"), wire.size() - 5);
}

TEST(ToWire, LastLineWithoutLineEndGetsOne) {
    EXPECT_EQ(to_wire("Subject: x\n\nlast"), "Subject: x\r\n\r\nlast\r\n.\r\n");
    EXPECT_EQ(to_wire(".last"), "..last\r\n.\r\n");
}

TEST(ToWire, EmptyMessageIsJustTheTerminator) { EXPECT_EQ(to_wire(""), ".\r\n"); }

// RFC 1939 5 (LIST) sizes must match what RETR sends: only the stuffing dots differ.
TEST(ToWire, SendsWireSizeOctetsPlusStuffingDots) {
    for (const auto& text : all_strings("a.\r\n", 6)) {
        auto wire = to_wire(text);
        ASSERT_TRUE(wire.ends_with(".\r\n")) << testing::PrintToString(text);
        std::string_view body{wire.data(), wire.size() - 3};
        std::size_t stuffed = 0;
        for (std::size_t start = 0; start < body.size();) {
            stuffed += body[start] == '.' ? 1 : 0; // every line that starts with '.' got one more
            auto end = body.find("\r\n", start);
            ASSERT_NE(end, std::string_view::npos) << testing::PrintToString(text);
            start = end + 2;
        }
        ASSERT_EQ(body.size() - stuffed, wire_size(text)) << testing::PrintToString(text);
        ASSERT_EQ(wire, reference_wire(text)) << testing::PrintToString(text);
    }
}

constexpr std::string_view message = "From: a@example.com\nSubject: top\n\nline 1\n.line 2\nline 3\n";

TEST(Top, ZeroLinesGivesTheHeaderAndTheBlankLine) {
    EXPECT_EQ(to_wire(message, 0), "From: a@example.com\r\nSubject: top\r\n\r\n.\r\n");
}

TEST(Top, GivesAtMostThatManyBodyLines) {
    EXPECT_EQ(to_wire(message, 2), "From: a@example.com\r\nSubject: top\r\n\r\nline 1\r\n..line 2\r\n.\r\n");
}

TEST(Top, MoreLinesThanTheBodyGivesItAll) {
    EXPECT_EQ(to_wire(message, 3), to_wire(message));
    EXPECT_EQ(to_wire(message, 1000), to_wire(message));
}

TEST(Top, WithoutABlankLineItIsAllHeader) {
    EXPECT_EQ(to_wire("From: a@example.com\nSubject: no body\n", 0),
              "From: a@example.com\r\nSubject: no body\r\n.\r\n");
}

TEST(Top, FindsACrlfBlankLine) {
    EXPECT_EQ(to_wire("Subject: crlf\r\n\r\nbody\r\n", 0), "Subject: crlf\r\n\r\n.\r\n");
}

TEST(Top, CountsALastLineWithoutLineEnd) {
    EXPECT_EQ(to_wire("Subject: x\n\none\ntwo", 2), "Subject: x\r\n\r\none\r\ntwo\r\n.\r\n");
    EXPECT_EQ(to_wire("Subject: x\n\none\ntwo", 1), "Subject: x\r\n\r\none\r\n.\r\n");
}

TEST(Top, ABlankFirstLineMeansNoHeader) {
    EXPECT_EQ(to_wire("\nbody\n", 0), "\r\n.\r\n");
    EXPECT_EQ(to_wire("", 0), ".\r\n");
}

} // namespace
} // namespace pop3
