// Adding and removing accounts: crypt(3) hashes (password.cpp), the users file rewritten under a
// lock (users.cpp), and `mailserver user` (user_command.cpp).
#include "durable_file.hpp"
#include "password.hpp"
#include "user_command.hpp"
#include "users.hpp"

#include "shared/testing/files.hpp"
#include "shared/testing/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
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

unsigned mode_of(const fs::path& path) {
    struct stat status {};
    EXPECT_EQ(::stat(path.c_str(), &status), 0) << path;
    return status.st_mode & 07777;
}

std::vector<std::string> addresses_in(const fs::path& file) {
    auto users = read_users(file);
    EXPECT_TRUE(std::holds_alternative<std::vector<Account>>(users)) << std::get<std::string>(users);
    std::vector<std::string> addresses;
    for (const auto& account : std::get<std::vector<Account>>(users)) {
        addresses.push_back(account.address);
    }
    return addresses;
}

std::string error_of(const std::variant<std::vector<Account>, std::string>& parsed) {
    return std::holds_alternative<std::string>(parsed) ? std::get<std::string>(parsed) : "(no error)";
}

// ---- password ----

// Verifying a password against its hash comes with POP3 logins; here, what the hash looks like.
TEST(PasswordTest, HashesAreSaltedAndNeverHoldThePassword) {
    auto first = hash_password("correct horse");
    auto second = hash_password("correct horse");
    EXPECT_NE(first, second);
    EXPECT_EQ(first.find("correct horse"), std::string::npos);
    EXPECT_TRUE(first.starts_with("$")) << first;  // "$y$" for yescrypt, "$6$" for SHA-512
}

TEST(PasswordTest, WhatCryptCannotTakeIsRefused) {
    EXPECT_THROW(hash_password("pw\0extra"s), std::invalid_argument);
    EXPECT_NO_THROW(hash_password(std::string(max_password_size, 'p')));
    EXPECT_THROW(hash_password(std::string(max_password_size + 1, 'p')), std::invalid_argument);
}

// ---- the file format ----

TEST(ParseUsersTest, ReadsWhatFormatWrites) {
    std::vector<Account> accounts{{"alice@example.test", hash_password("a")}, {"bob@localhost", "*"}};
    EXPECT_EQ(format_users(accounts), "alice@example.test:" + accounts[0].hash + "\nbob@localhost:*\n");
    auto parsed = parse_users(format_users(accounts));
    ASSERT_TRUE(std::holds_alternative<std::vector<Account>>(parsed)) << error_of(parsed);
    EXPECT_EQ(std::get<std::vector<Account>>(parsed), accounts);
}

// ---- editing the file ----

TEST(EditUsersTest, AddListRemoveRoundTrip) {
    TempDir dir;
    auto file = dir.path() / "var" / "new" / "users";  // neither directory exists yet
    EXPECT_EQ(add_user(file, "Bob@Example.Test", "bob's secret"), std::nullopt);
    EXPECT_EQ(add_user(file, "alice@example.test", "alice's secret"), std::nullopt);
    EXPECT_EQ(addresses_in(file), (std::vector<std::string>{"bob@example.test", "alice@example.test"}));
    EXPECT_EQ(mode_of(file), 0600U);
    EXPECT_EQ(mode_of(dir.path() / "var"), 0700U);
    EXPECT_EQ(mode_of(dir.path() / "var" / "new"), 0700U);

    auto accounts = std::get<std::vector<Account>>(read_users(file));
    EXPECT_EQ(accounts[0].hash.find("bob's secret"), std::string::npos);  // only the hash is stored

    EXPECT_EQ(remove_user(file, "BOB@example.test"), std::nullopt);
    EXPECT_EQ(addresses_in(file), std::vector<std::string>{"alice@example.test"});
    EXPECT_EQ(remove_user(file, "alice@example.test"), std::nullopt);
    EXPECT_TRUE(addresses_in(file).empty());
    EXPECT_EQ(read_file(file), "");
}

