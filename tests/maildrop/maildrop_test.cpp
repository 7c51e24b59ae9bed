// Maildrop: one user's Maildir, locked, listed and sized for a POP3 session (RFC 1939 4-7).
#include "maildrop.hpp"

#include "maildir.hpp"
#include "pop3_data.hpp"

#include "shared/testing/files.hpp"
#include "shared/testing/temp_dir.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace pop3 {
namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& path, std::string_view content) {
    std::ofstream out{path, std::ios::binary};
    out << content;
    if (!out.flush()) {
        throw std::runtime_error("cannot write " + path.string());
    }
}

using mailsteps::testing::read_file;

unsigned mode_of(const fs::path& path) {
    struct stat status {};
    EXPECT_EQ(::stat(path.c_str(), &status), 0) << path;
    return status.st_mode & 07777;
}

Maildrop open_maildrop(const fs::path& maildir) {
    auto opened = Maildrop::open(maildir);
    if (auto* error = std::get_if<Maildrop::OpenError>(&opened)) {
        throw std::runtime_error(*error == Maildrop::OpenError::in_use ? "maildrop in use" : "cannot open maildrop");
    }
    return std::get<Maildrop>(std::move(opened));
}

bool is_in_use(const fs::path& maildir) {
    auto opened = Maildrop::open(maildir);
    return std::holds_alternative<Maildrop::OpenError>(opened) &&
           std::get<Maildrop::OpenError>(opened) == Maildrop::OpenError::in_use;
}

std::vector<std::string> file_names(const Maildrop& maildrop) {
    std::vector<std::string> names;
    for (std::size_t number = 1; number <= maildrop.size(); ++number) {
        names.push_back(fs::path{maildrop.find(number)->file}.filename().string());
    }
    return names;
}

std::vector<std::string> uids(const Maildrop& maildrop) {
    std::vector<std::string> ids;
    for (std::size_t number = 1; number <= maildrop.size(); ++number) {
        ids.push_back(maildrop.find(number)->uid);
    }
    return ids;
}

class MaildropTest : public ::testing::Test {
protected:
    std::string deliver(std::string_view text) {
        std::string_view parts[] = {text};
        auto delivered = mailsteps::deliver_to_maildir(maildir_, parts);
        if (auto* error = std::get_if<std::error_code>(&delivered)) {
            throw std::system_error(*error, "deliver_to_maildir");
        }
        return std::get<mailsteps::Delivered>(delivered).file_name;
    }

    // Writes a message the way another tool might, under any name, in new/ or cur/.
    fs::path put(std::string_view sub, std::string_view name, std::string_view content) {
        fs::create_directories(maildir_ / sub);
        auto path = maildir_ / sub / name;
        write_file(path, content);
        return path;
    }

    mailsteps::testing::TempDir root_;
    fs::path maildir_ = root_.path() / "example.com" / "alice";
};

TEST_F(MaildropTest, AUserWithNoMailYetHasAnEmptyPrivateMaildrop) {
    auto maildrop = open_maildrop(maildir_);
    EXPECT_EQ(maildrop.size(), 0u);
    EXPECT_EQ(maildrop.count(), 0u);
    EXPECT_EQ(maildrop.total_size(), 0u);
    EXPECT_EQ(maildrop.find(1), nullptr);
    for (const char* sub : {"tmp", "new", "cur"}) {
        EXPECT_EQ(mode_of(maildir_ / sub), 0700u) << sub;
    }
    EXPECT_EQ(mode_of(maildir_), 0700u);
    EXPECT_EQ(mode_of(maildir_ / "pop3.lock"), 0600u);
}

TEST_F(MaildropTest, AMaildirThatIsAFileCannotBeOpened) {
    fs::create_directories(maildir_.parent_path());
    write_file(maildir_, "not a directory");
    auto opened = Maildrop::open(maildir_);
    ASSERT_TRUE(std::holds_alternative<Maildrop::OpenError>(opened));
    EXPECT_EQ(std::get<Maildrop::OpenError>(opened), Maildrop::OpenError::failed);
}

TEST_F(MaildropTest, ListsOldestFirstByTheTimeInTheName) {
    // Numbers, not text: 999999999 comes before 1700000000, M5 before M10.
    put("new", "1700000002.M10P1Q1.host", "x\n");
    put("cur", "1700000002.M5P1Q1.host:2,S", "x\n");
    put("new", "999999999.M1P1Q1.host", "x\n");
    put("cur", "1700000001.123.host:2,", "x\n"); // the older "<seconds>.<pid>.<host>" names
    put("new", "1700000001.M0P9Q1.host", "x\n");
    put("new", "imported-b", "x\n"); // no time: as if delivered at the epoch
    put("new", "imported-a", "x\n");

    EXPECT_EQ(file_names(open_maildrop(maildir_)),
              (std::vector<std::string>{"imported-a", "imported-b", "999999999.M1P1Q1.host", "1700000001.123.host:2,",
                                        "1700000001.M0P9Q1.host", "1700000002.M5P1Q1.host:2,S",
                                        "1700000002.M10P1Q1.host"}));
}

