// A hostile POP3 client end to end. USER and PASS lines carrying CR, LF, NUL and the other
// control characters, or names that climb out of the Maildir root, log no one in and create no
// file; what they carry reaches the log only escaped, and a password not at all (--trace masks
// PASS). Every server here runs with -v and --trace, so it logs the most it can.
#include "user_command/user_testing.hpp"
#include "shared/testing/chapter.hpp"
#include "shared/testing/client.hpp"
#include "shared/testing/hostile.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace {

using namespace mailsteps::testing;
using namespace pop3::tests;
using namespace std::string_literals;

const std::string password = "correct horse";

// A server logging the most it can, with alice@localhost's account, that answers a failed
// login without the usual wait. Once constructed it has greeted a client, so it is done
// starting: whatever it makes on disk at start-up is there.
struct HostileServer : ChapterServer {
    HostileServer() : ChapterServer({"-v", "--trace"}) {
        add_user(*this, "alice@localhost", password);
        LineClient first(port("pop3"));
        EXPECT_TRUE(first.read_line());
    }
};

// The loopback address the i-th hostile connection comes from. The server stops an address
// after a few failed logins, as it should; a fresh address for each keeps that out of the way.
std::string loopback(std::size_t i) { return "127.0.0." + std::to_string(10 + i); }

// A connection that has read the greeting.
struct Pop3Client : LineClient {
    explicit Pop3Client(ChapterServer& server, const std::string& local_address = "")
        : LineClient(server.port("pop3"), "127.0.0.1", local_address) {
        EXPECT_EQ(read_line().value_or("").substr(0, 3), "+OK");
    }

    // Sends `lines` (each ended by CRLF, but they may hold bare CRs and LFs) and a NOOP, and
    // returns the answers before NOOP's. NOOP's says whether the session is logged in.
    struct Answers {
        std::vector<std::string> lines;
        bool logged_in = false;
    };
    Answers answers_to(const std::vector<std::string>& lines) {
        std::string bytes;
        for (const auto& line : lines) {
            bytes += line + "\r\n";
        }
        send(bytes + "NOOP\r\n");
        Answers answers;
        while (auto line = read_line()) {
            if (*line == "-ERR Log in first" || *line == "+OK Nothing happened") { // RFC 1939 5: NOOP
                answers.logged_in = line->starts_with("+OK");
                return answers;
            }
            answers.lines.push_back(*line);
        }
        ADD_FAILURE() << "no answer to the NOOP sent after " << escaped(bytes);
        return answers;
    }
};

// No one logged in, the last answer (PASS's) is an -ERR, and no answer carries a control
// character back to the client.
void expect_refused(const std::string& sent, const Pop3Client::Answers& answers) {
    EXPECT_FALSE(answers.logged_in) << escaped(sent);
    ASSERT_FALSE(answers.lines.empty()) << escaped(sent);
    EXPECT_TRUE(answers.lines.back().starts_with("-ERR ")) << escaped(sent) << ": " << answers.lines.back();
    for (const auto& line : answers.lines) {
        EXPECT_FALSE(line.starts_with("+OK Logged in")) << escaped(sent) << ": " << line;
        EXPECT_FALSE(has_control(line)) << escaped(sent) << ": " << escaped(line);
    }
}

// RFC 1939 7: USER names a maildrop, and a name with a control character names none. A server
// that cut the name at a NUL or dropped the CR would log these in as alice.
TEST(Pop3Hostile, ControlCharactersInUserLogNoOneInAndAreLoggedEscaped) {
    HostileServer server;
    const std::vector<std::string> names{
        "ali\rce", "alice\r", "alice\r" + injected, "\r" + injected, "alice@localhost\r" + injected,
        "ali\nce", "\n" + injected, "alice\0"s, "alice\0@localhost"s, "alice@localhost\0"s,
        "alice@local\0host"s, "alice\x1b[2J", "alice\x7f", "alice\t", "alice\x01@localhost",
        "alice\xc2\x9b" "2J", "bob\xe2\x80\xa9" + injected, "bob\xc2\x85" + injected,
    };
    for (std::size_t i = 0; i < names.size(); ++i) {
        const auto& name = names[i];
        Pop3Client client(server, loopback(i));
        auto user = "USER " + name;
        expect_refused(user, client.answers_to({user, "PASS " + password}));
        expect_traced(server.log(), user);
        if (name.find('\n') == std::string::npos) { // the failed login names the user as sent, escaped
            EXPECT_NE(server.log().find(" user=" + escaped(name) + " status=login-failed"), std::string::npos)
                << escaped(name);
        }
    }
    EXPECT_EQ(server.log().find(password), std::string::npos);
    expect_log_escaped(server.log());
    expect_clean_names(server.dir());
}

