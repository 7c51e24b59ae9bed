#pragma once

// Small helpers the SMTP tests of every topic share: reading replies, sending a transaction,
// command sequences, looking into Maildirs, measuring the server.
#include "shared/testing/chapter.hpp"
#include "shared/testing/client.hpp"
#include "shared/testing/files.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <ostream>
#include <regex>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace smtp::tests {

namespace fs = std::filesystem;
using mailsteps::testing::LineClient;
using namespace std::chrono_literals;

// One SMTP reply: its code and every line's full text.
struct Reply {
    int code = 0;
    std::vector<std::string> lines;

    // The last line, where a multi-line reply's final text is ("" when no reply came).
    std::string last() const { return lines.empty() ? "" : lines.back(); }
};

inline std::ostream& operator<<(std::ostream& out, const Reply& reply) {
    if (reply.lines.empty()) {
        return out << "<no reply>";
    }
    for (const auto& line : reply.lines) {
        out << line << "\\r\\n";
    }
    return out;
}

// RFC 5321 4.2.1: "250-first", "250-second", "250 last". Reads up to the line whose code is
// followed by a space (or by nothing). Code 0 when no complete reply came; the lines that did
// come are kept for the failure message.
inline Reply read_reply(LineClient& client, std::chrono::milliseconds timeout = 10s) {
    Reply reply;
    while (auto line = client.read_line(timeout)) {
        reply.lines.push_back(*line);
        bool has_code = line->size() >= 3 && std::all_of(line->begin(), line->begin() + 3, [](char c) {
                            return c >= '0' && c <= '9';
                        });
        if (!has_code || (line->size() > 3 && (*line)[3] != ' ' && (*line)[3] != '-')) {
            return reply; // not an SMTP reply line
        }
        if (line->size() == 3 || (*line)[3] == ' ') {
            reply.code = std::stoi(line->substr(0, 3));
            return reply;
        }
    }
    return reply;
}

// Sends one command line and reads its reply.
inline Reply command(LineClient& client, const std::string& line) {
    client.send_line(line);
    return read_reply(client);
}

// RFC 5321 3.1 and 4.1.1.1: read the greeting, say EHLO.
inline void greet(LineClient& client) {
    auto greeting = read_reply(client);
    ASSERT_EQ(greeting.code, 220) << greeting;
    auto hello = command(client, "EHLO client.test");
    ASSERT_EQ(hello.code, 250) << hello;
}

// Polls `done` until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 15s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(50ms);
    }
    return true;
}

// The queue id in "250 2.0.0 Ok: queued as <ID>", or "" when there is none.
inline std::string queue_id(const std::string& text) {
    static const std::regex queued(R"(250 2\.0\.0 Ok: queued as ([0-9A-Za-z]+))");
    std::smatch match;
    return std::regex_search(text, match, queued) ? match[1].str() : "";
}

// Converts a message written with "\n" to what goes on the wire: CRLF line ends, dot-stuffed
// (RFC 5321 4.5.2), followed by the end-of-data line.
inline std::string wire_data(const std::string& text) {
    std::string wire;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        wire += (line.starts_with('.') ? "." : "") + line + "\r\n";
    }
    return wire + ".\r\n";
}

// A text written with "\n" as it goes over the wire: every line end CRLF, nothing stuffed.
inline std::string crlf(const std::string& text) {
    std::string wire;
    for (char c : text) {
        wire += c == '\n' ? "\r\n" : std::string(1, c);
    }
    return wire;
}

// A whole transaction on a greeted connection: MAIL, each RCPT, DATA, the text (written with
// "\n"), the end of data. Returns the reply to the data; every other reply must be positive.
inline Reply send_message(LineClient& client, const std::string& from, const std::vector<std::string>& to,
                          const std::string& text) {
    if (auto reply = command(client, "MAIL FROM:<" + from + ">"); reply.code != 250) {
        ADD_FAILURE() << "MAIL: " << reply;
        return reply;
    }
    for (const auto& recipient : to) {
        if (auto reply = command(client, "RCPT TO:<" + recipient + ">"); reply.code != 250) {
            ADD_FAILURE() << "RCPT " << recipient << ": " << reply;
            return reply;
        }
    }
    if (auto reply = command(client, "DATA"); reply.code != 354) {
        ADD_FAILURE() << "DATA: " << reply;
        return reply;
    }
    client.send(wire_data(text));
    return read_reply(client);
}