TEST_F(MaildropTest, ListsDeliveriesInTheOrderTheyArrived) {
    auto first = deliver("Subject: 1\n\n");
    auto second = deliver("Subject: 2\n\n");
    auto third = deliver("Subject: 3\n\n");
    EXPECT_EQ(file_names(open_maildrop(maildir_)), (std::vector<std::string>{first, second, third}));
}

TEST_F(MaildropTest, ListsOnlyVisibleRegularFiles) {
    auto message = deliver("Subject: real\n\n");
    put("new", ".hidden", "x\n");
    fs::create_directories(maildir_ / "cur" / "1700000000.M1P1Q1.directory");
    fs::create_symlink(maildir_ / "new" / message, maildir_ / "cur" / "1700000000.M2P1Q1.symlink");
    EXPECT_EQ(file_names(open_maildrop(maildir_)), std::vector<std::string>{message});
}

TEST_F(MaildropTest, SizesAreWireSizes) {
    std::vector<std::string> contents = {
        "Subject: lf\n\nbody\n.dot\n",
        "Subject: crlf\r\n\r\nbody\r\n",
        "Subject: no line end\n\nlast",
        "",
    };
    // A CRLF split across two of the 64 KiB blocks the sizes are read in.
    std::string big(65535, 'x');
    big += "\r\n";
    contents.push_back(big);

    for (const auto& content : contents) {
        deliver(content);
    }
    auto maildrop = open_maildrop(maildir_);
    ASSERT_EQ(maildrop.size(), contents.size());
    std::uint64_t total = 0;
    for (std::size_t number = 1; number <= maildrop.size(); ++number) {
        const Message* message = maildrop.find(number);
        EXPECT_EQ(message->size, wire_size(read_file(maildir_ / message->file))) << message->file;
        total += message->size;
    }
    EXPECT_EQ(maildrop.find(5)->size, big.size());
    EXPECT_EQ(maildrop.total_size(), total);
}

TEST_F(MaildropTest, ANameWithoutAPlainNumberForItsSizeIsRead) {
    std::string content = "Subject: a\n\nb\n"; // wire size 17
    for (const char* name : {"1.M1P1Q1.host,W=", "1.M2P1Q1.host,W=x", "1.M3P1Q1.host,W=12x", "1.M4P1Q1.host,W=-1",
                             "1.M5P1Q1.host,W=99999999999999999999999", "1.M6P1Q1.host,S=15"}) {
        put("new", name, content);
    }
    auto maildrop = open_maildrop(maildir_);
    ASSERT_EQ(maildrop.size(), 6u);
    for (std::size_t number = 1; number <= maildrop.size(); ++number) {
        EXPECT_EQ(maildrop.find(number)->size, wire_size(content)) << maildrop.find(number)->file;
    }
}

TEST_F(MaildropTest, ReadGivesTheFileAsStored) {
    deliver("Subject: one\n\nfirst\n");
    deliver("Subject: two\r\n\r\nsecond\r\n");
    auto maildrop = open_maildrop(maildir_);
    EXPECT_EQ(std::get<std::string>(maildrop.read(1)), "Subject: one\n\nfirst\n");
    EXPECT_EQ(std::get<std::string>(maildrop.read(2)), "Subject: two\r\n\r\nsecond\r\n");
    EXPECT_TRUE(std::holds_alternative<std::error_code>(maildrop.read(0)));
    EXPECT_TRUE(std::holds_alternative<std::error_code>(maildrop.read(3)));
    maildrop.mark_deleted(1);
    EXPECT_TRUE(std::holds_alternative<std::error_code>(maildrop.read(1)));
}

TEST_F(MaildropTest, UidsStayTheSameAcrossSessionsAndMoves) {
    auto first = deliver("Subject: 1\n\n");
    auto second = deliver("Subject: 2\n\n");
    auto long_name = std::string(90, 'h') + ".M1P1Q1.host"; // past 70 characters: hashed
    put("new", long_name, "Subject: long\n\n");

    std::vector<std::string> before = uids(open_maildrop(maildir_));
    EXPECT_EQ(before, uids(open_maildrop(maildir_)));
    EXPECT_EQ(before[0], unique_id(long_name));
    EXPECT_EQ(before[1], first);
    EXPECT_EQ(before[2], second);

    // What mutt does once it has shown the messages: new/ to cur/, ":2,S" added.
    for (const auto& name : {first, second, long_name}) {
        fs::rename(maildir_ / "new" / name, maildir_ / "cur" / (name + ":2,S"));
    }
    auto maildrop = open_maildrop(maildir_);
    EXPECT_EQ(uids(maildrop), before);
    EXPECT_EQ(maildrop.find(1)->file, "cur/" + long_name + ":2,S");
}