// --trace shows a PASS line as "PASS ****", whatever bytes it holds, and a password with a
// control character is nobody's: `mailserver user add` takes none with a NUL, and crypt(3) would
// stop at one, so a server that passed it on could let "correct horse\0x" in.
TEST(Pop3Hostile, ControlCharactersInPassLogNoOneInAndNeverShowThePassword) {
    HostileServer server;
    const std::vector<std::string> lines{
        "PASS " + password + "\r",
        "PASS " + password + "\r" + injected,
        "PASS \r" + password,
        "PASS " + password + "\0"s,
        "PASS " + password + "\0more"s,
        "PASS correct\0 horse"s,
        "PASS " + password + "\x7f",
        "PASS " + password + "\x1b",
        "pass " + password + "\r",
        "PaSs " + password + "\0"s,
        "PASS\t" + password,
        "PASS\r" + password,
        "PASS correct\nhorse", // a bare LF ends the line: PASS gets "correct", "horse" is a command
    };
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const auto& line = lines[i];
        Pop3Client client(server, loopback(i));
        expect_refused(line, client.answers_to({"USER alice", line}));
        EXPECT_NE(server.log().find("C: " + line.substr(0, 4) + " ****\n"), std::string::npos) << escaped(line);
    }
    auto log = server.log();
    EXPECT_EQ(log.find("correct"), std::string::npos) << log;
    EXPECT_EQ(log.find(password), std::string::npos) << log;
    expect_log_escaped(log);
    expect_clean_names(server.dir());
    // The account itself works: the refusals above were about the bytes, not the password.
    Pop3Client client(server);
    EXPECT_TRUE(client.answers_to({"USER alice", "PASS " + password}).logged_in);
}

// An account's address is a path below the Maildir root (mailsteps::mailbox_path): no name
// that climbs out, reaches into another mailbox or hides is an account, and a failed login
// opens nothing, so the disk stays as it was. Then alice logs in: the one Maildir that
// appears is hers.
TEST(Pop3Hostile, PathsInUserTouchNothingOnDisk) {
    HostileServer server;
    const auto before = names_under(server.dir());
    // Three levels up from <root>/localhost/ is the directory holding the test's own: a name
    // there that no other test uses shows whether anything escaped that far.
    const std::string escape = server.dir().filename().string() + "-escaped";
    const std::vector<std::string> names{
        "../../x@localhost", "a/b@localhost", "..@localhost", ".@localhost", ".alice@localhost",
        "alice/@localhost", "alice/../alice@localhost", "../alice", "../../../" + escape + "@localhost",
        "alice@localhost/", "alice@localhost/../localhost", "alice@../localhost", "alice@..",
        "x@../../" + escape, "alice@/tmp", "/etc/passwd", "/tmp/" + escape, "alice@localhost/alice",
        "alice@local/../host", "alice@@localhost", "alice@localhost@localhost", "alice:x@localhost",
    };
    for (std::size_t i = 0; i < names.size(); ++i) {
        Pop3Client client(server, loopback(i));
        expect_refused(names[i], client.answers_to({"USER " + names[i], "PASS " + password}));
    }
    EXPECT_EQ(names_under(server.dir()), before);
    EXPECT_FALSE(fs::exists(fs::symlink_status(server.dir().parent_path() / escape)));
    EXPECT_FALSE(fs::exists(fs::symlink_status("/tmp/" + escape)));

    Pop3Client client(server);
    ASSERT_TRUE(client.answers_to({"USER alice", "PASS " + password}).logged_in);
    for (const auto& name : names_under(server.dir())) {
        bool was_there = std::find(before.begin(), before.end(), name) != before.end();
        auto path = name.string();
        EXPECT_TRUE(was_there || path == "mail" || path == "mail/localhost" || path.starts_with("mail/localhost/alice"))
            << name;
    }
    EXPECT_TRUE(fs::is_directory(mailbox(server, "alice") / "new"));
    expect_log_escaped(server.log());
}

// RFC 1939 5 and 7: a message number is digits only. Arguments with control characters or
// paths are refused, and nothing is read or deleted.
TEST(Pop3Hostile, ControlCharactersAndPathsInMessageCommandsAreRefused) {
    HostileServer server;
    fs::create_directories(mailbox(server, "alice") / "new");
    std::ofstream(mailbox(server, "alice") / "new" / "1700000000.M1P1.test", std::ios::binary)
        << "Subject: one\n\nhi\n";
    Pop3Client client(server);
    ASSERT_TRUE(client.answers_to({"USER alice", "PASS " + password}).logged_in);
    const std::vector<std::string> lines{
        "RETR 1\r",   "RETR 1\0"s,       "RETR ../1",         "DELE 1\r" + injected, "DELE 1\0"s,
        "DELE ../1",  "TOP 1 0\r",       "TOP 1\r0",          "LIST 1\x1b",          "UIDL 1\t",
        "UIDL /etc/passwd",
    };
    for (const auto& line : lines) {
        auto answers = client.answers_to({line});
        EXPECT_TRUE(answers.logged_in) << escaped(line);
        ASSERT_EQ(answers.lines.size(), 1U) << escaped(line);
        EXPECT_TRUE(answers.lines[0].starts_with("-ERR ")) << escaped(line) << ": " << answers.lines[0];
        EXPECT_FALSE(has_control(answers.lines[0])) << escaped(answers.lines[0]);
        expect_traced(server.log(), line);
    }
    client.send_line("QUIT");
    EXPECT_EQ(client.read_line(), "+OK mailsteps POP3 server signing off (1 message left)");
    EXPECT_EQ(names_under(mailbox(server, "alice") / "new"), std::vector<fs::path>{"1700000000.M1P1.test"});
    expect_log_escaped(server.log());
    expect_clean_names(server.dir());
}

} // namespace
