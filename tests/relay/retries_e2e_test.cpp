// Chapter 18 end to end: the next MX host when one is down or will not talk to us, and a
// temporary failure tried again on the schedule.
#include "relay/relay_e2e_testing.hpp"

#include <iostream>
#include <memory>
#include <optional>

TEST(Relay, FirstMxDownSecondMxUsed) {
    Dnsmasq dns(zone);
    // Both MX hosts are tried at the second's port. On 127.0.0.2 the test holds that port without
    // listening, so the first is down; another test may have it there, then the second starts anew.
    std::unique_ptr<RemoteServer> second;
    std::optional<HeldPort> first_down;
    for (int attempt = 0; attempt < 10 && !first_down; ++attempt) {
        second = std::make_unique<RemoteServer>("127.0.0.3");
        try {
            first_down.emplace("127.0.0.2", second->port);
        } catch (const std::system_error& in_use) {
            std::cout << in_use.what() << ", trying another port\n";
        }
    }
    ASSERT_TRUE(first_down);
    ChapterServer server(relaying(dns, second->port));
    ASSERT_EQ(send(server.port("smtp"), "alice@localhost", "bob@example.test", text).code, 250);
    EXPECT_TRUE(eventually([&] { return second->inbox("bob").size() == 1; })) << server.log();
}

// RFC 5321 3.1: a 554 greeting says that server will not talk to us, not that the domain
// refuses the mail. The next MX host is tried, as Postfix's smtp_skip_5xx_greeting does.
TEST(Relay, A554GreetingMovesOnToTheNextMxHost) {
    Dnsmasq dns(zone);
    FakeMx mx("127.0.0.3", 0, "", {"--greet-554-on", "127.0.0.2"}); // mx2 takes mail; mx1, same port, greets 554
    ChapterServer server(relaying(dns, mx.port));
    ASSERT_EQ(send(server.port("smtp"), "alice@localhost", "bob@example.test", text).code, 250);
    ASSERT_TRUE(eventually([&] { return mx.received() == 1; })) << server.log() << mx.process.log();
    EXPECT_NE(mx.process.log().find("greeted a client with 554"), std::string::npos) << mx.process.log();
    EXPECT_TRUE(eventually([&] { return files_in(server.dir() / "queue" / "envelopes").empty(); })) << server.log();
    EXPECT_EQ(server.log().find("status=bounced"), std::string::npos) << server.log();
    EXPECT_TRUE(local_inbox(server, "alice").empty()); // no bounce
}

TEST(Relay, TemporaryFailuresAreRetriedThenDelivered) {
    Dnsmasq dns(zone);
    FakeMx mx("127.0.0.2", 2, "451 4.3.0 Try again later");
    ChapterServer server(relaying(dns, mx.port, {"--retry-schedule", "1s"}));
    ASSERT_EQ(send(server.port("smtp"), "alice@localhost", "bob@example.test", text).code, 250);
    ASSERT_TRUE(eventually([&] { return server.log().find("status=sent") != std::string::npos; })) << server.log();
    EXPECT_EQ(mx.received(), 1U);
    EXPECT_NE(server.log().find("status=deferred"), std::string::npos) << server.log();
    EXPECT_TRUE(local_inbox(server, "alice").empty()); // no bounce
}
