// MessageBuilder: the DATA block, from the bytes a client sends to the text stored on disk.
#include "smtp_data.hpp"

#include "line_buffer.hpp"
#include "message_testing.hpp"

#include "shared/testing/temp_dir.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace smtp {
namespace {

using Problem = MessageBuilder::Problem;

constexpr std::uint64_t no_size_limit = 1 << 30;

// What one DATA block came to.
struct Outcome {
    bool ended = false;  // the end-of-data line was seen
    Problem problem = Problem::none;
    std::string text;    // what would be stored
    std::string after;   // the bytes left after the end of data: the next commands
};

// Feeds `wire` through the same line framing the session uses, up to the end of data.
Outcome receive(const std::string& wire, std::uint64_t max_size = no_size_limit) {
    mailsteps::LineBuffer buffer;
    buffer.append(wire);
    mailsteps::testing::TempDir spool;
    auto message = tests::make_message_builder(max_size, spool.path());
    Outcome outcome;
    mailsteps::Line line;
    for (;;) {
        auto status = buffer.next_line(MessageBuilder::max_stuffed_line, line); // as the session reads
        if (status == mailsteps::LineBuffer::Status::need_more) {
            break;
        }
        if (status == mailsteps::LineBuffer::Status::too_long) {
            message.add_too_long_line();
        } else if (message.add_line(line)) {
            outcome.ended = true;
            break;
        }
    }
    outcome.problem = message.problem();
    outcome.text = tests::whole_text(message.text());
    outcome.after = wire.substr(wire.size() - buffer.buffered());
    return outcome;
}

TEST(MessageBuilder, StoresLinesWithLfEnds) {
    auto outcome = receive("Subject: hi\r\n\r\nbody\r\n.\r\n");
    EXPECT_TRUE(outcome.ended);
    EXPECT_EQ(outcome.problem, Problem::none);
    EXPECT_EQ(outcome.text, "Subject: hi\n\nbody\n");
}

TEST(MessageBuilder, EmptyMessageEndsAtOnce) {
    auto outcome = receive(".\r\n");
    EXPECT_TRUE(outcome.ended);
    EXPECT_EQ(outcome.problem, Problem::none);
    EXPECT_EQ(outcome.text, "");
}

// RFC 5321 4.5.2: the client doubles a leading dot; the server removes one.
TEST(MessageBuilder, UndoesDotStuffing) {
    auto outcome = receive("..\r\n..leading dot\r\n...\r\nmiddle . dot\r\n. space\r\n.\r\n");
    EXPECT_TRUE(outcome.ended);
    EXPECT_EQ(outcome.text, ".\n.leading dot\n..\nmiddle . dot\n space\n");
}

// RFC 5321 4.1.1.4: the data ends at the line with a single dot; what follows is commands.
TEST(MessageBuilder, EndsAtTheLoneDotAndLeavesTheRest) {
    auto outcome = receive("a\r\n.\r\nQUIT\r\n");
    EXPECT_TRUE(outcome.ended);
    EXPECT_EQ(outcome.text, "a\n");
    EXPECT_EQ(outcome.after, "QUIT\r\n");
}

TEST(MessageBuilder, WithoutTheEndLineTheDataGoesOn) {
    auto outcome = receive("a\r\n. \r\n.x\r\n");
    EXPECT_FALSE(outcome.ended);
    EXPECT_EQ(outcome.problem, Problem::none);
}

TEST(MessageBuilder, KeepsEightBitText) {
    auto outcome = receive("Gr\xC3\xBC\xC3\x9F" "e \xE2\x9C\x93\r\n.\r\n");
    EXPECT_EQ(outcome.text, "Gr\xC3\xBC\xC3\x9F" "e \xE2\x9C\x93\n");
}

// RFC 1870 5: the size counts each line's CRLF, but not the stuffing dots or the end line.
TEST(MessageBuilder, SizeExactlyAtTheLimitPasses) {
    // "12345678" CRLF + "" CRLF = 12 octets
    auto outcome = receive("12345678\r\n\r\n.\r\n", 12);
    EXPECT_EQ(outcome.problem, Problem::none);
    EXPECT_EQ(outcome.text, "12345678\n\n");
}

TEST(MessageBuilder, SizeOneOverTheLimitFails) {
    auto outcome = receive("123456789\r\n\r\n.\r\n", 12);
    EXPECT_TRUE(outcome.ended);
    EXPECT_EQ(outcome.problem, Problem::too_big);
}

TEST(MessageBuilder, StuffingDotsDoNotCountTowardsTheSize) {
    // On the wire "..2345678" CRLF is 11 octets; the message is ".2345678" CRLF, 10 octets.
    EXPECT_EQ(receive("..2345678\r\n.\r\n", 10).problem, Problem::none);
    EXPECT_EQ(receive("..23456789\r\n.\r\n", 10).problem, Problem::too_big);
}

// RFC 5321 4.5.3.1.6: a text line is at most 1000 octets, CRLF included.
TEST(MessageBuilder, LineOf1000OctetsPasses) {
    std::string longest(998, 'x');
    auto outcome = receive(longest + "\r\n.\r\n");
    EXPECT_EQ(outcome.problem, Problem::none);
    EXPECT_EQ(outcome.text, longest + "\n");
}

// The limit is on the line as it was before the client added a dot (RFC 5321 4.5.2).
TEST(MessageBuilder, DotStuffedLineOf1000OctetsPasses) {
    std::string longest = "." + std::string(997, 'x');
    auto outcome = receive("." + longest + "\r\n.\r\n");
    EXPECT_EQ(outcome.problem, Problem::none);
    EXPECT_EQ(outcome.text, longest + "\n");
}

TEST(MessageBuilder, DotStuffedLineOver1000OctetsIsRefused) {
    auto outcome = receive(".." + std::string(998, 'x') + "\r\n.\r\nQUIT\r\n");
    EXPECT_TRUE(outcome.ended);
    EXPECT_EQ(outcome.problem, Problem::line_too_long);
    EXPECT_EQ(outcome.after, "QUIT\r\n");
}

TEST(MessageBuilder, LineOver1000OctetsIsRefusedButTheDataStillEnds) {
    auto outcome = receive("first\r\n" + std::string(999, 'x') + "\r\nlast\r\n.\r\nQUIT\r\n");
    EXPECT_TRUE(outcome.ended);
    EXPECT_EQ(outcome.problem, Problem::line_too_long);
    EXPECT_EQ(outcome.text, ""); // nothing of a refused message is kept
    EXPECT_EQ(outcome.after, "QUIT\r\n");
}

TEST(MessageBuilder, AnOverlongLastLineStillEndsTheData) {
    auto outcome = receive("first\r\n" + std::string(5000, 'x') + "\r\n.\r\nQUIT\r\n");
    EXPECT_TRUE(outcome.ended);
    EXPECT_EQ(outcome.problem, Problem::line_too_long);
    EXPECT_EQ(outcome.after, "QUIT\r\n");
}

// A message of a megabyte arrives whole (from chapter 09 by way of its spool, as it is far
// bigger than what a session keeps in memory).
TEST(MessageBuilder, ABigMessageIsKeptWhole) {
    std::string wire;
    std::string stored;
    for (int i = 0; wire.size() < 1024 * 1024; ++i) {
        std::string line = "line " + std::to_string(i) + " " + std::string(i % 900, 'a' + i % 26);
        wire += line + "\r\n";
        stored += line + "\n";
    }
    auto outcome = receive(wire + ".\r\nQUIT\r\n");
    EXPECT_EQ(outcome.problem, Problem::none);
    EXPECT_EQ(outcome.text.size(), stored.size());
    EXPECT_TRUE(outcome.text == stored);
    EXPECT_EQ(outcome.after, "QUIT\r\n");
}

TEST(MessageBuilder, RefusedMessageKeepsNoText) {
    auto outcome = receive("fits\r\nthis line is over the limit\r\nmore\r\n.\r\n", 10);
    EXPECT_TRUE(outcome.ended);
    EXPECT_EQ(outcome.problem, Problem::too_big);
    EXPECT_EQ(outcome.text, "");
}

TEST(MessageBuilder, TheFirstProblemIsTheOneReported) {
    auto outcome = receive(std::string(1200, 'x') + "\r\nbare\nlf\r\n.\r\n", 10);
    EXPECT_EQ(outcome.problem, Problem::line_too_long);
}

// RFC 5321 2.3.8 and 4.1.1.4: only CRLF "." CRLF ends the data. SMTP smuggling hides a second
// message behind an end-of-data that another server reads differently; each such ending must
// neither end the data here nor let the message through.
struct SmugglingVector {
    std::string name;
    std::string bytes; // comes right after the line "real"
};

void PrintTo(const SmugglingVector& vector, std::ostream* out) { *out << vector.name; }

class Smuggling : public ::testing::TestWithParam<SmugglingVector> {};

TEST_P(Smuggling, NeverEndsTheDataAndRefusesTheMessage) {
    const std::string smuggled = "MAIL FROM:<mallory@example.test>\r\nRCPT TO:<bob@localhost>\r\nDATA\r\n"
                                 "smuggled\r\n";
    auto outcome = receive("Subject: real\r\n\r\nreal" + GetParam().bytes + smuggled + ".\r\nQUIT\r\n");
    EXPECT_TRUE(outcome.ended);
    EXPECT_EQ(outcome.after, "QUIT\r\n") << "the data ended before the real end-of-data line";
    EXPECT_EQ(outcome.problem, Problem::bare_line_end);
    EXPECT_EQ(outcome.text, "");
}

// An over-long line is discarded, but not how it ended: a bare LF there must not count as the
// CRLF before the dot, or the rest of the data would be read as commands.
TEST(MessageBuilder, AnOverlongLineEndingInABareLfIsNoEndOfData) {
    const std::string smuggled = "MAIL FROM:<mallory@example.test>\r\nRCPT TO:<bob@localhost>\r\nDATA\r\n"
                                 "smuggled\r\n";
    auto outcome = receive("Subject: real\r\n\r\n" + std::string(1100, 'x') + "\n.\r\n" + smuggled + ".\r\nQUIT\r\n");
    EXPECT_TRUE(outcome.ended);
    EXPECT_EQ(outcome.after, "QUIT\r\n") << "the data ended before the real end-of-data line";
    EXPECT_NE(outcome.problem, Problem::none);
    EXPECT_EQ(outcome.text, "");
}

INSTANTIATE_TEST_SUITE_P(Vectors, Smuggling,
                         ::testing::Values(SmugglingVector{"lf_dot_lf", "\n.\n"},
                                           SmugglingVector{"cr_dot_cr", "\r.\r"},
                                           SmugglingVector{"lf_dot_crlf", "\n.\r\n"},
                                           SmugglingVector{"crlf_dot_lf", "\r\n.\n"},
                                           SmugglingVector{"cr_dot_crlf", "\r.\r\n"},
                                           SmugglingVector{"crlf_dot_cr", "\r\n.\r"},
                                           SmugglingVector{"crlf_dot_cr_crlf", "\r\n.\r\r\n"},
                                           SmugglingVector{"bare_cr_mid_line", "\rstill the same line\r\n"},
                                           SmugglingVector{"bare_lf_mid_message", "\nnext line\r\n"}),
                         [](const auto& info) { return info.param.name; });

} // namespace
} // namespace smtp
