// Chapter 18: entries come back from the queue oldest first, with their times and attempt
// count; an envelope whose times or count are not exactly as written is quarantined.
#include "queue.hpp"

#include "shared/testing/files.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

namespace relay {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono;
using namespace std::chrono_literals;

using mailsteps::testing::read_file;

// A recipient of an entry: built field by field, so the tests of every later chapter, whose
// QueuedRecipient has more fields, compile the same.
QueuedRecipient recipient(smtp::Mailbox address, RecipientStatus status, std::string last_reply) {
    QueuedRecipient recipient;
    recipient.address = std::move(address);
    recipient.status = status;
    recipient.last_reply = std::move(last_reply);
    return recipient;
}

void write_file(const fs::path& path, std::string_view content) {
    std::ofstream out{path, std::ios::binary};
    out << content;
    ASSERT_TRUE(out.good()) << path;
}

// Queue::add() as the relay calls it, with our Received: header left out.
std::error_code add(Queue& queue, const QueueEntry& entry, std::string_view text) {
    mailsteps::Spool body(fs::temp_directory_path());
    body.append(text);
    return queue.add(entry, "", body);
}

std::vector<std::string> names_in(const fs::path& directory) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator{directory}) {
        names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

QueueEntry entry_with_id(std::string id, system_clock::time_point arrival = sys_days{2026y / November / 25}) {
    return QueueEntry{
        .id = std::move(id),
        .sender = smtp::Mailbox{"alice", "example.org"},
        .recipients = {recipient({"bob", "example.net"}, RecipientStatus::pending, ""),
                       recipient({"carol smith", "[192.0.2.7]"}, RecipientStatus::pending, "")},
        .arrival = arrival,
        .next_attempt = arrival + 1min,
        .attempts = 0,
    };
}

const std::string message_text = "From: alice@example.org\nSubject: hi\n\nHello\n.dot line\n";

class QueueTimesTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = "/tmp/queue_test.XXXXXX";
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        root_ = pattern;
        dir_ = root_ / "var" / "queue";
    }

    void TearDown() override { fs::remove_all(root_); }

    fs::path root_;
    fs::path dir_;
};

TEST_F(QueueTimesTest, EntriesComeBackOldestFirstWithTheirTimesAndCount) {
    auto entry = entry_with_id("A1");
    entry.attempts = 3;
    entry.next_attempt += 5min;
    auto older = entry_with_id("B2", entry.arrival - 1h);
    {
        Queue queue{dir_};
        ASSERT_EQ(add(queue, entry, message_text), std::error_code{});
        ASSERT_EQ(add(queue, older, "x\n"), std::error_code{});
    }
    auto loaded = Queue{dir_}.load();
    EXPECT_EQ(loaded.problems, std::vector<std::string>{});
    EXPECT_EQ(loaded.entries, (std::vector<QueueEntry>{older, entry}));
}

// Replaces the first `from` in `text`; the table below relies on each one being there.
std::string replaced(std::string text, std::string_view from, std::string_view to) {
    auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return at == std::string::npos ? text : text.replace(at, from.size(), to);
}

TEST_F(QueueTimesTest, LoadQuarantinesEnvelopesWithBadTimesOrCounts) {
    const std::string good = format_envelope(entry_with_id("BAD")).value();
    const std::vector<std::pair<std::string, std::string>> rows{
        {"fields out of order", replaced(good, "arrival 2026-11-25T00:00:00Z\nnext-attempt 2026-11-25T00:01:00Z\n",
                                         "next-attempt 2026-11-25T00:01:00Z\narrival 2026-11-25T00:00:00Z\n")},
        {"field given twice", replaced(good, "attempts 0\n", "attempts 0\nattempts 0\n")},
        {"February 30", replaced(good, "2026-11-25T00:00:00Z", "2026-02-30T00:00:00Z")},
        {"hour 24", replaced(good, "T00:00:00Z", "T24:00:00Z")},
        {"time zone other than Z", replaced(good, "T00:00:00Z", "T00:00:00+01")},
        {"year past the clock's range", replaced(good, "2026-11-25T00:00:00Z", "9999-12-31T23:59:59Z")},
        {"year before the clock's range", replaced(good, "2026-11-25T00:00:00Z", "1000-01-01T00:00:00Z")},
        {"negative attempts", replaced(good, "attempts 0", "attempts -1")},
        {"attempts past int", replaced(good, "attempts 0", "attempts 2147483648")},
        {"attempts with leading zero", replaced(good, "attempts 0", "attempts 01")},
    };
    for (const auto& [name, text] : rows) {
        SCOPED_TRACE(name);
        fs::remove_all(dir_);
        Queue queue{dir_};
        ASSERT_EQ(add(queue, entry_with_id("A1"), message_text), std::error_code{});
        write_file(dir_ / "messages" / "BAD", message_text);
        write_file(dir_ / "envelopes" / "BAD", text);

        auto loaded = queue.load();
        EXPECT_EQ(loaded.entries, std::vector<QueueEntry>{entry_with_id("A1")});
        ASSERT_EQ(loaded.problems.size(), 1u);
        EXPECT_NE(loaded.problems[0].find("quarantined envelopes/BAD"), std::string::npos) << loaded.problems[0];
        EXPECT_EQ(names_in(dir_ / "quarantine"), (std::vector<std::string>{"BAD.envelope", "BAD.message"}));
        EXPECT_EQ(read_file(dir_ / "quarantine" / "BAD.envelope"), text);
    }
}

}  // namespace
}  // namespace relay
