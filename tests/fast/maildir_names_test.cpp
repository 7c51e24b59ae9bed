// Chapter 26: a Maildir file's name says its sizes, so that a reader need not open it.
#include "maildir.hpp"

#include "shared/testing/temp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mailsteps {
namespace {

using mailsteps::testing::TempDir;

// Courier's ",S=" and Dovecot's ",W=": what a reader would learn by reading the file, and POP3's size.
TEST(MaildirNames, CarryTheStoredSizeAndTheSizeWithCrlf) {
    TempDir root;
    auto sizes_in_name = [&](std::vector<std::string_view> parts) {
        auto result = deliver_to_maildir(root.path() / "example.com" / "alice", parts);
        EXPECT_TRUE(std::holds_alternative<Delivered>(result));
        const auto& name = std::get<Delivered>(result).file_name;
        return name.substr(name.find(",S="));
    };
    EXPECT_EQ(sizes_in_name({"Subject: lf\n\nbody\n"}), ",S=18,W=21");
    EXPECT_EQ(sizes_in_name({"Subject: crlf\r\n\r\nbody\r\n"}), ",S=23,W=23");
    EXPECT_EQ(sizes_in_name({"a\r", "\nb\n"}), ",S=5,W=6");   // a CRLF split between two parts
    EXPECT_EQ(sizes_in_name({"a\r\r\n\n"}), ",S=5,W=6");   // a CR not before LF is text
    EXPECT_EQ(sizes_in_name({"\n"}), ",S=1,W=2");
    EXPECT_EQ(sizes_in_name({""}), ",S=0,W=0");
    EXPECT_EQ(sizes_in_name({"Subject: x\n\nno line end"}), ",S=23"); // POP3 would add a CRLF, IMAP not
}

}  // namespace
}  // namespace mailsteps