TEST(EditUsersTest, AddingAnExistingAccountFailsAndChangesNothing) {
    TempDir dir;
    auto file = dir.path() / "users";
    ASSERT_EQ(add_user(file, "alice@example.test", "first"), std::nullopt);
    auto before = read_file(file);
    EXPECT_EQ(add_user(file, "ALICE@example.test", "second"), "alice@example.test already exists in " + file.string());
    EXPECT_EQ(read_file(file), before);
}

TEST(EditUsersTest, RemovingAnUnknownAccountFails) {
    TempDir dir;
    auto file = dir.path() / "users";
    EXPECT_EQ(remove_user(file, "alice@example.test"), "alice@example.test is not in " + file.string());
    ASSERT_EQ(add_user(file, "alice@example.test", "pw"), std::nullopt);
    EXPECT_EQ(remove_user(file, "bob@example.test"), "bob@example.test is not in " + file.string());
    EXPECT_EQ(addresses_in(file), std::vector<std::string>{"alice@example.test"});
}

TEST(EditUsersTest, BadInputIsRefused) {
    TempDir dir;
    auto file = dir.path() / "users";
    EXPECT_NE(add_user(file, "alice", "pw"), std::nullopt);
    EXPECT_NE(add_user(file, "alice@example.test", ""), std::nullopt);
    EXPECT_NE(add_user(file, "alice@example.test", "pw\0x"s), std::nullopt);
    EXPECT_NE(add_user(file, "alice@example.test", std::string(max_login_password_size + 1, 'p')), std::nullopt);
    EXPECT_NE(remove_user(file, "../alice@example.test"), std::nullopt);
    EXPECT_FALSE(fs::exists(file));
}

TEST(EditUsersTest, AMalformedFileIsNotOverwritten) {
    TempDir dir;
    auto file = dir.path() / "users";
    replace_file(file, "nonsense\n");
    EXPECT_EQ(add_user(file, "alice@example.test", "pw"), file.string() + ": line 1: expected address:hash");
    EXPECT_EQ(read_file(file), "nonsense\n");
}

TEST(EditUsersTest, ALeftoverTemporaryFileIsNoObstacle) {
    TempDir dir;
    auto file = dir.path() / "users";
    std::ofstream{file.string() + ".tmp"} << "left by a run that crashed";
    EXPECT_EQ(add_user(file, "alice@example.test", "pw"), std::nullopt);
    EXPECT_EQ(addresses_in(file), std::vector<std::string>{"alice@example.test"});
}

