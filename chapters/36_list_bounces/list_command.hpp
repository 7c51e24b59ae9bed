#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>

// `mailserver list create|delete|add|remove|members`: editing the mailing lists (lists.hpp) from
// the command line, as `mailserver user` edits the accounts.
namespace lists {

struct ListCommand {
    CLI::App* command = nullptr;  // "list"
    CLI::App* create = nullptr;
    CLI::App* remove_list = nullptr;  // "delete"
    CLI::App* add = nullptr;
    CLI::App* remove = nullptr;
    CLI::App* members = nullptr;
};

// Adds `list` and its subcommands to `app`; --lists-dir is the main program's option.
ListCommand add_list_command(CLI::App& app);

// Runs the subcommand that was parsed; the exit code: 0 done, 1 failed (the reason on stderr).
int run_list_command(const ListCommand& command, const std::filesystem::path& lists_dir);

}  // namespace lists
