// Chapter 16 end to end: a message A cannot deliver now waits in the queue.
#include "relay/relay_e2e_testing.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>

TEST(Relay, DnsTimeoutDefersAndDoesNotBounce) {
    // A name server that never answers: a UDP socket nobody reads.
    asio::io_context io;
    asio::ip::udp::socket silent(io, {asio::ip::make_address("127.0.0.1"), 0});
    std::vector<std::string> args{"--relay-network", "127.0.0.1", "--dns-server",
                                  "127.0.0.1:" + std::to_string(silent.local_endpoint().port())};
    ChapterServer server(args);
    ASSERT_EQ(send(server.port("smtp"), "alice@localhost", "bob@example.test", text).code, 250);
    ASSERT_TRUE(eventually([&] { return server.log().find("status=deferred") != std::string::npos; })) << server.log();
    EXPECT_NE(server.log().find("DNS"), std::string::npos) << server.log();
    EXPECT_TRUE(local_inbox(server, "alice").empty());
    EXPECT_FALSE(files_in(server.dir() / "queue" / "envelopes").empty());
}
