// Chapter 26: a Maildir name that says the message's size (",W=") spares the maildrop reading
// the file when a session starts.
#include "maildrop.hpp"

#include "shared/testing/temp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>

namespace pop3 {
namespace {

namespace fs = std::filesystem;

Maildrop open_maildrop(const fs::path& maildir) {
    auto opened = Maildrop::open(maildir);
    if (std::holds_alternative<Maildrop::OpenError>(opened)) {
        throw std::runtime_error("cannot open maildrop");
    }
    return std::get<Maildrop>(std::move(opened));
}

class MaildropTest : public ::testing::Test {
protected:
    // Writes a message the way another tool might, under any name, in new/ or cur/.
    void put(std::string_view sub, std::string_view name, std::string_view content) {
        fs::create_directories(maildir_ / sub);
        std::ofstream out{maildir_ / sub / name, std::ios::binary};
        out << content;
        if (!out.flush()) {
            throw std::runtime_error("cannot write " + std::string{name});
        }
    }

    mailsteps::testing::TempDir root_;
    fs::path maildir_ = root_.path() / "example.com" / "alice";
};

// Our deliveries and Dovecot's write ",W=<wire size>" into the name; a login then opens no file.
TEST_F(MaildropTest, TheSizeInTheNameIsUsedWithoutReadingTheFile) {
    put("new", "1700000001.M1P1Q1.host,S=2,W=3", "x\n");
    put("cur", "1700000002.M1P1Q1.host,S=2,W=999:2,S", "x\n"); // says more than the file holds
    put("cur", "1700000003.M1P1Q1.host,S=2,W=3:2,W=7", "x\n"); // ",W=" after ':' is a flag, not a size
    put("new", "1700000004.M1P1Q1.host,W=7,S=2", "x\n");       // in either order
    auto maildrop = open_maildrop(maildir_);
    ASSERT_EQ(maildrop.size(), 4u);
    EXPECT_EQ(maildrop.find(1)->size, 3u);
    EXPECT_EQ(maildrop.find(2)->size, 999u);
    EXPECT_EQ(maildrop.find(3)->size, 3u);
    EXPECT_EQ(maildrop.find(4)->size, 7u);
    EXPECT_EQ(std::get<std::string>(maildrop.read(2)), "x\n");
}

// A name that says less than the file holds is treated like a file that grew: not the message announced.
TEST_F(MaildropTest, AFileLargerThanTheSizeInItsNameCannotBeRead) {
    put("new", "1700000001.M1P1Q1.host,S=2,W=3", "Subject: more than three octets\n\n");
    auto maildrop = open_maildrop(maildir_);
    EXPECT_EQ(maildrop.find(1)->size, 3u);
    auto content = maildrop.read(1);
    ASSERT_TRUE(std::holds_alternative<std::error_code>(content));
    EXPECT_EQ(std::get<std::error_code>(content), std::errc::file_too_large);
}


}  // namespace
}  // namespace pop3
