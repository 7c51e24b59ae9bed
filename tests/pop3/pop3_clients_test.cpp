// End-to-end tests of the POP3 server with real clients: Python's poplib, curl, fetchmail and mutt
// fetch what SMTP delivered, or what a test wrote straight into a Maildir. What is checked is
// what a user sees: the listing, the bytes of each message against the file it came from, and
// which files are left once the client has quit.
#include "user_command/user_testing.hpp"
#include "smtp/smtp_testing.hpp"

#include "shared/testing/chapter.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace mailsteps::testing;
using namespace smtp::tests;
using namespace pop3::tests;

const std::string python = "/usr/bin/python3";
const std::string clients = MAILSTEPS_SOURCE_DIR "/tests/pop3/clients/";
const std::string smtplib_client = MAILSTEPS_SOURCE_DIR "/tests/smtp/clients/send_message.py";
const std::string password = "tulip-7-Sky";

// One message by SMTP, on a connection of its own.
void deliver(ChapterServer& server, const std::string& to, const std::string& text) {
    LineClient client(server.port("smtp"));
    ASSERT_EQ(read_reply(client).code, 220);
    ASSERT_EQ(command(client, "EHLO client.test").code, 250);
    auto reply = send_message(client, "sender@example.test", {to}, text);
    ASSERT_EQ(reply.code, 250) << reply;
}

// The messages of a Maildir: new/ and cur/.
std::vector<fs::path> messages_in(const fs::path& maildir) {
    auto files = files_in(maildir / "new");
    auto seen = files_in(maildir / "cur");
    files.insert(files.end(), seen.begin(), seen.end());
    return files;
}

// The contents of `files`, sorted: what a set of messages holds, whatever their names.
std::vector<std::string> contents_of(const std::vector<fs::path>& files) {
    std::vector<std::string> contents;
    for (const auto& file : files) {
        contents.push_back(read_file(file));
    }
    std::sort(contents.begin(), contents.end());
    return contents;
}

// The message file a UIDL id names (the file name up to any ":2,flags" suffix), if it exists.
std::optional<fs::path> file_with_uid(const fs::path& maildir, const std::string& uid) {
    for (const auto& file : messages_in(maildir)) {
        auto name = file.filename().string();
        if (name.substr(0, name.find(':')) == uid) {
            return file;
        }
    }
    return std::nullopt;
}

// The header section with the blank line after it: what TOP n 0 sends (RFC 1939 7).
std::string headers_of(const std::string& wire) { return wire.substr(0, wire.find("\r\n\r\n") + 4); }

// A header field's value in a message with CRLF lines ("" if it has no such field).
std::string header_value(const std::string& wire, const std::string& name) {
    auto headers = "\r\n" + headers_of(wire);
    auto at = headers.find("\r\n" + name + ": ");
    if (at == std::string::npos) {
        return "";
    }
    at += name.size() + 4;
    return headers.substr(at, headers.find("\r\n", at) - at);
}

// What pop3_session.py printed, one fact a line.
struct SessionReport {
    std::string login;
    std::optional<std::pair<std::uint64_t, std::uint64_t>> stat; // count, octets
    std::map<std::size_t, std::uint64_t> list;
    std::map<std::size_t, std::string> uidl;
    std::map<std::size_t, std::uint64_t> retrieved; // octets poplib counted
    std::string quit;
};

