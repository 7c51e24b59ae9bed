// End-to-end tests of the spool (chapter 09 onwards): a message arriving in DATA goes to disk
// as it comes, not into the server's memory.
#include "smtp/smtp_testing.hpp"

#include "shared/testing/chapter.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <iostream>
#include <memory>

namespace {

using namespace mailsteps::testing;
using namespace smtp::tests;

// The octets the server holds in files that no name leads to any more (its spools), from /proc.
std::uintmax_t spooled_octets(pid_t pid) {
    std::uintmax_t octets = 0;
    std::error_code error;
    for (const auto& fd : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", error)) {
        auto target = fs::read_symlink(fd.path(), error).string();
        struct stat status {};
        if (!error && target.ends_with(" (deleted)") && ::stat(fd.path().c_str(), &status) == 0 &&
            S_ISREG(status.st_mode)) {
            octets += static_cast<std::uintmax_t>(status.st_size);
        }
    }
    return octets;
}

// A message is not held in memory while it arrives: ten sessions in the middle of 2 MB each
// have it on disk, and the server's memory grows by far less than what they sent. One then
// ends its message, which is stored whole.
TEST(SmtpLimits, MessagesArrivingInDataAreNotHeldInMemory) {
    constexpr int sessions = 10;
    constexpr int lines_each = 2048; // of 1000 octets: 2 MB
    auto measured = server_measuring_memory();
    ChapterServer& server = *measured;
    long before = 0;
    std::vector<std::unique_ptr<LineClient>> clients;
    const std::string line = std::string(998, 'x') + "\r\n";
    for (int i = 0; i < sessions; ++i) {
        auto& client = *clients.emplace_back(std::make_unique<LineClient>(server.port("smtp")));
        greet(client);
        if (i == 0) {
            before = resident_kb(server.process().pid()); // once the server has started up fully
        }
        ASSERT_EQ(command(client, "MAIL FROM:<alice@example.test>").code, 250);
        ASSERT_EQ(command(client, "RCPT TO:<bob@localhost>").code, 250);
        ASSERT_EQ(command(client, "DATA").code, 354);
        client.send("Subject: big " + std::to_string(i) + "\r\n\r\n");
        for (int n = 0; n < lines_each; ++n) {
            client.send(line);
        }
    }
    constexpr std::uintmax_t sent = std::uintmax_t{sessions} * lines_each * 1000;
    // All but the last 64 KB of each is in its spool file once the server has read it.
    ASSERT_TRUE(eventually([&] { return spooled_octets(server.process().pid()) >= sent - sessions * (64 << 10); }))
        << spooled_octets(server.process().pid()) << " of " << sent << " octets spooled";
    long during = resident_kb(server.process().pid());
    std::cout << "server RSS before " << before << " kB, with " << sessions << " sessions 2 MB into DATA " << during
              << " kB\n";
    // Holding the messages would take all of it; under half proves they went to disk.
    EXPECT_LT(during - before, static_cast<long>(sent / 1024 / 2)) << "the server holds the messages in memory";
    clients[0]->send(".\r\n");
    ASSERT_EQ(read_reply(*clients[0]).code, 250);
    auto files = new_messages(mailbox(server, "bob"));
    ASSERT_EQ(files.size(), 1U);
    auto stored = split_stored(read_file(files[0])).rest;
    EXPECT_EQ(stored.size(), std::string("Subject: big 0\n\n").size() + lines_each * 999U);
}

} // namespace
