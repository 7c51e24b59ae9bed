// Chapter 17 end to end: a message for local and remote recipients, and the queue through
// kill -9 and restarts: nothing answered 250 is lost.
#include "relay/relay_e2e_testing.hpp"

#include <algorithm>
#include <csignal>
#include <iostream>
#include <random>
#include <set>
#include <thread>

TEST(Relay, MixedEnvelopeDeliversLocallyAndRelaysTheRest) {
    Dnsmasq dns(zone);
    RemoteServer remote("127.0.0.2");
    ChapterServer server(relaying(dns, remote.port));
    LineClient client(server.port("smtp"));
    read_reply(client);
    command(client, "EHLO client.test");
    ASSERT_EQ(send_message(client, "alice@localhost", {"carol@localhost", "bob@example.test"}, text).code, 250);
    ASSERT_EQ(local_inbox(server, "carol").size(), 1U); // on disk before the 250
    EXPECT_TRUE(eventually([&] { return remote.inbox("bob").size() == 1; })) << server.log();
    EXPECT_TRUE(read_file(local_inbox(server, "carol").front()).ends_with(text));
}

TEST(Relay, QueueSurvivesKillAndRestart) {
    Dnsmasq dns(zone);
    TempDir dir;
    // The same directories every time; the MX host at `mx_port`.
    auto arguments = [&](std::uint16_t mx_port) { return relaying_from(dir.path(), dns, mx_port); };
    {
        HeldPort mx_down("127.0.0.2"); // bound, not listening: the MX host is down
        Process first(chapter_program(), arguments(mx_down.port()));
        for (int i = 0; i < 20; ++i) {
            std::string numbered = "Message-ID: <" + std::to_string(i) + "@test>\n\nnumber " + std::to_string(i) + "\n";
            ASSERT_EQ(send(first.port("smtp"), "alice@localhost", "bob@example.test", numbered).code, 250);
        }
        first.send_signal(SIGKILL);
        first.wait();
    }
    // The MX host is back, at a port of its own that the restarted server is told.
    RemoteServer remote("127.0.0.2");
    Process second(chapter_program(), arguments(remote.port));
    second.port("smtp");
    ASSERT_TRUE(eventually([&] { return remote.inbox("bob").size() == 20; }, 30s)) << second.log();
    std::set<std::string> ids;
    for (const auto& file : remote.inbox("bob")) {
        auto stored = read_file(file);
        ids.insert(stored.substr(stored.find("Message-ID: "), stored.find('\n', stored.find("Message-ID: "))));
    }
    EXPECT_EQ(ids.size(), 20U);
    EXPECT_TRUE(eventually([&] { return files_in(dir.path() / "queue" / "envelopes").empty(); }));
    EXPECT_EQ(second.stop(), 0) << second.log();
}

// RFC 5321 6.1 under fire: kill -9 at random moments while 24 messages arrive, half for a
// local mailbox and half relayed, restarting on the same directories after each kill. Every
// message answered 250 arrives exactly once locally, or at least once remotely (a kill between
// the remote server's 250 and our queue update may send it twice, which RFC 5321 6.1 prefers
// to losing it); no file in new/ is cut short; the queue ends empty.
TEST(RelayCrashSafety, KillNineDuringLoadLosesNothing) {
    Dnsmasq dns(zone);
    RemoteServer remote("127.0.0.2");
    TempDir dir;
    auto args = relaying_from(dir.path(), dns, remote.port);
    constexpr int messages = 24; // a few seconds, and several kills
    std::mt19937 random(std::random_device{}());
    std::set<std::string> accepted_local;
    std::set<std::string> accepted_remote;
    int sent = 0;
    int kills = 0;
    while (sent < messages) {
        Process server(chapter_program(), args);
        auto port = server.port("smtp");
        ASSERT_NE(port, 0) << server.log();
        auto delay = std::chrono::milliseconds(200 + random() % 400);
        std::thread killer([&server, delay] {
            std::this_thread::sleep_for(delay);
            server.send_signal(SIGKILL);
        });
        for (; sent < messages; ++sent) {
            std::string id = "<" + std::to_string(sent) + "@crash.test>";
            bool local = sent % 2 == 0;
            std::string text = "Message-ID: " + id + "\nSubject: crash " + std::to_string(sent) + "\n\nbody\nend\n";
            int code = send_unless_killed(port, "sender@localhost", local ? "alice@localhost" : "bob@example.test", text);
            if (code == 0) {
                break; // killed before it answered: not ours to count
            }
            if (code != 250) {
                ADD_FAILURE() << "message " << sent << " got " << code;
                break;
            }
            (local ? accepted_local : accepted_remote).insert(id);
        }
        killer.join();
        server.wait();
        ++kills;
        ++sent; // the message in flight, whatever became of it, is not sent again
    }
    Process last(chapter_program(), args);
    ASSERT_NE(last.port("smtp"), 0) << last.log();
    auto remote_ids = [&] {
        std::multiset<std::string> ids;
        for (const auto& file : remote.inbox("bob")) {
            ids.insert(message_id_in(read_file(file)));
        }
        return ids;
    };
    EXPECT_TRUE(eventually(
        [&] {
            auto ids = remote_ids();
            return std::all_of(accepted_remote.begin(), accepted_remote.end(),
                               [&](const std::string& id) { return ids.count(id) > 0; });
        },
        60s))
        << last.log();
    EXPECT_TRUE(eventually([&] { return files_in(dir.path() / "queue" / "envelopes").empty(); }, 30s));
    EXPECT_EQ(last.stop(), 0) << last.log();
    EXPECT_EQ(files_in(dir.path() / "queue" / "messages"), std::vector<fs::path>{});
    EXPECT_EQ(files_in(dir.path() / "queue" / "tmp"), std::vector<fs::path>{}); // cleaned at start-up

    std::multiset<std::string> local_ids;
    for (const auto& file : new_messages(maildir(dir.path() / "mail", "localhost", "alice"))) {
        auto stored = read_file(file);
        EXPECT_TRUE(stored.ends_with("\n\nbody\nend\n")) << file << " is cut short:\n" << stored;
        local_ids.insert(message_id_in(stored));
    }
    for (const auto& id : accepted_local) {
        EXPECT_EQ(local_ids.count(id), 1U) << id;
    }
    for (const auto& id : local_ids) {
        EXPECT_EQ(local_ids.count(id), 1U) << id << " delivered twice";
    }
    auto ids = remote_ids();
    std::size_t duplicates = ids.size() - std::set<std::string>(ids.begin(), ids.end()).size();
    std::cout << kills << " kills; accepted " << accepted_local.size() << " local and " << accepted_remote.size()
              << " relayed messages; stored " << local_ids.size() << " locally and " << ids.size()
              << " remotely (" << duplicates << " relayed twice)\n";
}
