// The queue on disk (chapter 16 writes it, chapter 17 reads it back at start-up): two files an
// entry, written durably, and whatever a crash or a hostile hand left there cleaned up or
// quarantined at load().
#include "queue.hpp"

#include "shared/testing/files.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

namespace relay {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

using mailsteps::testing::read_file;

// Entries and their recipients are built field by field, so that the tests compile the same
// in every later chapter, whose QueueEntry and QueuedRecipient have more fields.
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

unsigned mode_of(const fs::path& path) {
    struct stat status {};
    EXPECT_EQ(::stat(path.c_str(), &status), 0) << path;
    return status.st_mode & 07777;
}

QueueEntry entry_with_id(std::string id) {
    QueueEntry entry;
    entry.id = std::move(id);
    entry.sender = smtp::Mailbox{"alice", "example.org"};
    entry.recipients = {recipient({"bob", "example.net"}, RecipientStatus::pending, ""),
                        recipient({"carol smith", "[192.0.2.7]"}, RecipientStatus::pending, "")};
    return entry;
}

const std::string message_text = "From: alice@example.org\nSubject: hi\n\nHello\n.dot line\n";

class QueueTest : public ::testing::Test {
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

TEST_F(QueueTest, AddedEntriesComeBackAtLoadWithEveryField) {
    auto entry = entry_with_id("A1");
    entry.sender = std::nullopt;
    entry.recipients[0] = recipient({"bob", "example.net"}, RecipientStatus::delivered, "250 2.0.0 Ok");
    entry.recipients[1].last_reply = "451 4.3.0 Try later";
    auto second = entry_with_id("B2");
    {
        Queue queue{dir_};
        ASSERT_EQ(add(queue, entry, message_text), std::error_code{});
        ASSERT_EQ(add(queue, second, "x\n"), std::error_code{});
    }
    Queue restarted{dir_};
    auto loaded = restarted.load();
    EXPECT_EQ(loaded.problems, std::vector<std::string>{});
    EXPECT_EQ(loaded.entries, (std::vector<QueueEntry>{entry, second}));
    auto text = restarted.read_message("A1");
    ASSERT_TRUE(std::holds_alternative<std::string>(text));
    EXPECT_EQ(std::get<std::string>(text), message_text);
}

TEST_F(QueueTest, UpdateReplacesTheEnvelope) {
    Queue queue{dir_};
    auto entry = entry_with_id("A1");
    ASSERT_EQ(add(queue, entry, message_text), std::error_code{});
    entry.recipients[0].status = RecipientStatus::delivered;
    entry.recipients[0].last_reply = "250 2.0.0 Ok";
    entry.recipients[1].last_reply = "451 4.3.0 Try later";
    ASSERT_EQ(queue.update(entry), std::error_code{});
    EXPECT_EQ(Queue{dir_}.load().entries, std::vector<QueueEntry>{entry});
    EXPECT_EQ(names_in(dir_ / "tmp"), std::vector<std::string>{});
}

TEST_F(QueueTest, UpdateRefusesAnEntryThatIsNotQueued) {
    Queue queue{dir_};
    EXPECT_NE(queue.update(entry_with_id("A1")), std::error_code{});
    EXPECT_EQ(queue.update(entry_with_id("../A1")), std::errc::invalid_argument);
    EXPECT_EQ(names_in(dir_ / "envelopes"), std::vector<std::string>{});
}

TEST_F(QueueTest, RemoveDeletesBothFiles) {
    Queue queue{dir_};
    ASSERT_EQ(add(queue, entry_with_id("A1"), message_text), std::error_code{});
    ASSERT_EQ(add(queue, entry_with_id("B2"), message_text), std::error_code{});
    EXPECT_EQ(queue.remove("A1"), std::error_code{});
    EXPECT_EQ(names_in(dir_ / "messages"), std::vector<std::string>{"B2"});
    EXPECT_EQ(names_in(dir_ / "envelopes"), std::vector<std::string>{"B2"});
    EXPECT_EQ(queue.remove("A1"), std::errc::no_such_file_or_directory);
    EXPECT_EQ(queue.remove("../B2"), std::errc::invalid_argument);
    EXPECT_EQ(queue.load().entries, std::vector<QueueEntry>{entry_with_id("B2")});
}

TEST_F(QueueTest, AddRefusesAnIdAlreadyQueued) {
    Queue queue{dir_};
    ASSERT_EQ(add(queue, entry_with_id("A1"), message_text), std::error_code{});
    auto other = entry_with_id("A1");
    other.sender = std::nullopt;
    EXPECT_EQ(add(queue, other, "other text\n"), std::errc::file_exists);
    EXPECT_EQ(std::get<std::string>(queue.read_message("A1")), message_text);
    EXPECT_EQ(queue.load().entries, std::vector<QueueEntry>{entry_with_id("A1")});
}

TEST_F(QueueTest, AddRefusesAnEntryItCouldNotReadBack) {
    Queue queue{dir_};
    auto entry = entry_with_id("A1");
    entry.recipients[0].address.domain.clear();
    EXPECT_EQ(add(queue, entry, message_text), std::errc::invalid_argument);
    EXPECT_EQ(add(queue, entry_with_id("../escape"), message_text), std::errc::invalid_argument);
    for (const char* sub : {"messages", "envelopes", "tmp"}) {
        EXPECT_EQ(names_in(dir_ / sub), std::vector<std::string>{}) << sub;
    }
    EXPECT_FALSE(fs::exists(dir_ / "escape"));
}

TEST_F(QueueTest, ReadMessageRefusesUnknownAndUnsafeIds) {
    Queue queue{dir_};
    write_file(root_ / "secret", "not queue data\n");
    for (auto id : {"A1", "../../secret", ""}) {
        EXPECT_TRUE(std::holds_alternative<std::error_code>(queue.read_message(id))) << id;
    }
}

TEST_F(QueueTest, LoadRemovesAMessageWithoutEnvelope) {
    Queue queue{dir_};
    ASSERT_EQ(add(queue, entry_with_id("A1"), message_text), std::error_code{});
    write_file(dir_ / "messages" / "ORPHAN", message_text);  // a crash before the envelope
    auto loaded = queue.load();
    EXPECT_EQ(loaded.entries, std::vector<QueueEntry>{entry_with_id("A1")});
    ASSERT_EQ(loaded.problems.size(), 1u);
    EXPECT_NE(loaded.problems[0].find("messages/ORPHAN"), std::string::npos) << loaded.problems[0];
    EXPECT_EQ(names_in(dir_ / "messages"), std::vector<std::string>{"A1"});
}

TEST_F(QueueTest, LoadQuarantinesAnEnvelopeWithoutMessage) {
    Queue queue{dir_};
    ASSERT_EQ(add(queue, entry_with_id("A1"), message_text), std::error_code{});
    fs::remove(dir_ / "messages" / "A1");
    auto loaded = queue.load();
    EXPECT_EQ(loaded.entries, std::vector<QueueEntry>{});
    ASSERT_EQ(loaded.problems.size(), 1u);
    EXPECT_NE(loaded.problems[0].find("message file is missing"), std::string::npos) << loaded.problems[0];
    EXPECT_EQ(names_in(dir_ / "quarantine"), std::vector<std::string>{"A1.envelope"});
}

TEST_F(QueueTest, LoadCleansLeftoversInTmp) {
    Queue queue{dir_};
    ASSERT_EQ(add(queue, entry_with_id("A1"), message_text), std::error_code{});
    write_file(dir_ / "tmp" / "A2.message", "half a mess");
    write_file(dir_ / "tmp" / "A1.envelope", "mailsteps-queue-envelope 1\nid A1\n");
    fs::create_directory(dir_ / "tmp" / "stray-directory");
    write_file(dir_ / "tmp" / "stray-directory" / "file", "x");
    auto loaded = queue.load();
    EXPECT_EQ(loaded.entries, std::vector<QueueEntry>{entry_with_id("A1")});
    EXPECT_EQ(loaded.problems.size(), 3u);
    EXPECT_EQ(names_in(dir_ / "tmp"), std::vector<std::string>{});
    // The tmp names are free again for the next write.
    auto entry = entry_with_id("A1");
    entry.recipients[0].status = RecipientStatus::delivered;
    EXPECT_EQ(queue.update(entry), std::error_code{});
}

// Replaces the first `from` in `text`; the table below relies on each one being there.
std::string replaced(std::string text, std::string_view from, std::string_view to) {
    auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return at == std::string::npos ? text : text.replace(at, from.size(), to);
}

TEST_F(QueueTest, LoadQuarantinesHostileEnvelopesAndKeepsGoing) {
    const std::string good = format_envelope(entry_with_id("BAD")).value();
    const std::vector<std::pair<std::string, std::string>> rows{
        {"empty", ""},
        {"cut in the middle of a line", good.substr(0, good.size() / 2)},
        {"no final line end", good.substr(0, good.size() - 1)},
        {"no end line", replaced(good, "end\n", "")},
        {"text after end", good + "recipient pending <x@y.example>\n"},
        {"binary garbage", "\x7f" "ELF\x02\x01\x01\0\0\0\xff\xfe\n"s},
        {"NUL inside", replaced(good, "alice", "ali\0ce"s)},
        {"CRLF line ends", replaced(replaced(good, "id BAD\n", "id BAD\r\n"), "end\n", "end\r\n")},
        {"another format", replaced(good, "envelope 1", "envelope 2")},
        {"id of another entry", replaced(good, "id BAD", "id A1")},
        {"id that climbs out", replaced(good, "id BAD", "id ../../x")},
        {"fields out of order",
         replaced(good, "id BAD\nsender <alice@example.org>\n", "sender <alice@example.org>\nid BAD\n")},
        {"field given twice", replaced(good, "id BAD\n", "id BAD\nid BAD\n")},
        {"sender without brackets", replaced(good, "<alice@example.org>", "alice@example.org")},
        {"sender with trailing text", replaced(good, "<alice@example.org>", "<alice@example.org> x")},
        {"no recipients", replaced(replaced(good, "recipient pending <bob@example.net>\n", ""),
                                   "recipient pending <\"carol smith\"@[192.0.2.7]>\n", "")},
        {"unknown status", replaced(good, "pending <bob", "waiting <bob")},
        {"null recipient", replaced(good, "<bob@example.net>", "<>")},
        {"recipient without domain", replaced(good, "<bob@example.net>", "<bob>")},
        {"empty reply after a space", replaced(good, "<bob@example.net>", "<bob@example.net> ")},
        {"reply without a space", replaced(good, "<bob@example.net>", "<bob@example.net>250")},
        {"too big", good + std::string(max_envelope_size, '#')},
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
        EXPECT_EQ(names_in(dir_ / "messages"), std::vector<std::string>{"A1"});
        // Quarantined means out of the way: the next start finds nothing to complain about.
        EXPECT_EQ(queue.load().problems, std::vector<std::string>{});
    }
}

// A directory, a FIFO (opening it for reading could hang) and a symbolic link are not
// envelopes either.
TEST_F(QueueTest, LoadQuarantinesEnvelopesThatAreNotRegularFiles) {
    Queue queue{dir_};
    auto good = format_envelope(entry_with_id("LINK")).value();
    write_file(root_ / "elsewhere", good);
    fs::create_symlink(root_ / "elsewhere", dir_ / "envelopes" / "LINK");
    fs::create_directory(dir_ / "envelopes" / "DIR");
    ASSERT_EQ(::mkfifo((dir_ / "envelopes" / "FIFO").c_str(), 0600), 0);
    for (auto name : {"LINK", "DIR", "FIFO"}) {
        write_file(dir_ / "messages" / name, message_text);
    }
    auto loaded = queue.load();
    EXPECT_EQ(loaded.entries, std::vector<QueueEntry>{});
    EXPECT_EQ(loaded.problems.size(), 3u);
    EXPECT_EQ(names_in(dir_ / "envelopes"), std::vector<std::string>{});
    EXPECT_EQ(names_in(dir_ / "messages"), std::vector<std::string>{});
    EXPECT_EQ(names_in(dir_ / "quarantine").size(), 6u);
}

TEST_F(QueueTest, ManyThreadsAddAtOnce) {
    Queue queue{dir_};
    std::map<std::string, std::string> added;  // id -> message text
    std::mutex mutex;
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 100; ++i) {
                auto id = "T" + std::to_string(t) + "-" + std::to_string(i);
                auto text = "Subject: " + std::to_string(t) + "/" + std::to_string(i) + "\n\nbody\n";
                EXPECT_EQ(add(queue, entry_with_id(id), text), std::error_code{});
                std::lock_guard lock{mutex};
                added.emplace(id, text);
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    ASSERT_EQ(added.size(), 800u);
    auto loaded = Queue{dir_}.load();
    EXPECT_EQ(loaded.problems, std::vector<std::string>{});
    ASSERT_EQ(loaded.entries.size(), 800u);
    for (const auto& entry : loaded.entries) {
        ASSERT_EQ(added.count(entry.id), 1u) << entry.id;
        EXPECT_EQ(std::get<std::string>(queue.read_message(entry.id)), added[entry.id]);
    }
}

TEST_F(QueueTest, FilesArePrivate) {
    Queue queue{dir_};
    ASSERT_EQ(add(queue, entry_with_id("A1"), message_text), std::error_code{});
    for (auto dir : {dir_, dir_ / "messages", dir_ / "envelopes", dir_ / "tmp", dir_ / "quarantine"}) {
        EXPECT_EQ(mode_of(dir), 0700u) << dir;
    }
    EXPECT_EQ(mode_of(dir_ / "messages" / "A1"), 0600u);
    EXPECT_EQ(mode_of(dir_ / "envelopes" / "A1"), 0600u);
}

// A regular file where a queue directory should be: the write fails, and none of the entry
// stays behind, not even its message.
TEST_F(QueueTest, AFailedAddLeavesNothingVisible) {
    for (const char* broken : {"envelopes", "messages"}) {
        SCOPED_TRACE(broken);
        fs::remove_all(dir_);
        Queue queue{dir_};
        fs::remove(dir_ / broken);
        write_file(dir_ / broken, "in the way\n");
        EXPECT_NE(add(queue, entry_with_id("A1"), message_text), std::error_code{});
        fs::remove(dir_ / broken);
        fs::create_directory(dir_ / broken);
        for (const char* sub : {"messages", "envelopes", "tmp"}) {
            EXPECT_EQ(names_in(dir_ / sub), std::vector<std::string>{}) << sub;
        }
        EXPECT_EQ(queue.load().entries, std::vector<QueueEntry>{});
    }
}

TEST_F(QueueTest, StartUpFailsWhenADirectoryCannotBeMade) {
    fs::create_directories(dir_);
    write_file(dir_ / "tmp", "in the way\n");
    EXPECT_THROW(Queue{dir_}, std::system_error);
}

}  // namespace
}  // namespace relay