SessionReport parse_report(const std::vector<std::string>& lines) {
    SessionReport report;
    for (const auto& line : lines) {
        auto space = line.find(' ');
        auto fact = line.substr(0, space);
        auto rest = space == std::string::npos ? "" : line.substr(space + 1);
        std::istringstream values(rest);
        std::size_t number = 0;
        std::uint64_t octets = 0;
        std::string uid;
        if (fact == "login") {
            report.login = rest;
        } else if (fact == "stat" && values >> number >> octets) {
            report.stat = {number, octets};
        } else if (fact == "list" && values >> number >> octets) {
            report.list[number] = octets;
        } else if (fact == "uidl" && values >> number >> uid) {
            report.uidl[number] = uid;
        } else if (fact == "retr" && values >> number >> octets) {
            report.retrieved[number] = octets;
        } else if (fact == "quit") {
            report.quit = rest;
        }
    }
    return report;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

// One poplib session (pop3_session.py): every listing, every message into `out`, then DELE
// each of `deletions` and QUIT.
SessionReport poplib_session(std::uint16_t port, const std::string& user, const fs::path& out,
                             const std::vector<int>& deletions = {}) {
    std::vector<std::string> args{clients + "pop3_session.py", std::to_string(port), user, password, out.string()};
    for (int number : deletions) {
        args.insert(args.end(), {"--delete", std::to_string(number)});
    }
    auto session = run(python, args);
    EXPECT_EQ(session.exit_code, 0) << session.out << session.err;
    return parse_report(lines_of(session.out));
}

// Every message the session retrieved must be its Maildir file, byte for byte, as CRLF lines;
// LIST and poplib's count of octets must both give that size, and TOP n 0 its header section.
void expect_retrieved_equal_files(const SessionReport& report, const fs::path& maildir, const fs::path& out) {
    for (const auto& [number, uid] : report.uidl) {
        auto file = file_with_uid(maildir, uid);
        ASSERT_TRUE(file) << "no file for message " << number << ", uid " << uid;
        auto expected = crlf(read_file(*file));
        EXPECT_EQ(read_file(out / ("retr." + std::to_string(number))), expected) << "message " << number;
        EXPECT_EQ(report.retrieved.at(number), expected.size()) << "message " << number;
        EXPECT_EQ(report.list.at(number), expected.size()) << "message " << number;
        EXPECT_EQ(read_file(out / ("top." + std::to_string(number))), headers_of(expected)) << "message " << number;
    }
}

std::set<std::string> uids_of(const SessionReport& report) {
    std::set<std::string> uids;
    for (const auto& [number, uid] : report.uidl) {
        uids.insert(uid);
    }
    return uids;
}

std::string sample_message(const std::string& to, const std::string& subject) {
    return "From: Sender <sender@example.test>\nTo: " + to + "\nSubject: " + subject + "\n\nHello " + to +
           ",\n.this line starts with a dot\n\nregards\n";
}

// Sends `count` sample messages to alice@localhost over SMTP, subjects "<subject> 1" and on.
void deliver_to_alice(ChapterServer& server, int count, const std::string& subject) {
    for (int i = 1; i <= count; ++i) {
        deliver(server, "alice@localhost", sample_message("alice@localhost", subject + " " + std::to_string(i)));
    }
}

TEST(Pop3Clients, PoplibListsRetrievesAndDeletesWhatSmtpDelivered) {
    ChapterServer server;
    add_user(server, "alice@localhost", password);
    deliver_to_alice(server, 3, "message");
    auto alice = mailbox(server, "alice");
    ASSERT_EQ(messages_in(alice).size(), 3U);
    auto port = server.port("pop3");
    TempDir out;

    auto first = poplib_session(port, "alice@localhost", out.path() / "first");
    EXPECT_TRUE(first.login.starts_with("+OK")) << first.login;
    ASSERT_TRUE(first.stat);
    EXPECT_EQ(first.stat->first, 3U);
    std::uint64_t listed = 0;
    for (const auto& [number, octets] : first.list) {
        listed += octets;
    }
    EXPECT_EQ(first.stat->second, listed);
    ASSERT_EQ(first.list.size(), 3U);
    ASSERT_EQ(first.uidl.size(), 3U);
    EXPECT_EQ(uids_of(first).size(), 3U) << "the ids must be distinct";
    expect_retrieved_equal_files(first, alice, out.path() / "first");
    EXPECT_TRUE(first.quit.starts_with("+OK")) << first.quit;
    EXPECT_EQ(messages_in(alice).size(), 3U) << "QUIT without DELE removes nothing";

    // RFC 1939 7: the same ids in the next session; DELE 1 takes effect at QUIT.
    auto second = poplib_session(port, "alice@localhost", out.path() / "second", {1});
    EXPECT_EQ(second.uidl, first.uidl);
    EXPECT_TRUE(second.quit.starts_with("+OK")) << second.quit;
    EXPECT_FALSE(file_with_uid(alice, first.uidl.at(1))) << "message 1 was deleted";
    EXPECT_TRUE(file_with_uid(alice, first.uidl.at(2)));
    EXPECT_TRUE(file_with_uid(alice, first.uidl.at(3)));
    EXPECT_EQ(messages_in(alice).size(), 2U);
}

TEST(Pop3Clients, CurlListsAndRetrievesAMessage) {
    ChapterServer server;
    add_user(server, "alice@localhost", password);
    deliver_to_alice(server, 3, "curl");
    auto alice = mailbox(server, "alice");
    auto url = "pop3://127.0.0.1:" + std::to_string(server.port("pop3")) + "/";
    auto curl = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {"--silent", "--show-error", "--user", "alice@localhost:" + password});
        auto result = run("/usr/bin/curl", args);
        EXPECT_EQ(result.exit_code, 0) << result.err;
        return result.out;
    };

    // Without a message number curl sends LIST: "number size" lines.
    std::multiset<std::uint64_t> listed_sizes, file_sizes;
    std::map<std::size_t, std::uint64_t> listing;
    for (const auto& line : lines_of(curl({url}))) {
        std::istringstream words(line);
        std::size_t number = 0;
        std::uint64_t octets = 0;
        ASSERT_TRUE(words >> number >> octets) << line;
        listing[number] = octets;
        listed_sizes.insert(octets);
    }
    for (const auto& file : messages_in(alice)) {
        file_sizes.insert(crlf(read_file(file)).size());
    }
    EXPECT_EQ(listing.size(), 3U);
    EXPECT_EQ(listed_sizes, file_sizes);

    // curl -X UIDL: which file is message 2; then the URL's path picks the message for RETR.
    std::string uid;
    for (const auto& line : lines_of(curl({url, "--request", "UIDL"}))) {
        if (line.starts_with("2 ")) {
            uid = line.substr(2, line.find('\r') - 2);
        }
    }
    auto file = file_with_uid(alice, uid);
    ASSERT_TRUE(file) << "no file for message 2, uid '" << uid << "'";
    auto message = curl({url + "2"});
    EXPECT_EQ(message, crlf(read_file(*file)));
    EXPECT_EQ(message.size(), listing[2]);
}