TEST(UniqueId, IsTheNameBeforeTheInfoSuffix) {
    EXPECT_EQ(unique_id("1700000000.M1P2Q3.host"), "1700000000.M1P2Q3.host");
    EXPECT_EQ(unique_id("1700000000.M1P2Q3.host:2,S"), "1700000000.M1P2Q3.host");
    EXPECT_EQ(unique_id("1700000000.M1P2Q3.host:2,"), "1700000000.M1P2Q3.host");
    EXPECT_EQ(unique_id("!~"), "!~"); // the ends of RFC 1939's 0x21..0x7E
}

TEST(UniqueId, SeventyCharactersAtMost) {
    std::string seventy(70, 'a');
    std::string seventy_one(71, 'a');
    EXPECT_EQ(unique_id(seventy), seventy);
    EXPECT_EQ(unique_id(seventy + ":2,S"), seventy);
    auto hashed = unique_id(seventy_one);
    EXPECT_EQ(hashed.size(), 16u);
    EXPECT_EQ(hashed.find_first_not_of("0123456789abcdef"), std::string::npos) << hashed;
    EXPECT_EQ(unique_id(seventy_one + ":2,S"), hashed);
    EXPECT_NE(unique_id(std::string(71, 'b')), hashed);
}

TEST(UniqueId, HashesNamesWithCharactersOutsideTheRange) {
    // FNV-1a 64 test values (http://www.isthe.com/chongo/tech/comp/fnv/).
    EXPECT_EQ(unique_id("hello world"), "779a65e7023cd2e7");
    EXPECT_EQ(unique_id(":2,S"), "cbf29ce484222325"); // the empty base name
    EXPECT_EQ(unique_id("tab\there").size(), 16u);
    EXPECT_EQ(unique_id("del\x7f").size(), 16u);
    EXPECT_EQ(unique_id("caf\xc3\xa9").size(), 16u);
}

// RFC 1939 4: one session at a time.
TEST_F(MaildropTest, ASecondOpenFindsItInUseUntilTheFirstEnds) {
    {
        auto first = open_maildrop(maildir_);
        EXPECT_TRUE(is_in_use(maildir_));
        EXPECT_TRUE(is_in_use(maildir_)); // a refused open does not disturb the lock
    }
    auto again = open_maildrop(maildir_);
    EXPECT_TRUE(is_in_use(maildir_));
}

TEST_F(MaildropTest, TheLockMovesWithTheMaildrop) {
    std::optional<Maildrop> moved;
    {
        auto first = open_maildrop(maildir_);
        moved.emplace(std::move(first));
    }
    EXPECT_TRUE(is_in_use(maildir_)); // the moved-from one let go of nothing when it went
    moved.reset();
    EXPECT_FALSE(is_in_use(maildir_));
}

TEST_F(MaildropTest, MarksAndUnmarksDeletions) {
    deliver("Subject: 1\n\n");
    deliver("Subject: two\n\nbody\n");
    deliver("Subject: three\n\nmore body\n");
    auto maildrop = open_maildrop(maildir_);
    auto size_of = [&](std::size_t number) { return maildrop.find(number)->size; };
    std::uint64_t all = size_of(1) + size_of(2) + size_of(3);
    std::uint64_t without_second = size_of(1) + size_of(3);
    EXPECT_EQ(maildrop.total_size(), all);

    EXPECT_TRUE(maildrop.mark_deleted(2));
    EXPECT_FALSE(maildrop.mark_deleted(2));
    EXPECT_FALSE(maildrop.mark_deleted(0));
    EXPECT_FALSE(maildrop.mark_deleted(4));
    EXPECT_TRUE(maildrop.is_deleted(2));
    EXPECT_FALSE(maildrop.is_deleted(1));
    EXPECT_FALSE(maildrop.is_deleted(4));
    EXPECT_EQ(maildrop.find(2), nullptr);
    EXPECT_NE(maildrop.find(3), nullptr);
    EXPECT_EQ(maildrop.size(), 3u);
    EXPECT_EQ(maildrop.count(), 2u);
    EXPECT_EQ(maildrop.total_size(), without_second);

    maildrop.unmark_all();
    EXPECT_FALSE(maildrop.is_deleted(2));
    EXPECT_EQ(maildrop.count(), 3u);
    EXPECT_EQ(maildrop.total_size(), all);
}

