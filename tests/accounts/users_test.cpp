// The users file on its own (users.cpp): the address:hash format, reading it, and the server's
// view of it, which decides who gets mail and sees the file change without a restart.
#include "durable_file.hpp"
#include "users.hpp"

#include "shared/testing/files.hpp"
#include "shared/testing/temp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace accounts {
namespace {

namespace fs = std::filesystem;
using mailsteps::testing::TempDir;
using namespace std::string_literals;

using mailsteps::testing::read_file;

// Replaces the file the way write_durably does (a new inode), as a careful editor would.
void replace_file(const fs::path& path, std::string_view content) {
    fs::path temporary = path.string() + ".new";
    std::string_view parts[] = {content};
    ASSERT_FALSE(mailsteps::write_durably(temporary, path, parts, mailsteps::Existing::replace)) << path;
}

std::string error_of(const std::variant<std::vector<Account>, std::string>& parsed) {
    return std::holds_alternative<std::string>(parsed) ? std::get<std::string>(parsed) : "(no error)";
}

// ---- addresses and the file format ----

TEST(NormalizeAddressTest, LowercasesValidAddresses) {
    EXPECT_EQ(normalize_address("alice@Example.Test"), "alice@example.test");
    EXPECT_EQ(normalize_address("ALICE@LOCALHOST"), "alice@localhost");
    EXPECT_EQ(normalize_address("a.b+tag@mail.example.test"), "a.b+tag@mail.example.test");
}

TEST(NormalizeAddressTest, RefusesWhatIsNoSafeMailbox) {
    for (std::string bad :
         {""s, "alice"s, "alice@"s, "@example.test"s, "a@b@example.test"s, "a/b@example.test"s, "alice@ex/ample"s,
          "a..b@example.test"s, "alice@.."s, "al:ice@example.test"s, "alice@example.test:"s, "al ice@example.test"s,
          "alice@example.test "s, "al\tice@example.test"s, "al\0ice@example.test"s, ".alice@example.test"s,
          "alice@.example.test"s, "#alice@example.test"s, "alice@#example.test"s,
          std::string(65, 'a') + "@example.test"}) {
        EXPECT_EQ(normalize_address(bad), std::nullopt) << bad;
    }
}

TEST(ParseUsersTest, SkipsCommentsAndBlankLines) {
    auto parsed = parse_users("# POP3 accounts\n"
                              "\n"
                              "Alice@Example.Test:$y$hash1\n"
                              "   \t\n"
                              "#bob@example.test:$y$old\n"
                              "bob@example.test:$y$hash2");  // no newline at the end
    ASSERT_TRUE(std::holds_alternative<std::vector<Account>>(parsed)) << error_of(parsed);
    std::vector<Account> expected{{"alice@example.test", "$y$hash1"}, {"bob@example.test", "$y$hash2"}};
    EXPECT_EQ(std::get<std::vector<Account>>(parsed), expected);
}

TEST(ParseUsersTest, ErrorsNameTheLine) {
    const std::string good = "# accounts\nalice@example.test:$y$hash\n";
    struct Case {
        std::string line;
        std::string error;
    };
    for (const auto& [line, error] : std::vector<Case>{
             {"bob@example.test", "line 3: expected address:hash"},
             {"bob:$y$hash", "line 3: not a valid address"},
             {"bob@exa/mple.test:$y$hash", "line 3: not a valid address"},
             {" bob@example.test:$y$hash", "line 3: not a valid address"},
             {"bob@example.test:", "line 3: the hash must be one word"},
             {"bob@example.test:$y$ hash", "line 3: the hash must be one word"},
             {"bob@example.test:$y$hash:extra", "line 3: the hash must be one word"},
             {"bob@example.test:$y$hash\r", "line 3: the hash must be one word"},
             {"ALICE@example.test:$y$other", "line 3: alice@example.test is already on line 2"},
         }) {
        auto parsed = parse_users(good + line + "\ncarol@example.test:$y$hash\n");
        EXPECT_TRUE(error_of(parsed).starts_with(error)) << line << " gave: " << error_of(parsed);
    }
}

TEST(ReadUsersTest, AMissingFileHasNoAccounts) {
    TempDir dir;
    auto users = read_users(dir.path() / "users");
    ASSERT_TRUE(std::holds_alternative<std::vector<Account>>(users)) << error_of(users);
    EXPECT_TRUE(std::get<std::vector<Account>>(users).empty());
}

TEST(ReadUsersTest, ProblemsNameTheFile) {
    TempDir dir;
    auto file = dir.path() / "users";
    replace_file(file, "alice@example.test:$y$hash\nnonsense\n");
    EXPECT_EQ(error_of(read_users(file)), file.string() + ": line 2: expected address:hash");
    EXPECT_EQ(error_of(read_users(dir.path())), dir.path().string() + ": not a regular file");
}

// ---- Users: the server's view ----

TEST(UsersTest, WithoutAFileEveryAddressGetsMail) {
    TempDir dir;
    Users users{dir.path() / "users"};
    EXPECT_TRUE(users.accepts_mail_for("anyone@example.test"));
    EXPECT_TRUE(users.accepts_mail_for("not an address"));
    EXPECT_FALSE(users.has_account("anyone@example.test"));

    replace_file(users.file(), "# nobody yet\n");
    EXPECT_TRUE(users.accepts_mail_for("anyone@example.test"));
}

TEST(UsersTest, OnceAccountsAreListedOnlyTheyGetMail) {
    TempDir dir;
    auto file = dir.path() / "users";
    replace_file(file, "alice@example.test:$y$hash\n");
    Users users{file};
    EXPECT_TRUE(users.accepts_mail_for("Alice@Example.Test"));
    EXPECT_FALSE(users.accepts_mail_for("bob@example.test"));
    EXPECT_FALSE(users.accepts_mail_for("not an address"));
    EXPECT_TRUE(users.has_account("ALICE@example.test"));
}

TEST(UsersTest, SeesEditsWithoutARestart) {
    TempDir dir;
    auto file = dir.path() / "users";
    replace_file(file, "alice@example.test:$y$a\n");
    Users users{file};
    EXPECT_FALSE(users.accepts_mail_for("bob@example.test"));

    replace_file(file, "alice@example.test:$y$a\nbob@example.test:$y$b\n");
    EXPECT_TRUE(users.accepts_mail_for("bob@example.test"));

    replace_file(file, "bob@example.test:$y$b\n");
    EXPECT_FALSE(users.accepts_mail_for("alice@example.test"));
    EXPECT_TRUE(users.has_account("bob@example.test"));

    fs::remove(file);  // no list any more: mail for everyone
    EXPECT_TRUE(users.accepts_mail_for("alice@example.test"));
    EXPECT_FALSE(users.has_account("bob@example.test"));
}

TEST(UsersTest, AMalformedFileFailsAtStartUp) {
    TempDir dir;
    auto file = dir.path() / "users";
    replace_file(file, "alice@example.test:$y$hash\nalice\n");
    try {
        Users users{file};
        ADD_FAILURE() << "constructed from a malformed file";
    } catch (const std::runtime_error& error) {
        EXPECT_EQ(error.what(), file.string() + ": line 2: expected address:hash");
    }
    EXPECT_THROW(Users{dir.path()}, std::runtime_error);  // a directory
}

TEST(UsersTest, AMalformedEditKeepsTheLastGoodTableAndIsReportedOnce) {
    TempDir dir;
    auto file = dir.path() / "users";
    const std::string good = "alice@example.test:$y$a\n";
    replace_file(file, good);
    std::vector<std::string> errors;
    Users users{file, [&](const std::string& error) { errors.push_back(error); }};

    replace_file(file, good + "bob@example.test\n");
    EXPECT_TRUE(users.accepts_mail_for("alice@example.test"));
    EXPECT_FALSE(users.accepts_mail_for("bob@example.test"));
    EXPECT_TRUE(users.has_account("alice@example.test"));
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_TRUE(errors[0].starts_with(file.string() + ": line 2: expected address:hash")) << errors[0];
    EXPECT_EQ(read_file(file), good + "bob@example.test\n");  // the server never writes the file

    replace_file(file, good + "bob@example.test:$y$b\n");  // fixed
    EXPECT_TRUE(users.accepts_mail_for("bob@example.test"));
    EXPECT_EQ(errors.size(), 1U);
}

}  // namespace
}  // namespace accounts