// RFC 5321 4.4: fetchmail adds a Received: header of its own, "... with POP3 (fetchmail-6.4.37)",
// after the Return-Path:. The message without it, or nothing if there is no such header.
std::optional<std::string> without_fetchmail_received(const std::string& message) {
    auto header_end = message.find("\n\n");
    for (std::size_t at = 0; at < header_end;) {
        auto end = at;
        do { // RFC 5322 2.2.3: a field goes on over the lines that start with white space
            end = message.find('\n', end);
            end = end == std::string::npos ? message.size() : end + 1;
        } while (end < message.size() && (message[end] == ' ' || message[end] == '\t'));
        auto field = message.substr(at, end - at);
        if (field.starts_with("Received: ") && field.find(" with POP3 (fetchmail-") != std::string::npos) {
            return message.substr(0, at) + message.substr(end);
        }
        at = end;
    }
    return std::nullopt;
}

// Runs fetchmail once for alice, writing each message into `downloads` with a small MDA, which
// gets it on stdin with LF line ends (stripcr is on with an MDA). HOME is `home`, where fetchmail
// keeps .fetchids: the UIDL ids of the messages it has seen, which `keep` makes it remember.
// Without sslproto '' fetchmail sends STLS even though CAPA does not offer it, and gives up when
// refused. Exit code 0: mail was fetched; 1: there was none to fetch.
RunResult run_fetchmail(ChapterServer& server, const TempDir& home, const fs::path& downloads, bool keep) {
    fs::create_directories(downloads);
    auto rcfile = home.path() / "fetchmailrc";
    std::ofstream(rcfile) << "set no bouncemail\n"
                          << "poll 127.0.0.1 with protocol pop3 and port " << server.port("pop3")
                          << " and timeout 30:\n"
                          << "    user \"alice@localhost\" with password \"" << password << "\" is \"" << local_user()
                          << "\" here\n"
                          << "    sslproto ''\n"
                          << "    no rewrite\n"
                          << (keep ? "    keep\n" : "")
                          << "    mda \"/bin/sh -c 'cat > " << downloads.string() << "/message.$$'\"\n";
    fs::permissions(rcfile, fs::perms::owner_read | fs::perms::owner_write); // fetchmail insists
    return run("/usr/bin/env", {"HOME=" + home.path().string(), "/usr/bin/fetchmail", "--nosyslog", "--fetchmailrc",
                                rcfile.string(), "--pidfile", (home.path() / "fetchmail.pid").string()});
}

