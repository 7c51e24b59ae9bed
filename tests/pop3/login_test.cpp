// Logging in: a password checked against its crypt(3) hash (password.cpp), and Users::authenticate,
// which the POP3 session asks.
#include "durable_file.hpp"
#include "password.hpp"
#include "users.hpp"

#include "shared/testing/files.hpp"
#include "shared/testing/temp_dir.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

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

// ---- password ----

TEST(PasswordTest, AHashVerifiesItsPasswordOnly) {
    auto hash = hash_password("correct horse");
    EXPECT_EQ(hash.find("correct horse"), std::string::npos);
    EXPECT_TRUE(verify_password("correct horse", hash));
    EXPECT_FALSE(verify_password("correct hors", hash));
    EXPECT_FALSE(verify_password("correct horse ", hash));
    EXPECT_FALSE(verify_password("Correct horse", hash));
    EXPECT_FALSE(verify_password("", hash));
}

TEST(PasswordTest, EachHashHasItsOwnSalt) {
    auto first = hash_password("same");
    auto second = hash_password("same");
    EXPECT_NE(first, second);
    EXPECT_TRUE(verify_password("same", first));
    EXPECT_TRUE(verify_password("same", second));
}

TEST(PasswordTest, MalformedHashesVerifyNothing) {
    auto hash = hash_password("pw");
    for (std::string bad : {""s, "*"s, "!"s, "!" + hash, "$y$"s, "$y$j9T$"s, "not a hash"s,
                            hash.substr(0, hash.size() - 1), hash + "x", hash.substr(0, 10) + '\0' + hash.substr(10)}) {
        EXPECT_FALSE(verify_password("pw", bad)) << bad;
    }
}

TEST(PasswordTest, APasswordWithNulDoesNotMatchItsPrefix) {
    auto hash = hash_password("pw");
    EXPECT_FALSE(verify_password("pw\0extra"s, hash));
    EXPECT_THROW(hash_password("pw\0extra"s), std::invalid_argument);
}

TEST(PasswordTest, PasswordsUpToTheLimitWork) {
    std::string longest(max_password_size, 'p');
    auto hash = hash_password(longest);
    EXPECT_TRUE(verify_password(longest, hash));
    EXPECT_FALSE(verify_password(longest + "p", hash));
    EXPECT_THROW(hash_password(longest + "p"), std::invalid_argument);
}

// ---- Users: who logs in ----

TEST(UsersTest, WithoutAFileEveryAddressGetsMailAndNobodyLogsIn) {
    TempDir dir;
    Users users{dir.path() / "users"};
    EXPECT_TRUE(users.accepts_mail_for("anyone@example.test"));
    EXPECT_TRUE(users.accepts_mail_for("not an address"));
    EXPECT_FALSE(users.has_account("anyone@example.test"));
    EXPECT_FALSE(users.authenticate("anyone@example.test", ""));

    replace_file(users.file(), "# nobody yet\n");
    EXPECT_TRUE(users.accepts_mail_for("anyone@example.test"));
}

TEST(UsersTest, OnceAccountsAreListedOnlyTheyGetMail) {
    TempDir dir;
    auto file = dir.path() / "users";
    ASSERT_EQ(add_user(file, "alice@example.test", "alice's secret"), std::nullopt);
    Users users{file};
    EXPECT_TRUE(users.accepts_mail_for("Alice@Example.Test"));
    EXPECT_FALSE(users.accepts_mail_for("bob@example.test"));
    EXPECT_FALSE(users.accepts_mail_for("not an address"));
    EXPECT_TRUE(users.has_account("ALICE@example.test"));
    EXPECT_TRUE(users.authenticate("alice@EXAMPLE.test", "alice's secret"));
    EXPECT_FALSE(users.authenticate("alice@example.test", "Alice's secret"));
    EXPECT_FALSE(users.authenticate("bob@example.test", "alice's secret"));
}

TEST(UsersTest, SeesChangesWithoutARestart) {
    TempDir dir;
    auto file = dir.path() / "users";
    ASSERT_EQ(add_user(file, "alice@example.test", "a"), std::nullopt);
    Users users{file};
    EXPECT_FALSE(users.authenticate("bob@example.test", "b"));

    ASSERT_EQ(add_user(file, "bob@example.test", "b"), std::nullopt);
    EXPECT_TRUE(users.authenticate("bob@example.test", "b"));
    EXPECT_TRUE(users.accepts_mail_for("bob@example.test"));

    ASSERT_EQ(remove_user(file, "alice@example.test"), std::nullopt);
    EXPECT_FALSE(users.authenticate("alice@example.test", "a"));
    EXPECT_FALSE(users.accepts_mail_for("alice@example.test"));

    fs::remove(file);  // no list any more: mail for everyone, logins for no one
    EXPECT_TRUE(users.accepts_mail_for("alice@example.test"));
    EXPECT_FALSE(users.authenticate("bob@example.test", "b"));
}

TEST(UsersTest, AMalformedRewriteKeepsTheLastGoodTableAndIsReportedOnce) {
    TempDir dir;
    auto file = dir.path() / "users";
    ASSERT_EQ(add_user(file, "alice@example.test", "a"), std::nullopt);
    std::vector<std::string> errors;
    Users users{file, [&](const std::string& error) { errors.push_back(error); }};

    auto good = read_file(file);
    replace_file(file, good + "bob@example.test\n");
    EXPECT_TRUE(users.authenticate("alice@example.test", "a"));
    EXPECT_FALSE(users.accepts_mail_for("bob@example.test"));
    EXPECT_TRUE(users.has_account("alice@example.test"));
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_TRUE(errors[0].starts_with(file.string() + ": line 2: expected address:hash")) << errors[0];

    replace_file(file, good + "bob@example.test:" + hash_password("b") + "\n");  // fixed
    EXPECT_TRUE(users.authenticate("bob@example.test", "b"));
    EXPECT_EQ(errors.size(), 1U);
}

TEST(UsersTest, ManyThreadsAuthenticateWhileAccountsAreAdded) {
    TempDir dir;
    auto file = dir.path() / "users";
    ASSERT_EQ(add_user(file, "alice@example.test", "a"), std::nullopt);
    Users users{file};
    auto user = [](int i) { return "user" + std::to_string(i) + "@example.test"; };
    std::atomic<int> added{0};
    std::atomic<bool> done{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&] {
            while (!done) {
                int known = added;  // accounts added so far: each must log in from now on
                EXPECT_TRUE(users.authenticate("alice@example.test", "a"));
                EXPECT_FALSE(users.authenticate("alice@example.test", "b"));
                if (known > 0) {
                    EXPECT_TRUE(users.authenticate(user(known - 1), "pw")) << user(known - 1);
                }
                EXPECT_FALSE(users.accepts_mail_for(user(known + 10)));
            }
        });
    }
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(add_user(file, user(i), "pw"), std::nullopt);
        ++added;
    }
    done = true;
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_TRUE(users.authenticate(user(4), "pw"));
}

}  // namespace
}  // namespace accounts
