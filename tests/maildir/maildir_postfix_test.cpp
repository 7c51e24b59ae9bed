// Postfix, the MTA many mail servers run, hands mail to the chapter's server with its smtp(8)
// client, as it would to any next hop (chapter 08 onwards: what is checked is what lands in the
// Maildirs). Postfix's master must be started by root: without root these tests skip, and
// their label `root` keeps them apart.
#include "smtp/postfix.hpp"
#include "smtp/smtp_testing.hpp"

#include "shared/testing/chapter.hpp"

#include <gtest/gtest.h>

#include <set>

namespace {

using namespace mailsteps::testing;
using namespace smtp::tests;

// Postfix, the MTA many mail servers run, hands a message to us with its smtp(8) client, as
// it would to any next hop.
TEST(SmtpClients, PostfixRelaysAMessageHere) {
    if (auto why = Postfix::unavailable()) {
        GTEST_SKIP() << *why;
    }
    ChapterServer server;
    Postfix postfix({.relayhost = "[127.0.0.1]:" + std::to_string(server.port("smtp"))});
    auto submitted = postfix.sendmail("alice@example.test", "bob@localhost", tricky_text);
    ASSERT_EQ(submitted.exit_code, 0) << submitted.out << submitted.err << postfix.log();

    auto bob = mailbox(server, "bob");
    ASSERT_TRUE(eventually([&] { return !new_messages(bob).empty(); }, 30s)) << postfix.log() << server.log();
    auto files = new_messages(bob);
    ASSERT_EQ(files.size(), 1U);
    auto stored = split_stored(read_file(files[0]));
    EXPECT_EQ(stored.return_path, "Return-Path: <alice@example.test>");
    EXPECT_TRUE(stored.received.starts_with("Received: from mx.postfix.test ([127.0.0.1]) ")) << stored.received;
    // Postfix puts its Received: in front and adds the Message-Id: and Date: the message lacks
    // at the end of the header; the rest arrives unchanged.
    auto header_end = tricky_text.find("\n\n");
    EXPECT_TRUE(stored.rest.starts_with("Received: by mx.postfix.test (Postfix")) << stored.rest;
    EXPECT_TRUE(stored.rest.ends_with(tricky_text.substr(header_end))) << stored.rest;
    for (std::string field : {"From", "To", "Subject"}) {
        EXPECT_EQ(header_value("\n" + stored.rest, field), header_value("\n" + tricky_text, field)) << field;
    }
    // The file is on disk before our 250 reaches Postfix, so its log line may come later.
    auto sent = [&] { return postfix.log().find("status=sent (250 2.0.0 Ok: queued as ") != std::string::npos; };
    EXPECT_TRUE(eventually(sent)) << postfix.log();
}

// Twenty messages queued at once: Postfix sends them over several connections and reuses some;
// it sends RSET after a transaction to keep a connection for later (18 connections and 11
// RSETs in one run here). Each message must arrive once.
TEST(SmtpClients, PostfixDeliversTwentyQueuedMessagesEachOnce) {
    if (auto why = Postfix::unavailable()) {
        GTEST_SKIP() << *why;
    }
    constexpr int count = 20;
    ChapterServer server;
    Postfix postfix({.relayhost = "[127.0.0.1]:" + std::to_string(server.port("smtp"))});
    std::multiset<std::string> sent;
    for (int i = 1; i <= count; ++i) {
        auto subject = "queued " + std::to_string(i);
        auto submitted = postfix.sendmail("alice@example.test", "bob@localhost", "Subject: " + subject + "\n\nHello\n");
        ASSERT_EQ(submitted.exit_code, 0) << submitted.out << submitted.err << postfix.log();
        sent.insert(subject);
    }

    auto bob = mailbox(server, "bob");
    EXPECT_TRUE(eventually([&] { return new_messages(bob).size() >= std::size_t{count}; }, 60s))
        << postfix.log() << server.log();
    std::multiset<std::string> arrived;
    for (const auto& file : new_messages(bob)) {
        arrived.insert(header_value(read_file(file), "Subject"));
    }
    EXPECT_EQ(arrived, sent);
}

} // namespace