TEST(Pop3Clients, FetchmailDownloadsEveryMessageAndEmptiesTheMaildrop) {
    ChapterServer server;
    add_user(server, "alice@localhost", password);
    deliver_to_alice(server, 5, "fetchmail");
    auto alice = mailbox(server, "alice");
    auto originals = contents_of(messages_in(alice));
    ASSERT_EQ(originals.size(), 5U);

    TempDir home;
    auto downloads = home.path() / "downloads";
    auto fetched = run_fetchmail(server, home, downloads, false);
    ASSERT_EQ(fetched.exit_code, 0) << fetched.out << fetched.err << server.log();

    // Every original must arrive exactly once, unchanged but for fetchmail's own Received:.
    auto files = files_in(downloads);
    EXPECT_EQ(files.size(), originals.size());
    std::vector<std::string> downloaded;
    for (const auto& file : files) {
        auto download = without_fetchmail_received(read_file(file));
        ASSERT_TRUE(download) << "no Received: header from fetchmail in " << file << ":\n" << read_file(file);
        downloaded.push_back(*download);
    }
    for (const auto& original : originals) {
        EXPECT_EQ(std::count(downloaded.begin(), downloaded.end(), original), 1) << original;
    }
    EXPECT_TRUE(messages_in(alice).empty()) << "without 'keep' fetchmail deletes what it delivered";
}

// RFC 1939 7: a message keeps its UIDL id from session to session, so fetchmail with `keep`
// leaves the messages on the server and fetches only the new ones the next time.
TEST(Pop3Clients, FetchmailWithKeepFetchesOnlyWhatIsNew) {
    ChapterServer server;
    add_user(server, "alice@localhost", password);
    deliver_to_alice(server, 3, "kept");
    auto alice = mailbox(server, "alice");
    TempDir home;

    auto first = run_fetchmail(server, home, home.path() / "first", true);
    ASSERT_EQ(first.exit_code, 0) << first.out << first.err << server.log();
    EXPECT_EQ(files_in(home.path() / "first").size(), 3U);
    EXPECT_EQ(messages_in(alice).size(), 3U) << "keep: nothing is deleted";

    deliver_to_alice(server, 1, "new");
    auto second = run_fetchmail(server, home, home.path() / "second", true);
    ASSERT_EQ(second.exit_code, 0) << second.out << second.err << server.log();
    auto fetched = files_in(home.path() / "second");
    ASSERT_EQ(fetched.size(), 1U) << second.out << second.err;
    EXPECT_NE(read_file(fetched[0]).find("\nSubject: new 1\n"), std::string::npos) << read_file(fetched[0]);

    auto third = run_fetchmail(server, home, home.path() / "third", true);
    EXPECT_EQ(third.exit_code, 1) << "nothing new to fetch\n" << third.out << third.err;
    EXPECT_TRUE(files_in(home.path() / "third").empty());
    EXPECT_EQ(messages_in(alice).size(), 4U);
}

// mutt is a full-screen program and needs a terminal: script(1) gives it one. `settings` is its
// configuration (-n: no system muttrc) after the common part, ending with the keys it is to
// "type" (push) and quit. HOME is `home`, so whatever mutt keeps of its own stays there.
// mutt 2.2 sets ssl_force_tls by default: it sends STLS although CAPA does not offer it, and
// gives up when refused (as fetchmail does without sslproto ''). These tests are about POP3 in
// the clear, so mutt does not start TLS even where the server offers it (chapter 29 on), where
// tests/pop3_tls/ runs mutt over TLS.
RunResult run_mutt(const TempDir& home, const std::string& settings) {
    auto muttrc = home.path() / "muttrc";
    std::ofstream(muttrc) << "set ssl_force_tls = no\n"
                          << "set ssl_starttls = no\n"
                          << "set folder = \"" << home.path().string() << "\"\n"
                          << "set record = \"\"\n" // keep no copy of what is sent
                          << "set mbox_type = Maildir\n"
                          << "set pop_pass = \"" << password << "\"\n"
                          << settings;
    return run("/usr/bin/env", {"HOME=" + home.path().string(), "TERM=xterm", "/usr/bin/script", "--quiet",
                                "--return", "--command", "mutt -n -F '" + muttrc.string() + "'", "/dev/null"});
}

// mutt's URL for alice's maildrop; the @ inside the user name is written %40 (RFC 3986 2.1).
std::string mutt_pop_url(ChapterServer& server) {
    return "pop://alice%40localhost@127.0.0.1:" + std::to_string(server.port("pop3")) + "/";
}

