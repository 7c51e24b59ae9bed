// Load tests of the complete server: Postfix's smtp-source sending thousands of messages over
// a hundred parallel sessions, and hundreds of idle connections held at once. What is checked
// is that nothing is lost or duplicated and that the server keeps serving; what is printed
// (throughput, memory) shows what a change costs. Meant for an optimized build: under the
// sanitizers of the default build they run several times slower.
#include "smtp/smtp_testing.hpp"

#include "shared/testing/chapter.hpp"

#include <gtest/gtest.h>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <thread>

namespace {

using namespace mailsteps::testing;
using namespace smtp::tests;
using Clock = std::chrono::steady_clock;

const std::string smtp_source = "/usr/sbin/smtp-source";
// What smtp-source sends after its header fields (by default, without -l or -F).
const std::string smtp_source_body = "\n\nLa de da de da 1.\nLa de da de da 2.\nLa de da de da 3.\nLa de da de da 4.\n";

fs::path proc(ChapterServer& server) { return fs::path("/proc") / std::to_string(server.process().pid()); }

// A "Name:   1234 kB" line of /proc/<pid>/status: VmRSS is resident memory now, VmHWM its peak.
long status_kb(ChapterServer& server, const std::string& name) {
    std::ifstream status(proc(server) / "status");
    for (std::string line; std::getline(status, line);) {
        if (line.starts_with(name + ":")) {
            return std::stol(line.substr(name.size() + 1));
        }
    }
    ADD_FAILURE() << "no " << name << " in " << proc(server) / "status";
    return -1;
}

// The server's open sockets: its listeners and one per connection. (Counting all descriptors
// would also count the files and directories it opens for a moment.)
// The state of each TCP socket, by inode, from /proc/PID/net/tcp and tcp6 (RFC 793's states
// as the kernel numbers them: "0A" is LISTEN, "07" CLOSED, as a listener is until listen(2)).
std::map<std::string, std::string> tcp_states(ChapterServer& server) {
    std::map<std::string, std::string> states;
    for (const char* table : {"tcp", "tcp6"}) {
        std::ifstream lines(proc(server) / "net" / table);
        std::string line;
        std::getline(lines, line); // the header
        while (std::getline(lines, line)) {
            std::istringstream fields(line);
            std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
            fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode;
            states[inode] = state;
        }
    }
    return states;
}

// The server's TCP connections: its sockets other than listeners, which a chapter with many
// may still be opening after the readiness lines the test waited for.
long open_sockets(ChapterServer& server) {
    auto states = tcp_states(server);
    long connections = 0;
    for (const auto& fd : fs::directory_iterator(proc(server) / "fd")) {
        std::error_code closed_meanwhile;
        auto target = fs::read_symlink(fd, closed_meanwhile).string(); // "socket:[INODE]"
        if (target.starts_with("socket:[") && target.ends_with("]")) {
            auto state = states.find(target.substr(8, target.size() - 9));
            connections += state != states.end() && state->second != "0A" && state->second != "07" ? 1 : 0;
        }
    }
    return connections;
}

// The line of /proc/<pid>/limits that the server actually runs with.
std::string descriptor_limit(ChapterServer& server) {
    std::ifstream limits(proc(server) / "limits");
    for (std::string line; std::getline(limits, line);) {
        if (line.starts_with("Max open files")) {
            return line;
        }
    }
    return "unknown";
}

// A header field other than the first of a message with LF line ends ("" if none).
std::string header(const std::string& text, const std::string& name) {
    auto at = text.find("\n" + name + ": ");
    if (at == std::string::npos) {
        return "";
    }
    at += name.size() + 3;
    return text.substr(at, text.find('\n', at) - at);
}

// Up to five of the keys of `counts` that occur other than once, for failure messages.
std::string not_once(const std::map<std::string, int>& counts) {
    std::ostringstream out;
    int shown = 0;
    for (const auto& [key, count] : counts) {
        if (count != 1 && shown++ < 5) {
            out << key << " x" << count << "; ";
        }
    }
    return out.str();
}

// The server logs each session's start and end: the most it held at once.
int most_sessions_at_once(const std::string& server_log) {
    int open = 0;
    int most = 0;
    std::istringstream lines(server_log);
    for (std::string line; std::getline(lines, line);) {
        if (line.find("] connect from ") != std::string::npos) {
            most = std::max(most, ++open);
        } else if (line.find("] disconnect from ") != std::string::npos) {
            --open;
        }
    }
    return most;
}

// smtp-source (Postfix's load generator) opens 100 sessions at once, each sending one message
// and reconnecting, until 5000 are sent. Without -A any refusal is fatal, so exit 0 means 5000
// messages were accepted. What proves each arrived exactly once:
//  - -v logs every reply; its 5000 "queued as ID" lines must hold 5000 different IDs, and the
//    Received: headers in new/ must hold exactly those IDs, each once: every acknowledged
//    transaction is stored once, and nothing else is.
//  - the content is the client's: smtp-source writes "Message-Id: <pid.socket.countdown@host>"
//    (the socket and the number of messages not yet started, distinct for each message of a
//    run), so 5000 different Message-Ids mean no client message was stored in place of another.
TEST(SmtpSource, FiveThousandMessagesOverOneHundredSessionsArriveExactlyOnce) {
    constexpr std::size_t messages = 5000;
    // The default --max-connections, 1000, is far above 100 sessions; all of them come from
    // 127.0.0.1, past the default --max-connections-per-address, 50.
    ChapterServer server({"--threads", "2", "--max-connections-per-address", "1000"});
    auto port = server.port("smtp");
    // Start-up's peak, mostly the 16 MB yescrypt takes to hash the dummy password (users.cpp).
    long peak_at_start = status_kb(server, "VmHWM");
    auto start = Clock::now();
    auto sent = run(smtp_source, {"-v", "-s", "100", "-m", std::to_string(messages), "-M", "client.test", "-f",
                                  "sender@example.test", "-t", "load@localhost", "127.0.0.1:" + std::to_string(port)},
                    "", 240s); // about 15 s optimized, a minute under the default build's sanitizers
    std::chrono::duration<double> elapsed = Clock::now() - start;
    auto log_tail = sent.err.substr(sent.err.size() - std::min<std::size_t>(sent.err.size(), 2000));
    ASSERT_EQ(sent.exit_code, 0) << "smtp-source's log ends with:\n" << log_tail << "\nthe server's log:\n"
                                 << server.log();

    std::cout << messages << " messages over 100 sessions in " << elapsed.count() << " s: "
              << messages / elapsed.count() << " messages/s; server VmRSS " << status_kb(server, "VmRSS")
              << " kB, VmHWM (peak) " << status_kb(server, "VmHWM") << " kB (" << peak_at_start
              << " kB at start-up)\n";
    auto most = most_sessions_at_once(server.log());
    std::cout << "the server held up to " << most << " sessions at once\n";
    EXPECT_GT(most, 10) << "the sessions hardly overlapped";

    std::map<std::string, int> acknowledged;
    std::istringstream log(sent.err);
    for (std::string line; std::getline(log, line);) {
        if (auto id = queue_id(line); !id.empty()) {
            ++acknowledged[id];
        }
    }
    EXPECT_EQ(acknowledged.size(), messages) << "distinct queue ids in smtp-source's log";
    EXPECT_EQ(not_once(acknowledged), "") << "queue ids the server gave more than once";

    auto box = maildir(server.dir() / "mail", "localhost", "load");
    auto files = new_messages(box);
    EXPECT_EQ(files.size(), messages);
    EXPECT_TRUE(files_in(box / "tmp").empty()) << "half-written messages left in tmp/";
    std::map<std::string, int> stored;
    std::map<std::string, int> message_ids;
    std::size_t foreign = 0;
    static const std::regex received_id(R"( with E?SMTP id ([0-9A-Za-z]+) )");
    for (const auto& file : files) {
        auto message = split_stored(read_file(file));
        std::smatch id;
        ++stored[std::regex_search(message.received, id, received_id) ? id[1].str() : "<none>"];
        ++message_ids[header(message.rest, "Message-Id")];
        if (!message.rest.ends_with(smtp_source_body)) {
            ++foreign;
        }
    }
    EXPECT_EQ(not_once(stored), "") << "queue ids stored other than once";
    EXPECT_EQ(message_ids.size(), files.size()) << "client messages stored more than once: " << not_once(message_ids);
    EXPECT_EQ(foreign, 0U) << "messages whose text is not what smtp-source sent";
    std::size_t lost = 0;
    for (const auto& [id, count] : acknowledged) {
        lost += stored.contains(id) ? 0 : 1;
    }
    EXPECT_EQ(lost, 0U) << "acknowledged messages missing from new/";
    EXPECT_EQ(stored.size(), acknowledged.size()) << "stored messages the client was never told about";
}

// Every connection costs a descriptor at each end, and the server inherits the test's limit:
// raise the soft limit to `needed` if the hard limit allows. False if it stays below.
bool allow_descriptors(rlim_t needed) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        return false;
    }
    if (limit.rlim_cur < needed && limit.rlim_max >= needed) {
        limit.rlim_cur = needed;
        ::setrlimit(RLIMIT_NOFILE, &limit);
        ::getrlimit(RLIMIT_NOFILE, &limit);
    }
    std::cout << "descriptor limit of the test (and so of the server): soft " << limit.rlim_cur << ", hard "
              << limit.rlim_max << "\n";
    return limit.rlim_cur >= needed;
}

