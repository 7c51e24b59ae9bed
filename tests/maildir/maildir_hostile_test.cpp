// A hostile client end to end, from chapter 08, where what it sends could reach a stored file.
// CR, LF, NUL and the other control characters it slips into a command never reach a header
// the server writes, a log line unescaped, or a file name; and no address, however it is
// spelled, makes the server write outside its Maildir root. Every server here runs with -v and
// --trace, so it logs the most it can, every line it receives included.
#include "smtp/smtp_hostile.hpp"
#include "smtp/smtp_testing.hpp"

#include "shared/testing/chapter.hpp"
#include "shared/testing/hostile.hpp"

#include <gtest/gtest.h>

#include <set>

namespace {

using namespace mailsteps::testing;
using namespace smtp::tests;
using namespace std::string_literals;

const std::vector<std::string> log_everything{"-v", "--trace"};

// What the server wrote in front of the message `text` in the Maildir file `file`: one
// Return-Path: and one Received: header, and nothing else.
std::string expect_clean_trace_headers(const fs::path& file, const std::string& text) {
    auto stored = read_file(file);
    EXPECT_TRUE(stored.ends_with(text)) << stored;
    auto ours = stored.substr(0, stored.size() - std::min(stored.size(), text.size()));
    EXPECT_EQ(count_trace_headers(ours), std::make_pair(1, 1)) << escaped(ours);
    return ours;
}

// The stored copy of the message whose text (as sent) is `text`, or an empty path.
fs::path stored_copy(const fs::path& maildir, const std::string& text) {
    for (const auto& file : new_messages(maildir)) {
        if (read_file(file).ends_with(text)) {
            return file;
        }
    }
    return {};
}

// A connection that has read the greeting and said HELO first.test: what a refused HELO or
// EHLO must leave in place.
struct Greeted : LineClient {
    explicit Greeted(ChapterServer& server) : LineClient(server.port("smtp")) {
        EXPECT_EQ(read_reply(*this).code, 220);
        EXPECT_EQ(command(*this, "HELO first.test").code, 250);
    }
};

// RFC 5321 4.1.1.1: the HELO/EHLO name goes into the Received: header, so a name with a
// control character is refused and the name said before stays. (A bare LF ends the line: the
// name before it is a fine one, and the text after it an unknown command.)
TEST(SmtpHostile, ControlCharactersInHeloNeverReachTheReceivedHeader) {
    ChapterServer server(log_everything);
    const std::vector<std::string> names{
        "evil\r" + injected, "evil\n" + injected, "evil\0"s + injected, "evil\r",
        "evil\x0b" + injected, "evil\x0c" + injected, "evil\x1b[2J" + injected, "evil\x7f" + injected,
        "evil\t" + injected, "evil\x85" + injected, "evil\xc2\x85" + injected, "evil\xe2\x80\xa8" + injected,
    };
    int number = 0;
    for (std::string verb : {"HELO ", "EHLO "}) {
        for (const auto& name : names) {
            auto line = verb + name;
            Greeted client(server);
            expect_refused(line, replies_to(client, line));
            auto text = "Subject: after hello " + std::to_string(++number) + "\n\nhi\n";
            ASSERT_EQ(send_message(client, "alice@example.test", {"bob@localhost"}, text).code, 250) << escaped(line);
            auto file = stored_copy(mailbox(server, "bob"), text);
            ASSERT_FALSE(file.empty()) << escaped(line);
            auto received = split_stored(expect_clean_trace_headers(file, text)).received;
            auto said = line.find('\n') == std::string::npos ? "first.test" : "evil";
            EXPECT_TRUE(received.starts_with("Received: from "s + said + " ([127.0.0.1])")) << escaped(received);
            expect_traced(server.log(), line);
        }
    }
    expect_log_escaped(server.log());
    expect_clean_names(server.dir());
}

// RFC 5321 4.1.2: neither a Dot-string nor a Quoted-string (nor a quoted pair in it) may hold a
// control character, nor may a domain or a parameter; the sender goes into Return-Path:.
TEST(SmtpHostile, ControlCharactersInMailFromNeverReachTheReturnPath) {
    ChapterServer server(log_everything);
    const std::vector<std::string> lines{
        "MAIL FROM:<a\r" + injected + "@example.test>",
        "MAIL FROM:<a\n" + injected + "@example.test>",
        "MAIL FROM:<a\0"s + injected + "@example.test>",
        "MAIL FROM:<a\x1b" + injected + "@example.test>",
        "MAIL FROM:<a\x7f@example.test>",
        "MAIL FROM:<\"a\r" + injected + "\"@example.test>",
        "MAIL FROM:<\"a\n" + injected + "\"@example.test>",
        "MAIL FROM:<\"a\0"s + injected + "\"@example.test>",
        "MAIL FROM:<\"a\\\r" + injected + "\"@example.test>",
        "MAIL FROM:<\"a\\\0"s + injected + "\"@example.test>",
        "MAIL FROM:<\"a\t" + injected + "\"@example.test>",
        "MAIL FROM:<a@example.test\r" + injected + ">",
        "MAIL FROM:<a@exam\rple.test>",
        "MAIL FROM:<a@[127.0.0.1\r]>",
        "MAIL FROM:<@relay.test\r" + injected + ":a@example.test>",
        "MAIL FROM:<a@example.test>\r" + injected,
        "MAIL FROM:<a@example.test> SIZE=100\r" + injected,
        "MAIL FROM:<a@example.test> BODY=8BITMIME\x1b" + injected,
        "MAIL FROM:\r<a@example.test>",
    };
    for (std::size_t i = 0; i < lines.size(); ++i) {
        Greeted client(server);
        auto replies = replies_to(client, lines[i]);
        expect_refused(lines[i], replies);
        for (const auto& reply : replies) {
            EXPECT_GE(reply.code, 500) << escaped(lines[i]) << ": " << reply; // no MAIL was taken
        }
        auto text = "Subject: after mail " + std::to_string(i) + "\n\nhi\n";
        ASSERT_EQ(send_message(client, "alice@example.test", {"bob@localhost"}, text).code, 250) << escaped(lines[i]);
        auto file = stored_copy(mailbox(server, "bob"), text);
        ASSERT_FALSE(file.empty()) << escaped(lines[i]);
        auto headers = split_stored(expect_clean_trace_headers(file, text));
        EXPECT_EQ(headers.return_path, "Return-Path: <alice@example.test>");
        expect_traced(server.log(), lines[i]);
    }
    expect_log_escaped(server.log());
    expect_clean_names(server.dir());
}

// The same for recipients, which also name a directory on disk: none of these adds one.
TEST(SmtpHostile, ControlCharactersInRcptToNeverReachAHeaderOrAName) {
    ChapterServer server(log_everything);
    const std::vector<std::string> lines{
        "RCPT TO:<b\r" + injected + "@localhost>",
        "RCPT TO:<b\n" + injected + "@localhost>",
        "RCPT TO:<b\0"s + injected + "@localhost>",
        "RCPT TO:<b\x01" + injected + "@localhost>",
        "RCPT TO:<b\x7f@localhost>",
        "RCPT TO:<\"b\r" + injected + "\"@localhost>",
        "RCPT TO:<\"b\n" + injected + "\"@localhost>",
        "RCPT TO:<\"b\0"s + injected + "\"@localhost>",
        "RCPT TO:<\"b\\\r" + injected + "\"@localhost>",
        "RCPT TO:<\"b\\\n" + injected + "\"@localhost>",
        "RCPT TO:<\"b\x1f\"@localhost>",
        "RCPT TO:<b@local\rhost>",
        "RCPT TO:<b@localhost\r" + injected + ">",
        "RCPT TO:<b@localhost>\r" + injected,
        "RCPT TO:<b@localhost> NOTIFY=NEVER\r" + injected,
        "RCPT TO:<Postmaster>\r" + injected,
        "RCPT TO:<Postmaster@localhost\r>",
    };
    for (std::size_t i = 0; i < lines.size(); ++i) {
        Greeted client(server);
        ASSERT_EQ(command(client, "MAIL FROM:<alice@example.test>").code, 250);
        auto replies = replies_to(client, lines[i]);
        expect_refused(lines[i], replies);
        for (const auto& reply : replies) {
            EXPECT_GE(reply.code, 500) << escaped(lines[i]) << ": " << reply; // no recipient was added
        }
        ASSERT_EQ(command(client, "RCPT TO:<bob@localhost>").code, 250);
        ASSERT_EQ(command(client, "DATA").code, 354);
        auto text = "Subject: after rcpt " + std::to_string(i) + "\n\nhi\n";
        client.send(wire_data(text));
        ASSERT_EQ(read_reply(client).code, 250) << escaped(lines[i]);
        auto file = stored_copy(mailbox(server, "bob"), text);
        ASSERT_FALSE(file.empty()) << escaped(lines[i]);
        auto headers = split_stored(expect_clean_trace_headers(file, text));
        EXPECT_NE(headers.received.find(" for <bob@localhost>; "), std::string::npos) << escaped(headers.received);
        expect_traced(server.log(), lines[i]);
    }
    // Bob is the only mailbox: no recipient above made one of its own.
    EXPECT_EQ(files_in(mail_root(server) / "localhost"), std::vector<fs::path>{mailbox(server, "bob")});
    expect_log_escaped(server.log());
    expect_clean_names(server.dir());
}

// RFC 5321 4.1.2: a quoted local part may hold spaces, colons and angle brackets, so these are
// valid addresses and are taken; each stays inside its <...> in its one header line, and a
// recipient's names one directory right below the domain's.
TEST(SmtpHostile, AcceptedQuotedLocalPartsStayInsideTheirHeaderLine) {
    ChapterServer server(log_everything);
    LineClient client(server.port("smtp"));
    ASSERT_EQ(read_reply(client).code, 220);
    ASSERT_EQ(command(client, "EHLO client.test").code, 250);
    const std::string sender = "\"a " + injected + "\"@example.test";
    const std::vector<std::pair<std::string, std::string>> recipients{
        {"\"b " + injected + "\"@localhost", "b x-injected: yes"}, // path as sent, directory
        {"\"<c> \\\"d\\\"\"@localhost", "<c> \"d\""},
    };
    std::vector<std::string> paths;
    for (const auto& recipient : recipients) {
        paths.push_back(recipient.first);
    }
    const std::string text = "Subject: quoted\n\nhi\n";
    ASSERT_EQ(send_message(client, sender, paths, text).code, 250);
    for (const auto& [path, directory] : recipients) {
        auto files = new_messages(mail_root(server) / "localhost" / directory);
        ASSERT_EQ(files.size(), 1U) << path;
        auto headers = split_stored(expect_clean_trace_headers(files[0], text));
        EXPECT_EQ(headers.return_path, "Return-Path: <" + sender + ">");
        EXPECT_NE(headers.received.find(" for <" + path + ">; "), std::string::npos) << headers.received;
    }
    std::set<fs::path> directories;
    for (const auto& path : files_in(mail_root(server) / "localhost")) {
        directories.insert(path.filename());
    }
    EXPECT_EQ(directories, (std::set<fs::path>{"b x-injected: yes", "<c> \"d\""}));
    expect_log_escaped(server.log());
}

// A local part or domain is a directory name (mailsteps::mailbox_path): none may climb out of
// the Maildir root, reach into another mailbox, or hide. Refused at RCPT, so nothing is written.
TEST(SmtpHostile, PathTraversalInRecipientsTouchesNothingOutsideTheMaildirRoot) {
    ChapterServer server(log_everything);
    // Three levels up from <root>/localhost/ is the directory holding the test's own: a name
    // there that no other test uses shows whether anything escaped that far.
    const std::string escape = server.dir().filename().string() + "-escaped";
    const fs::path outside = server.dir().parent_path() / escape;
    const std::vector<std::string> recipients{
        "../../etc@localhost",
        "\"../../etc\"@localhost",
        "\"../../../" + escape + "\"@localhost",
        "a/b@localhost",
        "\"a/b\"@localhost",
        "a/../../../" + escape + "@localhost",
        "\"a/../../../" + escape + "\"@localhost",
        "bob/../carol@localhost",
        "\"bob/../carol\"@localhost",
        "\"..\"@localhost",
        "\".\"@localhost",
        "\".hidden\"@localhost",
        "\"\"@localhost",
        "\"/etc/passwd\"@localhost",
        "\"/tmp/" + escape + "\"@localhost",
        "x@localhost/../x",
        "x@localhost/..",
        "x@../../" + escape,
        "x@..",
        "x@.localhost",
        "x@local\\host",
        "x@[127.0.0.1/../x]",
        "\"x\"@\"localhost\"",
    };
    for (const auto& recipient : recipients) {
        Greeted client(server);
        ASSERT_EQ(command(client, "MAIL FROM:<alice@example.test>").code, 250);
        auto reply = command(client, "RCPT TO:<" + recipient + ">");
        // 553 5.1.3: an address, but not a mailbox name here; 501 5.1.3: not an address at all.
        EXPECT_TRUE(reply.last().starts_with("553 5.1.3 ") || reply.last().starts_with("501 5.1.3 "))
            << recipient << ": " << reply;
        EXPECT_EQ(command(client, "DATA").code, 554) << recipient; // RFC 5321 3.3: no valid recipient
    }
    Greeted client(server);
    ASSERT_EQ(send_message(client, "alice@example.test", {"bob@localhost"}, "Subject: only bob\n\nhi\n").code, 250);

    // All that was written in the Maildir root: bob's Maildir with its one message.
    std::vector<fs::path> expected{"localhost", "localhost/bob", "localhost/bob/cur", "localhost/bob/new",
                                   "localhost/bob/tmp"};
    for (const auto& file : new_messages(mailbox(server, "bob"))) {
        expected.push_back(file.lexically_relative(mail_root(server)));
    }
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(names_under(mail_root(server)), expected);
    // Beside it (where a later chapter keeps its queue) no file, and no directory named by a
    // recipient above.
    const std::set<std::string> named{"etc", "b", "carol", "x", "passwd", "hidden", ".hidden", escape};
    for (const auto& name : names_under(server.dir())) {
        if (*name.begin() != "mail") {
            EXPECT_TRUE(fs::is_directory(server.dir() / name)) << name;
            EXPECT_EQ(named.count(name.filename().string()), 0U) << name;
        }
    }
    EXPECT_FALSE(fs::exists(fs::symlink_status(outside))) << outside;
    EXPECT_FALSE(fs::exists(fs::symlink_status("/tmp/" + escape)));
    expect_log_escaped(server.log());
}

} // namespace