// A copy mutt made, without the two header fields it writes itself, Content-Length: and Lines:.
std::string without_mutts_fields(const std::string& copy) {
    auto body_at = copy.find("\n\n");
    std::string header;
    for (const auto& line : lines_of(copy.substr(0, body_at + 1))) {
        if (!line.starts_with("Content-Length: ") && !line.starts_with("Lines: ")) {
            header += line + "\n";
        }
    }
    return header + copy.substr(body_at + 1);
}

// fetch-mail (the G key) downloads every message into the spool mailbox, here a Maildir, and
// with pop_delete deletes each one on the server. mutt stores them as they came, LF lines.
TEST(Pop3Clients, MuttFetchesEveryMessageAndDeletesItOnTheServer) {
    ChapterServer server;
    add_user(server, "alice@localhost", password);
    deliver_to_alice(server, 3, "mutt");
    auto alice = mailbox(server, "alice");
    auto originals = contents_of(messages_in(alice));
    ASSERT_EQ(originals.size(), 3U);

    TempDir home;
    auto inbox = home.path() / "inbox";
    for (const char* part : {"cur", "new", "tmp"}) {
        fs::create_directories(inbox / part);
    }
    auto fetched = run_mutt(home, "set spoolfile = \"" + inbox.string() + "\"\n"
                                  "set pop_host = \"" + mutt_pop_url(server) + "\"\n"
                                  "set pop_delete = yes\n"
                                  "push \"<fetch-mail><quit>\"\n");
    ASSERT_EQ(fetched.exit_code, 0) << fetched.out << server.log();

    EXPECT_EQ(contents_of(messages_in(inbox)), originals) << "mutt's screen:\n" << fetched.out;
    EXPECT_TRUE(messages_in(alice).empty()) << "pop_delete: mutt deletes what it fetched\n" << server.log();
}

// Opened as a folder, the maildrop is read the way mutt reads any POP3 mailbox: UIDL for the
// ids, TOP n 0 for the index's headers, RETR for a message it needs whole. Here it copies every
// message into a local Maildir, then leaves (<exit>: nothing deleted).
TEST(Pop3Clients, MuttOpensTheMaildropAsAFolderAndCopiesEveryMessage) {
    ChapterServer server({"--trace"});
    add_user(server, "alice@localhost", password);
    deliver_to_alice(server, 3, "mutt folder");
    auto alice = mailbox(server, "alice");
    auto files = messages_in(alice);
    auto originals = contents_of(files);
    ASSERT_EQ(originals.size(), 3U);

    TempDir home;
    auto copies = home.path() / "copies";
    auto session = run_mutt(home, "set spoolfile = \"" + mutt_pop_url(server) + "\"\n"
                                  "set confirmcreate = no\n"
                                  "push \"<tag-pattern>~A<enter><tag-prefix><copy-message>" + copies.string() +
                                  "<enter><exit>\"\n");
    ASSERT_EQ(session.exit_code, 0) << session.out << server.log();

    std::vector<std::string> copied;
    for (const auto& copy : contents_of(messages_in(copies))) {
        copied.push_back(without_mutts_fields(copy));
    }
    std::sort(copied.begin(), copied.end());
    EXPECT_EQ(copied, originals);
    for (const char* used : {"C: UIDL", "C: TOP 1 0", "C: RETR 3"}) {
        EXPECT_NE(server.log().find(used), std::string::npos) << used << " not in the trace:\n" << server.log();
    }
    EXPECT_EQ(messages_in(alice), files) << "<exit> leaves the maildrop as it was";
}

// Everything that makes byte-exactness hard, as CRLF lines: dots at the start of a line, a
// lone dot, empty lines, trailing white space, a line of the longest allowed length (RFC 5322
// 2.1.1: 998 octets), 8-bit UTF-8 (RFC 6152).
std::string tricky_message() {
    return "From: Alice <alice@example.test>\r\n"
           "To: alice@localhost\r\n"
           "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n"
           "MIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n"
           "Content-Transfer-Encoding: 8bit\r\n"
           "\r\n"
           "Grüße aus Köln, naïve café ✓\r\n"
           "\r\n"
           ".one dot\r\n"
           "..two dots\r\n"
           ".\r\n"
           "trailing spaces   \r\n"
           "a trailing tab\t\r\n"
           "\r\n"
           "\r\n" +
           std::string(998, 'x') + "\r\n"
           "the end\r\n";
}