// RFC 5321 3.1: each client is greeted, then says nothing. The server holds every one in a
// coroutine waiting on a read; what that costs is printed, and a new client must still be
// served as usual.
TEST(IdleConnections, FiveHundredHeldAtOnce) {
    constexpr int connections = 500;
    ASSERT_TRUE(allow_descriptors(connections + 100)) << "the hard limit is too low for " << connections
                                                      << " connections";
    // Explicitly above 501, whatever the default becomes; all from 127.0.0.1.
    ChapterServer server({"--max-connections", "1000", "--max-connections-per-address", "1000"});
    auto port = server.port("smtp");
    std::cout << "server: " << descriptor_limit(server) << "\n";
    long rss_before = status_kb(server, "VmRSS");
    long peak_at_start = status_kb(server, "VmHWM");
    long sockets_before = open_sockets(server);

    // All connect before any greeting is read, so the server accepts them side by side.
    std::vector<std::unique_ptr<LineClient>> idle;
    for (int i = 0; i < connections; ++i) {
        idle.push_back(std::make_unique<LineClient>(port));
    }
    for (int i = 0; i < connections; ++i) {
        auto greeting = read_reply(*idle[i]);
        ASSERT_EQ(greeting.code, 220) << "connection " << i << ": " << greeting << "\nthe server's log:\n"
                                      << server.log();
    }
    long rss_held = status_kb(server, "VmRSS");
    std::cout << "server VmRSS " << rss_before << " kB before, " << rss_held << " kB with " << connections
              << " idle connections: " << (rss_held - rss_before) / double(connections) << " kB per connection\n";
    EXPECT_EQ(open_sockets(server), sockets_before + connections);

    LineClient another(port);
    auto greeting = read_reply(another);
    EXPECT_EQ(greeting.code, 220) << greeting;
    auto hello = command(another, "EHLO client.test");
    EXPECT_EQ(hello.code, 250) << hello;
    EXPECT_EQ(command(another, "QUIT").code, 221);
    EXPECT_TRUE(another.wait_closed());
    another.close(); // or the server lingers up to 2 s for our end of the close

    idle.clear();
    // The server notices each close and closes its end.
    auto deadline = Clock::now() + 10s;
    while (open_sockets(server) > sockets_before && Clock::now() < deadline) {
        std::this_thread::sleep_for(50ms);
    }
    EXPECT_EQ(open_sockets(server), sockets_before) << "sockets still open 10 s after the clients closed";
    std::cout << "server VmRSS " << status_kb(server, "VmRSS") << " kB after they closed, VmHWM (peak) "
              << status_kb(server, "VmHWM") << " kB (" << peak_at_start << " kB at start-up)\n";
    LineClient after(port);
    EXPECT_EQ(read_reply(after).code, 220);
}

} // namespace
