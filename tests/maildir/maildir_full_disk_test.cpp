// Fault injection as root can make it: a small tmpfs mounted over a Maildir directory while the
// server runs, a disk that is really full (ENOSPC). Mounting needs CAP_SYS_ADMIN: without it
// the test skips, and its label `root` keeps it apart.
#include "fault_testing.hpp"

#include "smtp/smtp_testing.hpp"

#include "shared/testing/chapter.hpp"
#include "shared/testing/faults.hpp"

#include <gtest/gtest.h>

namespace {

using namespace mailsteps::testing;
using namespace smtp::tests;

constexpr std::size_t small_disk_size = 64 * 1024; // a tmpfs that big_text() overfills

// A disk that is really full (ENOSPC, where a file size limit gives EFBIG) is said so: RFC 5321
// 4.2.2's 452, insufficient system storage, with RFC 3463's 4.3.1, mail system full.
TEST(SmtpFaults, FullDiskGets452AndTheRetryIsDelivered) {
    ChapterServer server;
    LineClient client(server.port("smtp"));
    greet(client);
    auto text = big_text("bigger than the disk");
    {
        SmallDisk full(mail_root(server) / "localhost", small_disk_size);
        if (!full.mounted()) {
            GTEST_SKIP() << "cannot mount a tmpfs here: " << full.error().message();
        }
        auto reply = send_message(client, "alice@example.test", {"bob@localhost"}, text);
        EXPECT_EQ(reply.code, 452) << reply;
        EXPECT_TRUE(reply.last().starts_with("452 4.3.1 ")) << reply;
        EXPECT_NE(server.log().find("No space left on device"), std::string::npos) << server.log();
        EXPECT_EQ(all_files(mail_root(server)), std::vector<fs::path>{}); // nothing in new/ or tmp/
        EXPECT_EQ(command(client, "NOOP").code, 250);
    }
    auto retried = send_message(client, "alice@example.test", {"bob@localhost"}, text);
    ASSERT_EQ(retried.code, 250) << retried;
    auto files = new_messages(mailbox(server, "bob"));
    ASSERT_EQ(files.size(), 1U);
    EXPECT_EQ(split_stored(read_file(files[0])).rest, text);
}

} // namespace