TEST(Pop3Clients, SmtpToPop3RoundTripIsByteExact) {
    ChapterServer server;
    add_user(server, "alice@localhost", password);
    auto sent = run(python, {smtplib_client, std::to_string(server.port("smtp")), "alice@example.test",
                             "alice@localhost"},
                    tricky_message());
    ASSERT_EQ(sent.exit_code, 0) << sent.out << sent.err;
    auto id = queue_id(sent.out);
    ASSERT_FALSE(id.empty()) << sent.out;

    TempDir out;
    auto report = poplib_session(server.port("pop3"), "alice@localhost", out.path());
    ASSERT_EQ(report.retrieved.size(), 1U);
    auto retrieved = read_file(out.path() / "retr.1");
    EXPECT_EQ(report.retrieved[1], retrieved.size()) << "poplib saw a line without CRLF";
    EXPECT_EQ(report.list[1], retrieved.size());

    // RFC 5321 4.4: the server's Return-Path: and Received: (maybe folded), then what was sent.
    const std::string return_path = "Return-Path: <alice@example.test>\r\n";
    ASSERT_TRUE(retrieved.starts_with(return_path + "Received: from client.test ([127.0.0.1])")) << retrieved;
    auto end_of_received = retrieved.find("\r\n", return_path.size());
    while (end_of_received != std::string::npos &&
           (retrieved[end_of_received + 2] == ' ' || retrieved[end_of_received + 2] == '\t')) {
        end_of_received = retrieved.find("\r\n", end_of_received + 2);
    }
    ASSERT_NE(end_of_received, std::string::npos);
    auto received = retrieved.substr(return_path.size(), end_of_received - return_path.size());
    EXPECT_NE(received.find(" id " + id), std::string::npos) << received;
    EXPECT_EQ(retrieved.substr(end_of_received + 2), tricky_message());
}

// Maildir names like the server's own (<seconds>.M<n>P<pid>.<host>), written straight into new/.
std::vector<std::string> write_bulk_mailbox(const fs::path& maildir, int count, std::size_t message_size) {
    fs::create_directories(maildir / "new");
    std::vector<std::string> names;
    auto seconds = std::to_string(std::time(nullptr));
    for (int i = 0; i < count; ++i) {
        std::string text = "From: bulk@example.test\nTo: alice@localhost\nSubject: bulk " + std::to_string(i) +
                           "\n\n";
        while (text.size() < message_size) {
            auto letter = static_cast<char>('a' + i % 26);
            text += std::string(std::min<std::size_t>(63, message_size - text.size() - 1), letter) + "\n";
        }
        names.push_back(seconds + ".M" + std::to_string(i) + "P" + std::to_string(::getpid()) + ".test");
        std::ofstream(maildir / "new" / names.back(), std::ios::binary) << text;
    }
    return names;
}

// A multi-line POP3 response's lines, up to the terminating "." (none if the status is not +OK).
std::vector<std::string> read_multiline(LineClient& client) {
    std::vector<std::string> lines;
    auto status = client.read_line();
    EXPECT_TRUE(status && status->starts_with("+OK")) << status.value_or("<no response>");
    if (!status || !status->starts_with("+OK")) {
        return lines;
    }
    while (auto line = client.read_line()) {
        if (*line == ".") {
            return lines;
        }
        lines.push_back(*line);
    }
    ADD_FAILURE() << "the multi-line response did not end; " << lines.size() << " lines came";
    return lines;
}

