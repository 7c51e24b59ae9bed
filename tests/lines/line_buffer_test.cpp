// The framing half of line I/O: bytes in, lines out, memory bounded.
#include "line_buffer.hpp"

#include <gtest/gtest.h>

using mailsteps::Line;
using mailsteps::LineBuffer;
using mailsteps::LineEnd;
using Status = LineBuffer::Status;

namespace {

// Every line (or "<too long>") the buffer yields for `input` with the given limit.
std::vector<std::string> lines_of(std::string_view input, std::size_t max_length) {
    LineBuffer buffer;
    buffer.append(input);
    std::vector<std::string> lines;
    Line line;
    for (Status status; (status = buffer.next_line(max_length, line)) != Status::need_more;) {
        if (status == Status::too_long) {
            lines.push_back("<too long>");
        } else {
            lines.push_back(line.text + (line.end == LineEnd::bare_lf ? "<LF>" : ""));
        }
    }
    return lines;
}

using Lines = std::vector<std::string>;

} // namespace

TEST(LineBuffer, SplitsOnCrlfAndReportsBareLf) {
    EXPECT_EQ(lines_of("a\r\nb\r\n", 100), (Lines{"a", "b"}));
    EXPECT_EQ(lines_of("a\nb\r\n", 100), (Lines{"a<LF>", "b"}));
    EXPECT_EQ(lines_of("\r\n\r\n", 100), (Lines{"", ""}));
    EXPECT_EQ(lines_of("no end yet", 100), Lines{});
}

TEST(LineBuffer, BareCrStaysInsideTheLine) {
    // Only LF ends a line; a CR elsewhere is the protocol's business (SMTP refuses it in DATA).
    EXPECT_EQ(lines_of("a\rb\r\n", 100), (Lines{"a\rb"}));
    EXPECT_EQ(lines_of("a\r\r\n", 100), (Lines{"a\r"}));
}

TEST(LineBuffer, LimitCountsTheLineEnding) {
    EXPECT_EQ(lines_of("12345678\r\n", 10), (Lines{"12345678"}));
    EXPECT_EQ(lines_of("123456789\n", 10), (Lines{"123456789<LF>"}));
    EXPECT_EQ(lines_of("123456789\r\n", 10), (Lines{"<too long>"}));
}

TEST(LineBuffer, OverlongLineIsSkippedAndTheNextLineSurvives) {
    EXPECT_EQ(lines_of("12345678901234567890\r\nok\r\n", 10), (Lines{"<too long>", "ok"}));
    EXPECT_EQ(lines_of("12345678901234567890\r\n12345678901\r\nok\r\n", 10), (Lines{"<too long>", "<too long>", "ok"}));
}

TEST(LineBuffer, TooLongIsReportedBeforeTheLineEnds) {
    LineBuffer buffer;
    Line line;
    buffer.append("1234567890");
    EXPECT_EQ(buffer.next_line(10, line), Status::too_long);
    // The rest of that line is dropped as it arrives: nothing piles up.
    for (int i = 0; i < 1000; ++i) {
        buffer.append(std::string(1000, 'x'));
        EXPECT_EQ(buffer.next_line(10, line), Status::need_more);
        EXPECT_EQ(buffer.buffered(), 0U);
    }
    buffer.append("tail\r\nnext\r\n");
    ASSERT_EQ(buffer.next_line(10, line), Status::line);
    EXPECT_EQ(line.text, "next");
}

TEST(LineBuffer, BytesArrivingOneAtATime) {
    LineBuffer buffer;
    Line line;
    std::string input = "first\r\nsecond\nthird\r\n";
    std::vector<std::string> lines;
    for (char byte : input) {
        buffer.append(std::string_view(&byte, 1));
        while (buffer.next_line(100, line) == Status::line) {
            lines.push_back(line.text);
        }
    }
    EXPECT_EQ(lines, (Lines{"first", "second", "third"}));
}

