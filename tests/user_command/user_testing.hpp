#pragma once

// Small helpers the account and POP3 tests share: accounts made the way an administrator makes them, and
// where a user's Maildir is.
#include "smtp/smtp_testing.hpp"

#include "shared/testing/chapter.hpp"

#include <gtest/gtest.h>

#include <pwd.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

namespace pop3::tests {

namespace fs = std::filesystem;
using mailsteps::testing::ChapterServer;

// The chapter's TEST_ARGS put the users file (and the Maildirs) under the server's directory.
inline fs::path users_file(const ChapterServer& server) { return server.dir() / "users"; }
using smtp::tests::mailbox;

// `mailserver user ...`, the password (if any) on stdin.
inline mailsteps::testing::RunResult user_command(const ChapterServer& server, std::vector<std::string> args,
                                                  const std::string& input = "") {
    args.insert(args.begin(), "user");
    args.insert(args.end(), {"--users", users_file(server).string()});
    return mailsteps::testing::run(mailsteps::testing::chapter_program(), args, input);
}

// The local user the tests run as: fetchmail hands what it fetches to a user of this machine.
inline std::string local_user() {
    const passwd* user = ::getpwuid(::geteuid());
    return user ? user->pw_name : "root";
}

inline void add_user(const ChapterServer& server, const std::string& address, const std::string& password) {
    auto result = user_command(server, {"add", address}, password + "\n");
    ASSERT_EQ(result.exit_code, 0) << address << ": " << result.out << result.err;
}

} // namespace pop3::tests
