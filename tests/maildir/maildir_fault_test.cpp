// Fault injection into local delivery: the disk fills up (RLIMIT_FSIZE; a small tmpfs for
// ENOSPC is in maildir_full_disk_test.cpp) or a directory of the Maildir turns into a file
// (ENOTDIR) while the server runs. The contract, from RFC 5321 4.2.5: a message the server
// cannot store gets a temporary failure, after which the server must not deliver it at all; so
// nothing of it may be visible in any new/, no half file stays in tmp/, the server goes on
// serving, and once the fault is gone the client's retry is delivered.
#include "fault_testing.hpp"

#include "smtp/smtp_testing.hpp"

#include "shared/testing/chapter.hpp"
#include "shared/testing/faults.hpp"

#include <gtest/gtest.h>

namespace {

using namespace mailsteps::testing;
using namespace smtp::tests;

constexpr rlim_t file_size_limit = 64 * 1024; // the server's log stays well below it

// The disk fills up in the middle of writing the message.
TEST(SmtpFaults, DiskFullGetsATemporaryFailureLeavesNoHalfFileAndTheRetryIsDelivered) {
    ChapterServer server;
    LineClient client(server.port("smtp"));
    greet(client);
    auto text = big_text("too big for the disk");
    {
        FileSizeLimit disk_full(server.process().pid(), file_size_limit);
        expect_temporary_failure(send_message(client, "alice@example.test", {"bob@localhost"}, text));
        EXPECT_NE(server.log().find("File too large"), std::string::npos) << server.log(); // EFBIG
        EXPECT_EQ(all_files(mail_root(server)), std::vector<fs::path>{}); // not in new/, nothing left in tmp/
        // The server goes on: the same session, and a new one, whose small message still fits.
        EXPECT_EQ(command(client, "NOOP").code, 250);
        LineClient other(server.port("smtp"));
        greet(other);
        EXPECT_EQ(send_message(other, "alice@example.test", {"carol@localhost"}, "Subject: small\n\nfits\n").code, 250);
    }
    auto retried = send_message(client, "alice@example.test", {"bob@localhost"}, text);
    ASSERT_EQ(retried.code, 250) << retried;
    auto files = new_messages(mailbox(server, "bob"));
    ASSERT_EQ(files.size(), 1U);
    EXPECT_EQ(split_stored(read_file(files[0])).rest, text);
    EXPECT_EQ(files_in(mailbox(server, "bob") / "tmp"), std::vector<fs::path>{});
}

// RFC 5321 4.2.5 again: one reply covers every recipient, so a copy that cannot be stored
// makes the whole message a temporary failure, and the copies stored before it must go, or the
// client's retry delivers them twice.
TEST(SmtpFaults, AMailboxThatFailsTakesBackTheCopiesAlreadyStored) {
    ChapterServer server;
    fs::create_directories(mail_root(server) / "localhost");
    LineClient client(server.port("smtp"));
    greet(client);
    const std::string text = "Subject: all or nothing\n\nhello\n";
    {
        FileInTheWay broken(mailbox(server, "bob")); // carol and dave come first
        expect_temporary_failure(
            send_message(client, "alice@example.test", {"carol@localhost", "dave@localhost", "bob@localhost"}, text));
    }
    EXPECT_EQ(all_files(mail_root(server)), std::vector<fs::path>{});
    auto retried =
        send_message(client, "alice@example.test", {"carol@localhost", "dave@localhost", "bob@localhost"}, text);
    ASSERT_EQ(retried.code, 250) << retried;
    for (std::string user : {"carol", "dave", "bob"}) {
        EXPECT_EQ(new_messages(mailbox(server, user)).size(), 1U) << user;
    }
}

// A directory on the way to the mailbox is a file for a while (ENOTDIR): the domain's
// directory, the Maildir, or its tmp/ or new/.
class SmtpFaultsInTheWay : public ::testing::TestWithParam<std::string> {};

TEST_P(SmtpFaultsInTheWay, GetsATemporaryFailureWritesNothingAndTheRetryIsDelivered) {
    ChapterServer server;
    LineClient client(server.port("smtp"));
    greet(client);
    ASSERT_EQ(send_message(client, "alice@example.test", {"bob@localhost"}, "Subject: first\n\none\n").code, 250);
    auto before = all_files(mail_root(server));
    const std::string text = "Subject: second\n\ntwo\n";
    auto bob = mailbox(server, "bob");
    auto path = GetParam() == "domain" ? bob.parent_path() : GetParam() == "maildir" ? bob : bob / GetParam();
    {
        FileInTheWay broken(path);
        expect_temporary_failure(send_message(client, "alice@example.test", {"bob@localhost"}, text));
        EXPECT_NE(server.log().find("local delivery failed"), std::string::npos) << server.log();
        EXPECT_EQ(command(client, "NOOP").code, 250);
    }
    EXPECT_EQ(all_files(mail_root(server)), before); // only the first message
    ASSERT_EQ(send_message(client, "alice@example.test", {"bob@localhost"}, text).code, 250);
    EXPECT_EQ(new_messages(bob).size(), 2U);
    EXPECT_EQ(files_in(bob / "tmp"), std::vector<fs::path>{});
}

INSTANTIATE_TEST_SUITE_P(Directories, SmtpFaultsInTheWay, ::testing::Values("domain", "maildir", "tmp", "new"),
                         [](const auto& info) { return info.param; });

} // namespace
