#include "maildir.hpp"
#include "shared/testing/files.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

namespace mailsteps {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

using mailsteps::testing::read_file;

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

std::variant<Delivered, std::error_code> deliver(const fs::path& maildir, std::vector<std::string_view> parts) {
    return deliver_to_maildir(maildir, parts);
}

// Each test gets its own fresh directory under /tmp.
class MaildirTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = "/tmp/maildir_test.XXXXXX";
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        root_ = pattern;
        maildir_ = root_ / "example.com" / "alice";
    }

    void TearDown() override { fs::remove_all(root_); }

    fs::path root_;
    fs::path maildir_;
};

TEST_F(MaildirTest, DeliversExactContentIntoNew) {
    auto result = deliver(maildir_, {"Return-Path: <bob@example.org>\n", "", "Subject: hi\n\nHello\n"});
    ASSERT_TRUE(std::holds_alternative<Delivered>(result)) << std::get<std::error_code>(result).message();
    const auto& name = std::get<Delivered>(result).file_name;

    EXPECT_EQ(names_in(maildir_ / "new"), std::vector<std::string>{name});
    EXPECT_EQ(read_file(maildir_ / "new" / name), "Return-Path: <bob@example.org>\nSubject: hi\n\nHello\n");
    EXPECT_TRUE(names_in(maildir_ / "tmp").empty());
    EXPECT_TRUE(names_in(maildir_ / "cur").empty());
}

TEST_F(MaildirTest, NamesFollowTheMaildirConvention) {
    auto before = std::chrono::system_clock::now();
    auto result = deliver(maildir_, {"x\n"});
    auto after = std::chrono::system_clock::now();
    ASSERT_TRUE(std::holds_alternative<Delivered>(result));
    const auto& name = std::get<Delivered>(result).file_name;

    std::smatch match;
    // <seconds>.M<microseconds>P<pid>Q<counter>.<host>, then perhaps ",name=value" attributes.
    ASSERT_TRUE(std::regex_match(name, match, std::regex{R"((\d+)\.M(\d{1,6})P(\d+)Q(\d+)\.([^/:,]+)(,[^/:]*)?)"}))
        << name;
    auto seconds = std::stoll(match[1]);
    EXPECT_GE(seconds, std::chrono::duration_cast<std::chrono::seconds>(before.time_since_epoch()).count());
    EXPECT_LE(seconds, std::chrono::duration_cast<std::chrono::seconds>(after.time_since_epoch()).count());
    EXPECT_EQ(std::stol(match[3]), static_cast<long>(::getpid()));
}

// Two threads can ask within the same microsecond, so the clock alone cannot keep names
// apart: the Q counter must differ for every call in the process.
TEST(UniqueFileName, CounterNeverRepeatsAcrossThreads) {
    constexpr int threads = 8;
    constexpr int per_thread = 5000;
    std::vector<std::vector<std::string>> names(threads);
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&names, t] {
            for (int i = 0; i < per_thread; ++i) {
                names[t].push_back(unique_file_name());
            }
        });
    }
    for (auto& worker : workers) {
        worker.join();
    }
    std::set<std::string> distinct_names;
    std::set<std::string> distinct_counters;
    const std::regex counter{R"(Q(\d+)\.)"};
    for (const auto& list : names) {
        for (const auto& name : list) {
            distinct_names.insert(name);
            std::smatch match;
            ASSERT_TRUE(std::regex_search(name, match, counter)) << name;
            distinct_counters.insert(match[1]);
        }
    }
    EXPECT_EQ(distinct_names.size(), std::size_t{threads * per_thread});
    EXPECT_EQ(distinct_counters.size(), std::size_t{threads * per_thread});
}

TEST_F(MaildirTest, LargeMessageInManyPartsArrivesIntact) {
    std::vector<std::string> chunks;
    for (int i = 0; i < 64; ++i) {
        chunks.emplace_back(64 * 1024, static_cast<char>('A' + i % 26));
    }
    std::vector<std::string_view> parts(chunks.begin(), chunks.end());
    auto result = deliver_to_maildir(maildir_, parts);
    ASSERT_TRUE(std::holds_alternative<Delivered>(result));

    std::string expected;
    for (const auto& chunk : chunks) {
        expected += chunk;
    }
    EXPECT_EQ(read_file(maildir_ / "new" / std::get<Delivered>(result).file_name), expected);
}

TEST_F(MaildirTest, ThreadsNeverShareAName) {
    constexpr int threads = 8;
    constexpr int per_thread = 200;
    std::mutex mutex;
    std::map<std::string, std::string> delivered;  // file name -> content
    int failures = 0;

    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                auto content = "thread " + std::to_string(t) + " message " + std::to_string(i) + "\n";
                auto result = deliver(maildir_, {content});
                std::lock_guard lock{mutex};
                if (auto* ok = std::get_if<Delivered>(&result)) {
                    delivered.emplace(ok->file_name, content);
                } else {
                    ++failures;
                }
            }
        });
    }
    for (auto& worker : workers) {
        worker.join();
    }

    EXPECT_EQ(failures, 0);
    ASSERT_EQ(delivered.size(), std::size_t{threads * per_thread});
    EXPECT_EQ(names_in(maildir_ / "new").size(), std::size_t{threads * per_thread});
    for (const auto& [name, content] : delivered) {
        EXPECT_EQ(read_file(maildir_ / "new" / name), content) << name;
    }
    EXPECT_TRUE(names_in(maildir_ / "tmp").empty());
}