TEST_F(MaildropTest, CommitRemovesExactlyTheMarkedFiles) {
    auto in_new = deliver("Subject: 1\n\n");
    auto kept_new = deliver("Subject: 2\n\n");
    auto in_cur = put("cur", "1999999999.M1P1Q1.host:2,S", "Subject: 3\n\n");
    auto kept_cur = put("cur", "1999999999.M2P1Q1.host:2,S", "Subject: 4\n\n");
    {
        auto maildrop = open_maildrop(maildir_);
        ASSERT_EQ(maildrop.size(), 4u);
        maildrop.mark_deleted(1);
        maildrop.mark_deleted(3);
        EXPECT_FALSE(maildrop.commit());
    }
    EXPECT_FALSE(fs::exists(maildir_ / "new" / in_new));
    EXPECT_FALSE(fs::exists(in_cur));
    EXPECT_TRUE(fs::exists(maildir_ / "new" / kept_new));
    EXPECT_TRUE(fs::exists(kept_cur));
    EXPECT_EQ(open_maildrop(maildir_).size(), 2u);
}

TEST_F(MaildropTest, WithoutCommitNothingIsRemoved) {
    deliver("Subject: 1\n\n");
    deliver("Subject: 2\n\n");
    {
        auto maildrop = open_maildrop(maildir_);
        maildrop.mark_deleted(1);
        maildrop.mark_deleted(2);
    } // the connection dropped before QUIT
    EXPECT_EQ(open_maildrop(maildir_).count(), 2u);
}

TEST_F(MaildropTest, MailArrivingDuringTheSessionWaitsForTheNext) {
    deliver("Subject: 1\n\n");
    std::string later;
    {
        auto maildrop = open_maildrop(maildir_);
        later = deliver("Subject: 2\n\n");
        EXPECT_EQ(maildrop.size(), 1u);
        maildrop.mark_deleted(1);
        EXPECT_FALSE(maildrop.commit());
    }
    EXPECT_EQ(uids(open_maildrop(maildir_)), std::vector<std::string>{later});
}

// Another client (mutt, say) may remove or rewrite a file while the session holds the list.
TEST_F(MaildropTest, FilesThatVanishedGiveErrorsAndCountAsRemoved) {
    auto gone = deliver("Subject: 1\n\n");
    deliver("Subject: 2\n\n");
    auto maildrop = open_maildrop(maildir_);
    fs::remove(maildir_ / "new" / gone);

    auto content = maildrop.read(1);
    ASSERT_TRUE(std::holds_alternative<std::error_code>(content));
    EXPECT_EQ(std::get<std::error_code>(content), std::errc::no_such_file_or_directory);
    EXPECT_TRUE(maildrop.mark_deleted(1));
    EXPECT_TRUE(maildrop.mark_deleted(2));
    EXPECT_FALSE(maildrop.commit());
    EXPECT_TRUE(fs::is_empty(maildir_ / "new"));
}

TEST_F(MaildropTest, AFileThatGrewIsNoLongerTheMessageAnnounced) {
    auto name = deliver("Subject: 1\n\n");
    auto maildrop = open_maildrop(maildir_);
    std::ofstream{maildir_ / "new" / name, std::ios::app} << "a much longer body than the size said\n";
    auto content = maildrop.read(1);
    ASSERT_TRUE(std::holds_alternative<std::error_code>(content));
    EXPECT_EQ(std::get<std::error_code>(content), std::errc::file_too_large);
}

// A thousand messages, named as our deliveries are or with the ",S=<size>" some other Maildir
// writers add: either way every one is listed in delivery order and sized by reading it.
class MaildropThousand : public MaildropTest, public ::testing::WithParamInterface<bool> {};

TEST_P(MaildropThousand, Opens) {
    constexpr std::size_t messages = 1000;
    std::string content = "Subject: load\n\n";
    while (content.size() < 4096) {
        content += "a line of text for the size count, 64 octets with its line end\n";
    }
    const bool sizes_in_names = GetParam();
    auto name = [&](std::size_t i) {
        auto base = "1700000000.M" + std::to_string(i) + "P1Q1.host";
        return sizes_in_names ? base + ",S=" + std::to_string(content.size()) : base;
    };
    fs::create_directories(maildir_ / "new");
    for (std::size_t i = 0; i < messages; ++i) {
        write_file(maildir_ / "new" / name(i), content);
    }

    auto maildrop = open_maildrop(maildir_);
    EXPECT_EQ(maildrop.size(), messages);
    EXPECT_EQ(maildrop.total_size(), messages * wire_size(content));
    EXPECT_EQ(maildrop.find(messages)->file, "new/" + name(messages - 1));
    EXPECT_EQ(std::get<std::string>(maildrop.read(messages)), content);
}

INSTANTIATE_TEST_SUITE_P(Maildrop, MaildropThousand, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "SizesInNames" : "NoSizesInNames"; });

} // namespace
} // namespace pop3