// A mailbox of thousands: every message listed once, in order, with its own UID and size.
TEST(Pop3Clients, ThousandsOfMessagesAreListedWithTheirSizesAndUids) {
    constexpr int count = 1'000;
    ChapterServer server;
    add_user(server, "alice@localhost", password);
    auto alice = mailbox(server, "alice");
    auto names = write_bulk_mailbox(alice, count, 1024);
    std::map<std::string, std::uint64_t> wire_sizes; // by file name
    std::uint64_t total = 0;
    for (const auto& name : names) {
        total += wire_sizes[name] = crlf(read_file(alice / "new" / name)).size();
    }

    using Clock = std::chrono::steady_clock;
    auto milliseconds = [](Clock::duration elapsed) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
    };
    LineClient client(server.port("pop3"));
    ASSERT_TRUE(client.read_line().value_or("").starts_with("+OK"));
    client.send_line("USER alice@localhost");
    ASSERT_TRUE(client.read_line().value_or("").starts_with("+OK"));
    auto start = Clock::now();
    client.send_line("PASS " + password); // the server lists the maildrop before it answers
    auto login = client.read_line(30s);
    auto login_time = Clock::now() - start;
    ASSERT_TRUE(login && login->starts_with("+OK")) << login.value_or("<no response>");

    start = Clock::now();
    client.send_line("STAT");
    auto stat = client.read_line();
    auto stat_time = Clock::now() - start;
    EXPECT_EQ(stat, "+OK " + std::to_string(count) + " " + std::to_string(total));

    start = Clock::now();
    client.send_line("UIDL");
    auto uidl = read_multiline(client);
    auto uidl_time = Clock::now() - start;
    client.send_line("LIST");
    auto list = read_multiline(client);
    ASSERT_EQ(uidl.size(), std::size_t{count});
    ASSERT_EQ(list.size(), std::size_t{count});
    // RFC 1939 7: ids of at most 70 printable characters; these names qualify as they are. Each
    // message's LIST size is its file's, as CRLF lines.
    std::set<std::string> uids;
    for (std::size_t i = 0; i < uidl.size(); ++i) {
        auto number = std::to_string(i + 1) + " ";
        ASSERT_TRUE(uidl[i].starts_with(number)) << uidl[i];
        ASSERT_TRUE(list[i].starts_with(number)) << list[i];
        auto uid = uidl[i].substr(number.size());
        uids.insert(uid);
        EXPECT_EQ(list[i].substr(number.size()), std::to_string(wire_sizes[uid])) << uid;
    }
    EXPECT_EQ(uids, std::set<std::string>(names.begin(), names.end()));
    client.send_line("QUIT");
    EXPECT_TRUE(client.read_line().value_or("").starts_with("+OK"));
    std::cout << count << "-message mailbox: login " << milliseconds(login_time) << " ms, STAT "
              << milliseconds(stat_time) << " ms, UIDL " << milliseconds(uidl_time) << " ms\n";
}

TEST(Pop3Clients, SixUsersAtOnceEachSeeOnlyTheirOwnMail) {
    constexpr int users = 6;
    constexpr int messages = 3;
    ChapterServer server({"--threads", "4"});
    auto user_name = [](int user) { return "user" + std::to_string(user); };
    auto subject = [&](int user, int message) { return "for " + user_name(user) + " #" + std::to_string(message); };
    for (int user = 1; user <= users; ++user) {
        add_user(server, user_name(user) + "@localhost", password);
    }
    for (int message = 1; message <= messages; ++message) {
        for (int user = 1; user <= users; ++user) {
            auto to = user_name(user) + "@localhost";
            deliver(server, to, sample_message(to, subject(user, message)));
        }
    }

    TempDir out;
    std::vector<std::string> args{clients + "concurrent_sessions.py", std::to_string(server.port("pop3")),
                                  out.path().string(), "--delete", "2"};
    for (int user = 1; user <= users; ++user) {
        args.push_back(user_name(user) + "@localhost:" + password);
    }
    auto sessions = run(python, args);
    ASSERT_EQ(sessions.exit_code, 0) << sessions.out << sessions.err << server.log();

    std::map<std::string, std::vector<std::string>> report_lines; // by user
    for (const auto& line : lines_of(sessions.out)) {
        auto space = line.find(' ');
        report_lines[line.substr(0, space)].push_back(line.substr(space + 1));
    }
    for (int user = 1; user <= users; ++user) {
        SCOPED_TRACE(user_name(user));
        auto address = user_name(user) + "@localhost";
        auto report = parse_report(report_lines[address]);
        auto maildir = mailbox(server, user_name(user));
        ASSERT_EQ(report.uidl.size(), std::size_t{messages});
        std::set<std::string> expected, seen;
        for (int message = 1; message <= messages; ++message) {
            expected.insert(subject(user, message));
        }
        for (const auto& [number, uid] : report.uidl) {
            seen.insert(header_value(read_file(out.path() / address / ("retr." + std::to_string(number))), "Subject"));
        }
        EXPECT_EQ(seen, expected);
        EXPECT_TRUE(report.quit.starts_with("+OK")) << report.quit;
        EXPECT_FALSE(file_with_uid(maildir, report.uidl[2])) << "message 2 was deleted";
        EXPECT_TRUE(file_with_uid(maildir, report.uidl[1]));
        EXPECT_TRUE(file_with_uid(maildir, report.uidl[3]));
        EXPECT_EQ(messages_in(maildir).size(), std::size_t{messages - 1});
    }
}

} // namespace