// Forked children share the parent's delivery counter and usually the same second: only
// the pid in the name keeps them apart.
TEST_F(MaildirTest, ProcessesNeverShareAName) {
    constexpr int children = 4;
    constexpr int per_child = 50;
    std::vector<pid_t> pids;
    for (int c = 0; c < children; ++c) {
        pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            for (int i = 0; i < per_child; ++i) {
                auto content = "child " + std::to_string(c) + " message " + std::to_string(i) + "\n";
                if (!std::holds_alternative<Delivered>(deliver(maildir_, {content}))) {
                    ::_exit(1);
                }
            }
            ::_exit(0);
        }
        pids.push_back(pid);
    }
    for (pid_t pid : pids) {
        int status = 0;
        ASSERT_EQ(::waitpid(pid, &status, 0), pid);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }

    std::set<std::string> contents;
    for (const auto& name : names_in(maildir_ / "new")) {
        contents.insert(read_file(maildir_ / "new" / name));
    }
    EXPECT_EQ(contents.size(), std::size_t{children * per_child});
}

TEST(MailboxPath, JoinsAndLowercases) {
    EXPECT_EQ(mailbox_path("/var/mail", "Example.COM", "John.Doe"), fs::path{"/var/mail/example.com/john.doe"});
    EXPECT_EQ(mailbox_path("var/mail", "example.com", "postmaster"), fs::path{"var/mail/example.com/postmaster"});
}

TEST(MailboxPath, AcceptsUnusualButSafeNames) {
    const std::vector<std::pair<std::string, std::string>> rows{
        {"[127.0.0.1]", "alice"},
        {"[IPv6:::1]", "alice"},
        {"example.com", "john doe"},
        {"example.com", "o'brien+tag"},
        {"example.com", "a.b"},
        {"example.com", std::string(64, 'a')},
        {std::string(255, 'd'), "alice"},
    };
    for (const auto& [domain, local_part] : rows) {
        auto path = mailbox_path("/root", domain, local_part);
        ASSERT_TRUE(path) << domain << " " << local_part;
        EXPECT_EQ(path->parent_path().parent_path(), fs::path{"/root"});
    }
}

TEST(MailboxPath, RefusesNamesThatCouldEscapeTheRoot) {
    const std::vector<std::string> unsafe{
        "",   ".",      "..",       "../etc",       "..\\..",  "a/b", "/etc", "a/", ".hidden", "a..b",
        "..a", "a\0b"s, "\0"s,      "a\nb",         "a\rb",    "\x7f", "\x1b[31m",
        std::string(256, 'x'),
    };
    for (const auto& name : unsafe) {
        EXPECT_FALSE(mailbox_path("/root", name, "alice")) << "domain " << name;
        EXPECT_FALSE(mailbox_path("/root", "example.com", name)) << "local part " << name;
    }
    // The local part has the RFC 5321 limit of 64 octets; a domain may be longer.
    EXPECT_FALSE(mailbox_path("/root", "example.com", std::string(65, 'a')));
    EXPECT_TRUE(mailbox_path("/root", std::string(65, 'd'), "alice"));
}

TEST_F(MaildirTest, CreatesPrivateDirectoriesAndFiles) {
    auto old_umask = ::umask(0);  // so that only the modes the code asks for count
    auto maildir = root_ / "mail" / "example.com" / "alice";
    auto result = deliver(maildir, {"secret\n"});
    ::umask(old_umask);
    ASSERT_TRUE(std::holds_alternative<Delivered>(result));

    for (const auto& directory : {root_ / "mail", root_ / "mail" / "example.com", maildir, maildir / "tmp",
                                  maildir / "new", maildir / "cur"}) {
        EXPECT_EQ(mode_of(directory), 0700u) << directory;
    }
    EXPECT_EQ(mode_of(maildir / "new" / std::get<Delivered>(result).file_name), 0600u);
}

TEST_F(MaildirTest, FileWhereTmpShouldBeIsAnError) {
    fs::create_directories(maildir_);
    std::ofstream{maildir_ / "tmp"} << "not a directory";

    auto result = deliver(maildir_, {"x\n"});
    ASSERT_TRUE(std::holds_alternative<std::error_code>(result));
    EXPECT_EQ(std::get<std::error_code>(result), std::errc::not_a_directory);
    EXPECT_TRUE(!fs::exists(maildir_ / "new") || names_in(maildir_ / "new").empty());
}

// The message is written and synced, then the rename into new/ fails: the file in tmp/
// must not be left behind.
TEST_F(MaildirTest, FileWhereNewShouldBeIsAnErrorAndCleansTmp) {
    fs::create_directories(maildir_);
    std::ofstream{maildir_ / "new"} << "not a directory";

    auto result = deliver(maildir_, {"x\n"});
    ASSERT_TRUE(std::holds_alternative<std::error_code>(result));
    EXPECT_EQ(std::get<std::error_code>(result), std::errc::not_a_directory);
    EXPECT_TRUE(names_in(maildir_ / "tmp").empty());
    EXPECT_EQ(read_file(maildir_ / "new"), "not a directory");
}

TEST_F(MaildirTest, UnwritableTmpIsAnError) {
    if (::geteuid() == 0) {
        GTEST_SKIP() << "root ignores directory permissions; the FileWhere... tests cover faults as root";
    }
    fs::create_directories(maildir_ / "tmp");
    ASSERT_EQ(::chmod((maildir_ / "tmp").c_str(), 0500), 0);

    auto result = deliver(maildir_, {"x\n"});
    ::chmod((maildir_ / "tmp").c_str(), 0700);
    ASSERT_TRUE(std::holds_alternative<std::error_code>(result));
    EXPECT_EQ(std::get<std::error_code>(result), std::errc::permission_denied);
    EXPECT_TRUE(names_in(maildir_ / "new").empty());
    EXPECT_TRUE(names_in(maildir_ / "tmp").empty());
}

}  // namespace
}  // namespace mailsteps
