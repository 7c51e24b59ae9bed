// Forwarding end to end (chapter 32 onwards): an alias forwards a stranger's message to
// aiosmtpd (found through dnsmasq) under an SRS sender of ours; the bounce sent back to that
// address reaches the original sender; python3-srs checks and makes the addresses.
#include "relay/relay_e2e_testing.hpp"
#include "user_command/user_testing.hpp"

#include <sys/stat.h>

#include <fstream>
#include <set>

namespace {

const std::string pysrs = MAILSTEPS_SOURCE_DIR "/tests/forwarding/pysrs.py";

void write_aliases(const ChapterServer& server, const std::string& text) {
    auto temporary = server.dir() / "aliases.new";
    std::ofstream(temporary) << text;
    fs::rename(temporary, server.dir() / "aliases");
}

// Where the server made its secret: var/srs-secret in the directory it runs in, by default.
fs::path secret_file(const ChapterServer& server) { return server.working_dir() / "var" / "srs-secret"; }

std::string secret_of(const ChapterServer& server) {
    auto secret = read_file(secret_file(server));
    return secret.substr(0, secret.find('\n'));
}

// python3-srs with the server's secret: "forward SENDER ALIAS" or "reverse ADDRESS".
RunResult pysrs_run(const ChapterServer& server, const std::vector<std::string>& args) {
    std::vector<std::string> all{pysrs, secret_of(server)};
    all.insert(all.end(), args.begin(), args.end());
    return run("/usr/bin/python3", all);
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    for (std::size_t start = 0, end; start < text.size(); start = end + 1) {
        end = text.find('\n', start);
        lines.push_back(text.substr(start, end - start));
    }
    return lines;
}

// What aiosmtpd got as message `number`: MAIL FROM, then each RCPT TO.
std::vector<std::string> envelope_of(const FakeMx& mx, int number) {
    auto lines = lines_of(read_file(mx.dir.path() / ("envelope-" + std::to_string(number))));
    lines.pop_back(); // "tls=..."
    return lines;
}

// Our server forwards fwd@localhost to bob@example.test, whose MX host is aiosmtpd, and to
// alice@localhost, its one account: other local addresses get no mail.
struct Forwarding : ::testing::Test {
    Dnsmasq dns{zone};
    FakeMx mx{"127.0.0.2", 0, ""};
    ChapterServer server{{"--dns-server", dns.server(), "--relay-port", std::to_string(mx.port)}};

    void SetUp() override {
        server.port("smtp"); // ready: the secret is made before the server listens
        pop3::tests::add_user(server, "alice@localhost", "tulip-7-Sky");
        write_aliases(server, "fwd@localhost: bob@example.test, alice@localhost\n");
    }

    Reply send_to(const std::string& from, const std::string& to) { return send(server.port("smtp"), from, to, text); }
};

} // namespace

// carol@example.test is a stranger here: her message leaves with an SRS sender of ours, which
// python3-srs, given our secret, turns back into her address. Alice's local copy keeps hers.
TEST_F(Forwarding, AStrangersSenderIsRewrittenAndAnotherImplementationReversesIt) {
    ASSERT_EQ(send_to("carol@example.test", "fwd@localhost").code, 250);
    ASSERT_TRUE(eventually([&] { return mx.received() == 1; })) << server.log();
    auto envelope = envelope_of(mx, 1);
    ASSERT_EQ(envelope.size(), 2U);
    EXPECT_TRUE(envelope[0].starts_with("SRS0=")) << envelope[0];
    EXPECT_TRUE(envelope[0].ends_with("=example.test=carol@localhost")) << envelope[0];
    EXPECT_EQ(envelope[1], "bob@example.test");
    auto reversed = pysrs_run(server, {"reverse", envelope[0]});
    EXPECT_EQ(reversed.out, "carol@example.test\n") << reversed.err;
    auto alice = new_messages(mailbox(server, "alice"));
    ASSERT_EQ(alice.size(), 1U);
    EXPECT_TRUE(read_file(alice[0]).starts_with("Return-Path: <carol@example.test>\n"));
    EXPECT_NE(server.log().find("local=1 queued=0 forwarded=1 as "), std::string::npos) << server.log();
}

