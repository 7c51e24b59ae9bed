// Chapter 26: kill -9 in the middle of a burst. Many sessions store messages at once on the disk
// threads, where the file system's journal commits their fsyncs together (group commit); a
// message answered 250 must still be in new/ once and whole after the kill, as in chapter 25.
#include "smtp/smtp_testing.hpp"

#include "shared/testing/chapter.hpp"
#include "shared/testing/process.hpp"
#include "shared/testing/temp_dir.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

using namespace mailsteps::testing;
using namespace smtp::tests;

namespace {

// About 2 KB, as in tests/bench/smtp_receive.sh, in lines SMTP allows (RFC 5321 4.5.3.1.6).
std::string body() {
    std::string text;
    for (int line = 0; line < 26; ++line) {
        text += std::string(76, 'x') + "\n";
    }
    return text + "end\n";
}

} // namespace

// Three bursts of 32 senders at once, each killed with SIGKILL once the first 100 messages of the
// burst have been answered 250, the server started again on the same files every time.
TEST(BurstCrashSafety, KillNineDuringABurstOfConcurrentDeliveriesLosesNothing) {
    TempDir dir;
    std::vector<std::string> args{"--smtp-port", "0", "--maildir-root", (dir.path() / "mail").string(),
                                  "--queue-dir", (dir.path() / "queue").string(), "--users", (dir.path() / "users").string(),
                                  "--threads", "2", "--disk-threads", "16", "--max-connections-per-address", "1000"};
    for (const auto& arg : other_port_args("--smtp-port")) {
        args.push_back(arg);
    }
    constexpr int bursts = 3;
    constexpr int senders = 32;
    constexpr int answered_before_the_kill = 100;
    std::mutex mutex;
    std::set<std::string> accepted;
    std::atomic<int> next{0};
    for (int burst = 0; burst < bursts; ++burst) {
        Process server(chapter_program(), args);
        auto port = server.port("smtp");
        ASSERT_NE(port, 0) << server.log();
        std::atomic<int> answered{0};
        std::atomic<bool> killed{false};
        std::vector<std::thread> threads;
        for (int sender = 0; sender < senders; ++sender) {
            threads.emplace_back([&] {
                while (!killed) {
                    int number = next++;
                    std::string id = "<" + std::to_string(number) + "@burst.test>";
                    int code = send_unless_killed(port, "sender@client.test", "alice@localhost", "Message-ID: " + id + "\n\n" + body());
                    if (code == 250) {
                        std::lock_guard lock(mutex);
                        accepted.insert(id);
                        ++answered;
                    } else if (code != 0) {
                        ADD_FAILURE() << id << " got " << code;
                        return;
                    }
                }
            });
        }
        while (answered < answered_before_the_kill && !HasFailure()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        killed = true; // no sender starts another message
        server.send_signal(SIGKILL); // messages in every state: arriving, being written, synced, answered
        for (auto& thread : threads) {
            thread.join();
        }
        ASSERT_EQ(server.wait(), 128 + SIGKILL);
    }

    std::map<std::string, int> stored;
    for (const auto& file : new_messages(maildir(dir.path() / "mail", "localhost", "alice"))) {
        auto text = read_file(file);
        EXPECT_TRUE(text.ends_with("\n\n" + body())) << file << " is cut short";
        ++stored[message_id_in(text)];
    }
    for (const auto& id : accepted) {
        EXPECT_EQ(stored[id], 1) << id << " was answered 250";
    }
    for (const auto& [id, count] : stored) {
        EXPECT_EQ(count, 1) << id << " stored twice";
    }
    std::cout << accepted.size() << " messages answered 250 in " << bursts << " bursts of " << senders
              << " senders; " << stored.size() << " in new/, those and the ones stored whose answer the kill cut off\n";

    Process again(chapter_program(), args); // the files a kill left behind do not stop a start
    EXPECT_NE(again.port("smtp"), 0) << again.log();
    EXPECT_EQ(again.stop(), 0) << again.log();
}
