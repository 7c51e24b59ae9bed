#pragma once

// For the relay's end-to-end tests: the chapter's mailserver ("A") takes mail for example.test,
// asks a real DNS server (dnsmasq) where it goes, and hands it to the MX host: a second
// mailserver, Postfix, or fake_mx.py scripted to refuse. Everything on 127.0.0.0/8.
#include "dns/dnsmasq.hpp"
#include "relay/fake_mx.hpp"
#include "smtp/smtp_testing.hpp"

#include "shared/testing/chapter.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace mailsteps::testing;
using namespace smtp::tests;
using dns::tests::Dnsmasq;
using relay::tests::FakeMx;

// The test zone: example.test has two MX hosts, 127.0.0.2 preferred over 127.0.0.3.
// Postfix's inet_interfaces must be an interface's own address, and lo has only 127.0.0.1, so
// postfix.test's MX is there.
inline const std::vector<std::string> zone{
    "--mx-host=example.test,mx1.example.test,10", "--mx-host=example.test,mx2.example.test,20",
    "--host-record=mx1.example.test,127.0.0.2",   "--host-record=mx2.example.test,127.0.0.3",
    "--mx-host=nullmx.test,.,0",
    "--mx-host=loop.test,self.test,10",           "--host-record=self.test,127.0.0.1",
    "--mx-host=postfix.test,mx.postfix.test,10",  "--host-record=mx.postfix.test,127.0.0.1",
};

// The chapter's own mailserver playing the MX host of example.test on `address`.
struct RemoteServer {
    ChapterServer server;
    std::uint16_t port;

    explicit RemoteServer(const std::string& address)
        : server({"--listen", address, "--hostname", "mx.example.test", "--domain", "example.test"}),
          port(server.port("smtp")) {}

    std::vector<fs::path> inbox(const std::string& user) const {
        return new_messages(maildir(server.dir() / "mail", "example.test", user));
    }
};

// Server A's arguments: it may relay for 127.0.0.1, asks `dns` and relays to `relay_port`.
inline std::vector<std::string> relaying(const Dnsmasq& dns, std::uint16_t relay_port,
                                         std::vector<std::string> more = {}) {
    std::vector<std::string> args{"--relay-network", "127.0.0.1", "--dns-server", dns.server(),
                                  "--relay-port",    std::to_string(relay_port)};
    args.insert(args.end(), more.begin(), more.end());
    return args;
}

// The same, for a server that has directories of its own (it is restarted on them).
inline std::vector<std::string> relaying_from(const fs::path& dir, const Dnsmasq& dns, std::uint16_t relay_port) {
    std::vector<std::string> args{"--smtp-port", "0", "--maildir-root", (dir / "mail").string(),
                                  "--queue-dir", (dir / "queue").string()};
    for (const auto& arg : relaying(dns, relay_port)) {
        args.push_back(arg);
    }
    for (const auto& arg : other_port_args("--smtp-port")) {
        args.push_back(arg);
    }
    return args;
}

inline Reply send(std::uint16_t port, const std::string& from, const std::string& to, const std::string& text) {
    LineClient client(port);
    read_reply(client);
    command(client, "EHLO client.test");
    return send_message(client, from, {to}, text);
}

inline std::vector<fs::path> local_inbox(const ChapterServer& server, const std::string& user) {
    return new_messages(maildir(server.dir() / "mail", "localhost", user));
}

inline const std::string text = "From: alice@localhost\nTo: bob@example.test\nSubject: relayed\n\nHello over there.\n"
                         ".a line starting with a dot\n";
