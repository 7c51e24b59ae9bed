#pragma once

// For the tests of lists (chapter 33 onwards): `mailserver list` run on the lists directory the
// chapter's TEST_ARGS give the server, and a member's message read with Python's poplib.
#include "shared/testing/chapter.hpp"
#include "shared/testing/process.hpp"

#include <string>
#include <vector>

namespace lists::tests {

inline mailsteps::testing::RunResult list_command(const mailsteps::testing::ChapterServer& server,
                                                  std::vector<std::string> args) {
    args.insert(args.begin(), "list");
    args.insert(args.end(), {"--lists-dir", (server.dir() / "lists").string()});
    return mailsteps::testing::run(mailsteps::testing::chapter_program(), args);
}

// Message `number` of `user`'s mailbox as poplib retrieves it, its lines joined with "\n".
inline mailsteps::testing::RunResult poplib_retr(std::uint16_t port, const std::string& user,
                                                 const std::string& password, int number = 1) {
    return mailsteps::testing::run("/usr/bin/python3",
                                   {"-c",
                                    "import poplib, sys\n"
                                    "p = poplib.POP3('127.0.0.1', int(sys.argv[1]))\n"
                                    "p.user(sys.argv[2]); p.pass_(sys.argv[3])\n"
                                    "print(b'\\n'.join(p.retr(int(sys.argv[4]))[1]).decode()); p.quit()\n",
                                    std::to_string(port), user, password, std::to_string(number)});
}

}  // namespace lists::tests
