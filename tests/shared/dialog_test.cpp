// The dialog-script harness itself: if it matched too loosely, every dialog test would lie.
#include "shared/testing/dialog.hpp"
#include "shared/testing/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fstream>

using namespace mailsteps::testing;

TEST(Wildcard, MatchesLiterallyWithoutStar) {
    EXPECT_TRUE(wildcard_match("250 OK", "250 OK"));
    EXPECT_FALSE(wildcard_match("250 OK", "250 OK "));
    EXPECT_FALSE(wildcard_match("250 OK", "250"));
}

TEST(Wildcard, StarMatchesAnyRun) {
    EXPECT_TRUE(wildcard_match("250 *", "250 2.0.0 Ok"));
    EXPECT_TRUE(wildcard_match("250 *", "250 "));
    EXPECT_TRUE(wildcard_match("*", ""));
    EXPECT_TRUE(wildcard_match("5*5*", "555 5.5.4 x"));
    EXPECT_TRUE(wildcard_match("a*b*c", "a-b-b-c"));
    EXPECT_FALSE(wildcard_match("250 *", "251 x"));
    EXPECT_FALSE(wildcard_match("a*c", "abcd"));
}

namespace {

Dialog load_text(const std::string& text) {
    TempDir dir;
    auto path = dir.path() / "test.dialog";
    std::ofstream(path) << text;
    return load_dialog(path);
}

} // namespace

TEST(DialogScript, ParsesStepsArgsAndEscapes) {
    auto dialog = load_text("# comment\n! args: --a 1 --b\nC: hi\\tthere\nB: x\\r\\ny\\n\\x41\nS: 250 *\nS: <closed>\nS:\n");
    EXPECT_EQ(dialog.args, (std::vector<std::string>{"--a", "1", "--b"}));
    ASSERT_EQ(dialog.steps.size(), 5U);
    EXPECT_EQ(dialog.steps[0].text, "hi\tthere\r\n");
    EXPECT_EQ(dialog.steps[1].text, "x\r\ny\nA");
    EXPECT_EQ(dialog.steps[2].kind, DialogStep::Kind::expect_line);
    EXPECT_EQ(dialog.steps[2].text, "250 *");
    EXPECT_EQ(dialog.steps[2].line_number, 5);
    EXPECT_EQ(dialog.steps[3].kind, DialogStep::Kind::expect_closed);
    EXPECT_EQ(dialog.steps[4].text, "");
}

TEST(DialogScript, RefusesWhatItDoesNotUnderstand) {
    EXPECT_THROW(load_text("X: what\n"), std::runtime_error);
    EXPECT_THROW(load_text("C: bad \\q escape\n"), std::runtime_error);
    EXPECT_THROW(load_text("C: \\x4\n"), std::runtime_error);
    EXPECT_THROW(load_text("C: \\xZZ\n"), std::runtime_error);
    EXPECT_THROW(load_text("C: trailing \\\n"), std::runtime_error);
}
