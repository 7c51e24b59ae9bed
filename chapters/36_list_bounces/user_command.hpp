#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>

// `mailserver user add|list|remove`: editing the users file (users.hpp) from the command line.
namespace accounts {

struct UserCommand {
    CLI::App* command = nullptr;  // "user"
    CLI::App* add = nullptr;
    CLI::App* list = nullptr;
    CLI::App* remove = nullptr;
};

// Adds `user` and its subcommands `add ADDRESS`, `list` and `remove ADDRESS` to `app`. The users
// file is the main program's --users option: the subcommands fall through to it, so it may come
// before or after them.
UserCommand add_user_command(CLI::App& app);

// Runs the subcommand that was parsed; the exit code: 0 done, 1 failed (the reason on stderr).
// `add` reads the password from standard input: asked for twice with echo off on a terminal,
// otherwise the first line, so that scripts can pipe it in.
int run_user_command(const UserCommand& command, const std::filesystem::path& users_file);

}  // namespace accounts