// The Message-ID of a stored message, "" if it has none.
inline std::string message_id_in(const std::string& stored) {
    auto at = stored.find("\nMessage-ID: ");
    return at == std::string::npos ? "" : stored.substr(at + 13, stored.find('\n', at + 1) - at - 13);
}

// One message over a new connection: the reply to its data, or 0 when the server was killed
// before it answered (a refused connection included): for the tests that kill it.
inline int send_unless_killed(std::uint16_t port, const std::string& from, const std::string& to, const std::string& text) {
    try {
        LineClient client(port);
        if (auto greeting = read_reply(client); greeting.code != 220) {
            return greeting.code;
        }
        for (const auto& [line, expected] : std::vector<std::pair<std::string, int>>{
                 {"EHLO client.test", 250}, {"MAIL FROM:<" + from + ">", 250}, {"RCPT TO:<" + to + ">", 250}, {"DATA", 354}}) {
            if (auto reply = command(client, line); reply.code != expected) {
                return reply.code;
            }
        }
        client.send(wire_data(text));
        return read_reply(client).code;
    } catch (const std::system_error&) {
        return 0;
    }
}

// A command sequence played against a server of its own, started with `args`. Each command is
// sent as one line (CRLF added; a message text with its end line counts as one command) and
// gets exactly one reply.
struct CommandSequence {
    std::string name;
    std::vector<std::string> commands;
    std::vector<int> codes; // the reply codes expected, in order
    std::vector<std::string> args = {};
};

inline void PrintTo(const CommandSequence& sequence, std::ostream* out) { *out << sequence.name; }

// Plays `sequence` after the greeting; every reply code must be the one expected.
inline void expect_reply_codes(const CommandSequence& sequence) {
    mailsteps::testing::ChapterServer server(sequence.args);
    LineClient client(server.port("smtp"));
    ASSERT_EQ(read_reply(client).code, 220);
    std::vector<int> codes;
    for (const auto& line : sequence.commands) {
        codes.push_back(command(client, line).code);
    }
    EXPECT_EQ(codes, sequence.codes);
}

// Where the Maildir of user@domain lives under a --maildir-root.
inline fs::path maildir(const fs::path& root, const std::string& domain, const std::string& user) {
    return root / domain / user;
}

// The chapter's TEST_ARGS put the Maildir root in the server's directory; user@localhost's
// Maildir is below it.
inline fs::path mail_root(const mailsteps::testing::ChapterServer& server) { return server.dir() / "mail"; }
inline fs::path mailbox(const mailsteps::testing::ChapterServer& server, const std::string& user) {
    return maildir(mail_root(server), "localhost", user);
}

// The messages in one Maildir sub-directory ("new" or "tmp"), sorted; none if it does not exist.
inline std::vector<fs::path> files_in(const fs::path& directory) {
    std::vector<fs::path> files;
    std::error_code missing;
    for (const auto& entry : fs::directory_iterator(directory, missing)) {
        files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

inline std::vector<fs::path> new_messages(const fs::path& maildir) { return files_in(maildir / "new"); }

// Every regular file anywhere below `directory`: what a test expects to be empty when
// nothing may have been delivered.
inline std::vector<fs::path> all_files(const fs::path& directory) {
    std::vector<fs::path> files;
    std::error_code missing;
    for (const auto& entry : fs::recursive_directory_iterator(directory, missing)) {
        if (!entry.is_directory()) {
            files.push_back(entry.path());
        }
    }
    return files;
}

using mailsteps::testing::read_file;

inline unsigned mode_of(const fs::path& path) {
    struct stat status {};
    EXPECT_EQ(::stat(path.c_str(), &status), 0) << path;
    return status.st_mode & 07777;
}

// The server's resident memory, from /proc.
inline long resident_kb(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);) {
        if (line.starts_with("VmRSS:")) {
            return std::stol(line.substr(6));
        }
    }
    return -1L;
}