TEST(LineBuffer, CrlfSplitBetweenReads) {
    LineBuffer buffer;
    Line line;
    buffer.append("abc\r");
    EXPECT_EQ(buffer.next_line(100, line), Status::need_more);
    buffer.append("\n");
    ASSERT_EQ(buffer.next_line(100, line), Status::line);
    EXPECT_EQ(line.text, "abc");
    EXPECT_EQ(line.end, LineEnd::crlf);
}

TEST(LineBuffer, PrepareAndCommitLikeASocketRead) {
    LineBuffer buffer;
    auto space = buffer.prepare(64);
    std::string_view data = "hi\r\n";
    std::copy(data.begin(), data.end(), space.begin());
    buffer.commit(data.size());
    EXPECT_EQ(buffer.buffered(), data.size());
    Line line;
    ASSERT_EQ(buffer.next_line(100, line), Status::line);
    EXPECT_EQ(line.text, "hi");
    EXPECT_EQ(buffer.buffered(), 0U);
}

TEST(LineBuffer, NulBytesAreKept) {
    using namespace std::string_literals;
    EXPECT_EQ(lines_of("a\0b\r\n"s, 100), (Lines{"a\0b"s}));
}

// previous_end: how the line before ended, which SMTP needs to find CRLF "." CRLF.
TEST(LineBuffer, EachLineSaysHowThePreviousOneEnded) {
    LineBuffer buffer;
    Line line;
    buffer.append("a\r\nb\nc\r\n");
    ASSERT_EQ(buffer.next_line(100, line), Status::line);
    EXPECT_EQ(line.previous_end, LineEnd::crlf); // nothing before the first: as after a CRLF
    ASSERT_EQ(buffer.next_line(100, line), Status::line);
    EXPECT_EQ(line.previous_end, LineEnd::crlf);
    ASSERT_EQ(buffer.next_line(100, line), Status::line);
    EXPECT_EQ(line.previous_end, LineEnd::bare_lf);
}

// The end of a discarded line, `tail` arriving in reads of `chunk` octets, as the next line sees it.
LineEnd end_of_discarded_line(std::string_view tail, std::size_t chunk) {
    LineBuffer buffer;
    Line line;
    buffer.append(std::string(20, 'x'));
    EXPECT_EQ(buffer.next_line(10, line), Status::too_long);
    std::string rest = std::string(tail) + ".\r\n";
    for (std::size_t at = 0; at < rest.size(); at += chunk) {
        buffer.append(std::string_view(rest).substr(at, chunk));
        if (buffer.next_line(10, line) == Status::line) {
            EXPECT_EQ(line.text, ".");
            return line.previous_end;
        }
    }
    ADD_FAILURE() << "no line after the discarded one";
    return LineEnd::crlf;
}

TEST(LineBuffer, TheEndOfADiscardedLineIsStillReported) {
    for (std::size_t chunk : {1, 2, 3, 100}) {
        EXPECT_EQ(end_of_discarded_line("yyy\r\n", chunk), LineEnd::crlf) << chunk;
        EXPECT_EQ(end_of_discarded_line("yyy\n", chunk), LineEnd::bare_lf) << chunk;
        EXPECT_EQ(end_of_discarded_line("\r\n", chunk), LineEnd::crlf) << chunk;
        EXPECT_EQ(end_of_discarded_line("\n", chunk), LineEnd::bare_lf) << chunk;
        EXPECT_EQ(end_of_discarded_line("\ry\n", chunk), LineEnd::bare_lf) << chunk;
    }
}

TEST(LineBuffer, ACrAtTheLimitThenLfEndsTheDiscardedLineWithCrlf) {
    LineBuffer buffer;
    Line line;
    buffer.append("123456789\r"); // the limit of 10 is passed only by the LF to come
    EXPECT_EQ(buffer.next_line(10, line), Status::too_long);
    buffer.append("\n.\r\n");
    ASSERT_EQ(buffer.next_line(10, line), Status::line);
    EXPECT_EQ(line.previous_end, LineEnd::crlf);
}
