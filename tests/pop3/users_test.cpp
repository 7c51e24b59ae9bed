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
#include <atomic>
#include <chrono>
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

TEST(ParseUsersTest, ReadsWhatFormatWrites) {
    std::vector<Account> accounts{{"alice@example.test", hash_password("a")}, {"bob@localhost", "*"}};
    EXPECT_EQ(format_users(accounts), "alice@example.test:" + accounts[0].hash + "\nbob@localhost:*\n");
    auto parsed = parse_users(format_users(accounts));
    ASSERT_TRUE(std::holds_alternative<std::vector<Account>>(parsed)) << error_of(parsed);
    EXPECT_EQ(std::get<std::vector<Account>>(parsed), accounts);
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
    EXPECT_TRUE(verify_password("bob's secret", accounts[0].hash));
    EXPECT_TRUE(verify_password("alice's secret", accounts[1].hash));

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

// ---- Users: the server's view ----

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

// Without the dummy crypt an unknown account would be refused in microseconds, not milliseconds.
TEST(UsersTest, UnknownAccountsTakeAsLongAsWrongPasswords) {
    TempDir dir;
    auto file = dir.path() / "users";
    ASSERT_EQ(add_user(file, "alice@example.test", "a"), std::nullopt);
    Users users{file};
    auto time = [&](std::string_view address) {
        auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < 3; ++i) {
            EXPECT_FALSE(users.authenticate(address, "wrong"));
        }
        return std::chrono::steady_clock::now() - start;
    };
    auto wrong_password = time("alice@example.test");
    auto unknown_account = time("nobody@example.test");
    EXPECT_GT(unknown_account, wrong_password / 4);
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
    EXPECT_TRUE(users.authenticate("alice@example.test", "s3cret"));
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