// A server started with AddressSanitizer's quarantine off: it holds freed memory back to catch
// use after free, which would look like growth; the server inherits our environment.
inline std::unique_ptr<mailsteps::testing::ChapterServer> server_measuring_memory() {
    std::string asan_options = std::getenv("ASAN_OPTIONS") ? std::getenv("ASAN_OPTIONS") : "";
    setenv("ASAN_OPTIONS", (asan_options + ":quarantine_size_mb=0").c_str(), 1);
    auto server = std::make_unique<mailsteps::testing::ChapterServer>();
    setenv("ASAN_OPTIONS", asan_options.c_str(), 1);
    return server;
}

// A stored message split into the two trace headers the server adds and what follows them.
struct StoredMessage {
    std::string return_path; // the whole first line
    std::string received;    // the Received: header unfolded: continuation lines joined with ' '
    std::string rest;        // the message as the client sent it, with LF line ends
};

// RFC 5322 2.2.3: a header continues on lines that start with a space or a tab.
inline StoredMessage split_stored(const std::string& file) {
    StoredMessage stored;
    auto end_of_line = file.find('\n');
    stored.return_path = file.substr(0, end_of_line);
    auto at = end_of_line == std::string::npos ? file.size() : end_of_line + 1;
    auto line_end = file.find('\n', at);
    stored.received = file.substr(at, line_end - at);
    at = line_end == std::string::npos ? file.size() : line_end + 1;
    while (at < file.size() && (file[at] == '\t' || file[at] == ' ')) {
        line_end = file.find('\n', at);
        stored.received += " " + file.substr(at + 1, line_end - at - 1);
        at = line_end == std::string::npos ? file.size() : line_end + 1;
    }
    stored.rest = file.substr(at);
    return stored;
}

// RFC 5321 4.4: the server adds Return-Path: and Received: in front of the message; returns
// what follows them, the message as the client sent it.
inline std::string check_trace_headers(const fs::path& file, const std::string& sender, const std::string& recipient,
                                       const std::string& id) {
    auto stored = split_stored(read_file(file));
    EXPECT_EQ(stored.return_path, "Return-Path: <" + sender + ">");
    EXPECT_TRUE(stored.received.starts_with("Received: from client.test ([127.0.0.1]) ")) << stored.received;
    EXPECT_NE(stored.received.find(" by localhost (mailsteps) with ESMTP id " + id + " "), std::string::npos)
        << stored.received;
    EXPECT_NE(stored.received.find(" for <" + recipient + ">; "), std::string::npos) << stored.received;
    return stored.rest;
}

// The text a message's header field has in a stored file ("" if none).
inline std::string header_value(const std::string& file, const std::string& name) {
    auto at = file.find("\n" + name + ": ");
    if (at == std::string::npos) {
        return "";
    }
    at += name.size() + 3;
    return file.substr(at, file.find('\n', at) - at);
}

// One message with what makes byte-exactness hard: a dot at the start of a line, a lone dot,
// an empty line, 8-bit UTF-8.
inline const std::string tricky_text = "From: Alice <alice@example.test>\n"
                                       "To: bob@localhost, carol@localhost\n"
                                       "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\n"
                                       "MIME-Version: 1.0\n"
                                       "Content-Type: text/plain; charset=utf-8\n"
                                       "Content-Transfer-Encoding: 8bit\n"
                                       "\n"
                                       "Grüße aus Köln, naïve café ✓\n"
                                       "\n"
                                       ".a line that starts with a dot\n"
                                       "..and one with two\n"
                                       ".\n"
                                       "the end\n";

// Ten lines of 98 characters and CRLF: exactly 1000 octets (RFC 1870 5).
inline std::string message_of_1000_octets() {
    std::string text;
    for (int line = 0; line < 10; ++line) {
        text += std::string(97, 'a' + line) + "|\n";
    }
    return text;
}

} // namespace smtp::tests