TEST(EditUsersTest, ConcurrentAddsAreAllKept) {
    TempDir dir;
    auto file = dir.path() / "users";
    std::vector<std::string> expected;
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
        expected.push_back("user" + std::to_string(i) + "@example.test");
        threads.emplace_back([&file, address = expected.back()] {
            EXPECT_EQ(add_user(file, address, "pw"), std::nullopt);
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    auto added = addresses_in(file);
    std::sort(added.begin(), added.end());
    EXPECT_EQ(added, expected);
}

// ---- mailserver user ----

// Standard input from a pipe holding `text`, and standard output and error captured, while it lives.
class Console {
public:
    explicit Console(std::string_view text) {
        int pipe_ends[2];
        EXPECT_EQ(::pipe(pipe_ends), 0);
        EXPECT_EQ(::write(pipe_ends[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
        ::close(pipe_ends[1]);
        saved_stdin_ = ::dup(STDIN_FILENO);
        ::dup2(pipe_ends[0], STDIN_FILENO);
        ::close(pipe_ends[0]);
    }
    Console(const Console&) = delete;
    Console& operator=(const Console&) = delete;
    ~Console() {
        std::cout.rdbuf(saved_out_);
        std::cerr.rdbuf(saved_err_);
        ::dup2(saved_stdin_, STDIN_FILENO);
        ::close(saved_stdin_);
        std::clearerr(stdin);
        std::cin.clear();
    }

    std::string out() const { return out_.str(); }
    std::string err() const { return err_.str(); }

private:
    int saved_stdin_ = -1;
    std::ostringstream out_;
    std::ostringstream err_;
    std::streambuf* saved_out_ = std::cout.rdbuf(out_.rdbuf());
    std::streambuf* saved_err_ = std::cerr.rdbuf(err_.rdbuf());
};

// The main program's side: its --users option and the user command.
struct Program {
    CLI::App app{"test", "mailserver"};
    std::string users_file;
    UserCommand user = [this] {
        app.add_option("--users", users_file);
        return add_user_command(app);
    }();

    int run(std::vector<std::string> args) {
        std::reverse(args.begin(), args.end());  // CLI11 takes a vector back to front
        app.parse(args);
        return run_user_command(user, users_file);
    }
};

TEST(UserCommandTest, UsersMayComeBeforeOrAfterTheSubcommand) {
    TempDir dir;
    auto file = (dir.path() / "users").string();
    ASSERT_EQ(add_user(file, "alice@example.test", "a"), std::nullopt);
    for (const auto& args : {std::vector<std::string>{"user", "list", "--users", file},
                             std::vector<std::string>{"--users", file, "user", "list"}}) {
        Program program;
        Console console{""};
        EXPECT_EQ(program.run(args), 0);
        EXPECT_EQ(program.users_file, file);
        EXPECT_TRUE(program.user.list->parsed());
        EXPECT_EQ(console.out(), "alice@example.test\n");
    }
}

TEST(UserCommandTest, AddReadsThePasswordFromStandardInput) {
    TempDir dir;
    auto file = (dir.path() / "users").string();
    {
        Program program;
        Console console{"s3cret\r\n"};
        EXPECT_EQ(program.run({"user", "add", "Alice@Example.Test", "--users", file}), 0) << console.err();
        EXPECT_EQ(console.out(), "added alice@example.test\n");
        EXPECT_EQ(console.err(), "");
    }
    Users users{file};
    EXPECT_TRUE(users.has_account("alice@example.test"));
    {
        Program program;
        Console console{"other\n"};
        EXPECT_EQ(program.run({"--users", file, "user", "add", "alice@example.test"}), 1);
        EXPECT_EQ(console.err(), "mailserver: alice@example.test already exists in " + file + "\n");
        EXPECT_EQ(console.out(), "");
    }
    {
        Program program;
        Console console{""};
        EXPECT_EQ(program.run({"--users", file, "user", "add", "bob@example.test"}), 1);
        EXPECT_EQ(console.err(), "mailserver: no password on standard input\n");
    }
    {
        Program program;
        Console console{"pw\n"};
        EXPECT_EQ(program.run({"--users", file, "user", "add", "bob"}), 1);
        EXPECT_TRUE(console.err().starts_with("mailserver: 'bob' is not a valid address: expected local-part@domain"))
            << console.err();
    }
    EXPECT_EQ(addresses_in(file), std::vector<std::string>{"alice@example.test"});
}

TEST(UserCommandTest, ListSortsAndRemoveRemoves) {
    TempDir dir;
    auto file = (dir.path() / "users").string();
    for (const char* address : {"carol@example.test", "alice@example.test", "bob@example.test"}) {
        ASSERT_EQ(add_user(file, address, "pw"), std::nullopt);
    }
    {
        Program program;
        Console console{""};
        EXPECT_EQ(program.run({"user", "list", "--users", file}), 0);
        EXPECT_EQ(console.out(), "alice@example.test\nbob@example.test\ncarol@example.test\n");
    }
    {
        Program program;
        Console console{""};
        EXPECT_EQ(program.run({"user", "remove", "BOB@example.test", "--users", file}), 0);
        EXPECT_EQ(console.out(), "removed bob@example.test\n");
    }
    {
        Program program;
        Console console{""};
        EXPECT_EQ(program.run({"user", "remove", "bob@example.test", "--users", file}), 1);
        EXPECT_EQ(console.err(), "mailserver: bob@example.test is not in " + file + "\n");
    }
    EXPECT_EQ(addresses_in(file), (std::vector<std::string>{"carol@example.test", "alice@example.test"}));
}

TEST(UserCommandTest, UserNeedsASubcommandAndAddressesAreRequired) {
    using Args = std::vector<std::string>;
    for (const auto& args : {Args{"user"}, Args{"user", "add"}, Args{"user", "remove"}, Args{"user", "rename", "x"}}) {
        Program program;
        EXPECT_THROW(program.run(args), CLI::ParseError) << args.back();
    }
}

}  // namespace
}  // namespace accounts