// The bounce comes back to the SRS address, with the null sender, and goes on to Carol.
TEST_F(Forwarding, TheBounceToTheSrsAddressReachesTheOriginalSender) {
    ASSERT_EQ(send_to("carol@example.test", "fwd@localhost").code, 250);
    ASSERT_TRUE(eventually([&] { return mx.received() == 1; })) << server.log();
    auto srs_address = envelope_of(mx, 1)[0];
    LineClient client(server.port("smtp"));
    read_reply(client);
    command(client, "EHLO mx1.example.test");
    // Only a bounce goes back: with a sender, whoever saw the copy could relay through the address.
    command(client, "MAIL FROM:<bob@example.test>");
    auto refused = command(client, "RCPT TO:<" + srs_address + ">");
    EXPECT_TRUE(refused.code == 550 || refused.code == 553) << refused; // 553 when the hash holds a '/'
    EXPECT_EQ(mx.received(), 1U);
    command(client, "RSET");
    auto reply = send_message(client, "", {srs_address}, "Subject: Undelivered Mail\n\nbob is gone\n");
    ASSERT_EQ(reply.code, 250) << reply;
    ASSERT_TRUE(eventually([&] { return mx.received() == 2; })) << server.log();
    EXPECT_EQ(envelope_of(mx, 2), (std::vector<std::string>{"<>", "carol@example.test"}));
}

// An SRS address python3-srs made with our secret is one of ours too.
TEST_F(Forwarding, AnAddressTheOtherImplementationMadeIsReversed) {
    auto made = pysrs_run(server, {"forward", "dave@example.test", "fwd@localhost"});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    auto address = made.out.substr(0, made.out.find('\n'));
    ASSERT_EQ(send_to("", address).code, 250) << address;
    ASSERT_TRUE(eventually([&] { return mx.received() == 1; })) << server.log();
    EXPECT_EQ(envelope_of(mx, 1), (std::vector<std::string>{"<>", "dave@example.test"}));
}

// Without the secret nobody can make an address of ours that relays: a forged hash, another
// secret's address, and an address of our own too old are all unknown users here.
TEST_F(Forwarding, ForgedAndOldSrsAddressesAreRefused) {
    LineClient client(server.port("smtp"));
    read_reply(client);
    command(client, "EHLO client.test");
    command(client, "MAIL FROM:<>");
    EXPECT_EQ(command(client, "RCPT TO:<SRS0=AAAA=JZ=example.test=carol@localhost>").code, 550);
    auto other = run("/usr/bin/python3", {pysrs, "another secret", "forward", "carol@example.test", "x@localhost"});
    auto forged = other.out.substr(0, other.out.find('\n'));
    auto refused = command(client, "RCPT TO:<" + forged + ">");
    EXPECT_TRUE(refused.code == 550 || refused.code == 553) << forged << ": " << refused; // 553: a '/' in the hash
    // Day "AA" is day 0 of a 1024-day cycle: far more than 21 days from any day but a few.
    EXPECT_EQ(command(client, "RCPT TO:<SRS0=siCq=AA=example.test=carol@localhost>").code, 550);
    EXPECT_EQ(command(client, "RCPT TO:<SRS0=a/b+=JZ=example.test=carol@localhost>").code, 553); // no mailbox name
    EXPECT_EQ(mx.received(), 0U);
}

// Our own senders and the null sender of a bounce are passed on unchanged: SPF allows us to
// send for our domains, and a bounce has no sender to protect.
TEST_F(Forwarding, OurOwnAndTheNullSenderAreKept) {
    ASSERT_EQ(send_to("alice@localhost", "fwd@localhost").code, 250);
    ASSERT_EQ(send_to("", "fwd@localhost").code, 250);
    ASSERT_TRUE(eventually([&] { return mx.received() == 2; })) << server.log();
    std::set<std::vector<std::string>> envelopes{envelope_of(mx, 1), envelope_of(mx, 2)};
    EXPECT_EQ(envelopes, (std::set<std::vector<std::string>>{{"alice@localhost", "bob@example.test"},
                                                             {"<>", "bob@example.test"}}));
}

// The secret is made once, readable by the server's user alone, and kept: an address made
// before a restart is still reversed after it.
TEST_F(Forwarding, TheSecretSurvivesARestart) {
    ASSERT_EQ(send_to("carol@example.test", "fwd@localhost").code, 250);
    struct stat status {};
    ASSERT_EQ(::stat(secret_file(server).c_str(), &status), 0);
    EXPECT_EQ(status.st_mode & 0777, 0600U);
    ASSERT_TRUE(eventually([&] { return mx.received() == 1; })) << server.log();
    auto srs_address = envelope_of(mx, 1)[0];
    ChapterServer restarted({"--dns-server", dns.server(), "--relay-port", std::to_string(mx.port), "--srs-secret",
                             secret_file(server).string()});
    ASSERT_EQ(send(restarted.port("smtp"), "", srs_address, text).code, 250) << srs_address;
    ASSERT_TRUE(eventually([&] { return mx.received() == 2; })) << restarted.log();
    EXPECT_EQ(envelope_of(mx, 2), (std::vector<std::string>{"<>", "carol@example.test"}));
}
