// A list's post (chapter 34 onwards): the headers the list adds, and the check that a message
// has not been through the list before, on header sections written every which way.
#include "list_post.hpp"

#include "shared/testing/temp_dir.hpp"

#include <gtest/gtest.h>

namespace {

mailsteps::testing::TempDir spool_dir;

bool passed(const std::string& message, const std::string& list = "family@example.test") {
    mailsteps::Spool text(spool_dir.path(), 16); // small: the header section spans pieces and the file
    EXPECT_FALSE(text.append(message));
    return lists::has_passed(text, list);
}

} // namespace

// Later chapters add more headers of RFC 2369's; these four are there from chapter 34 on, the
// list's identity first and its loop mark last.
TEST(ListHeaders, NameTheListByRfc2919AndRfc2369) {
    auto headers = lists::list_headers("family@example.test");
    EXPECT_TRUE(headers.starts_with("List-Id: <family.example.test>\n")) << headers;
    EXPECT_NE(headers.find("\nList-Post: <mailto:family@example.test>\n"), std::string::npos) << headers;
    EXPECT_NE(headers.find("\nPrecedence: list\n"), std::string::npos) << headers;
    EXPECT_TRUE(headers.ends_with("\nX-Loop: family@example.test\n")) << headers;
}

TEST(ListLoops, AMessageWithThisListsIdOrXLoopHasPassed) {
    EXPECT_TRUE(passed("Subject: hi\nList-Id: <family.example.test>\n\nbody\n"));
    EXPECT_TRUE(passed("list-id: The Family <FAMILY.Example.Test>\n\nbody\n"));
    EXPECT_TRUE(passed("Subject: hi\nList-Id: The\n Family\n\t<family.example.test>\n\nbody\n")); // folded
    EXPECT_TRUE(passed("X-Loop: family@example.test\n\nbody\n"));
    EXPECT_TRUE(passed("Subject: a long one\nX-LOOP:   Family@Example.Test  \n\nbody\n"));
    EXPECT_TRUE(passed(lists::list_headers("family@example.test") + "Subject: hi\n\nbody\n"));
}

TEST(ListLoops, OtherListsAndTheBodyDoNotCount) {
    EXPECT_FALSE(passed("Subject: hi\n\nbody\n"));
    EXPECT_FALSE(passed("List-Id: <club.example.test>\nX-Loop: club@example.test\n\nbody\n"));
    EXPECT_FALSE(passed("List-Id: <family.example.test.evil>\n\nbody\n"));
    EXPECT_FALSE(passed("X-Loop: family@example.test.evil\n\nbody\n"));
    EXPECT_FALSE(passed("Subject: hi\n\nList-Id: <family.example.test>\nX-Loop: family@example.test\n"));
    EXPECT_FALSE(passed("\nList-Id: <family.example.test>\n")); // no header section at all
    EXPECT_FALSE(passed("Subject: List-Id: <family.example.test>\n\nbody\n"));
    EXPECT_FALSE(passed(""));
}
