#include "user_command.hpp"

#include "users.hpp"

#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <optional>
#include <string>

namespace accounts {
namespace {

// Terminal echo off while it lives, so a password typed in is not shown.
class EchoOff {
public:
    EchoOff() {
        if (::tcgetattr(STDIN_FILENO, &saved_) == 0) {
            auto quiet = saved_;
            quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
            active_ = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
        }
    }
    EchoOff(const EchoOff&) = delete;
    EchoOff& operator=(const EchoOff&) = delete;
    ~EchoOff() {
        if (active_) {
            ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
        }
    }

private:
    termios saved_{};
    bool active_ = false;
};

// One line of standard input without its "\n" or "\r\n"; nullopt at the end of input.
std::optional<std::string> read_line() {
    std::string line;
    if (!std::getline(std::cin, line)) {
        return std::nullopt;
    }
    if (line.ends_with('\r')) {
        line.pop_back();
    }
    return line;
}

std::optional<std::string> ask_quietly(const char* prompt) {
    std::cerr << prompt << std::flush;
    std::optional<std::string> answer;
    {
        EchoOff quiet;
        answer = read_line();
    }
    std::cerr << '\n';  // the Enter key was not echoed either
    return answer;
}

// Sets `password` from standard input; returns why it could not, or nullopt.
std::optional<std::string> read_new_password(std::string& password) {
    if (!::isatty(STDIN_FILENO)) {
        auto line = read_line();
        if (!line) {
            return "no password on standard input";
        }
        password = std::move(*line);
        return std::nullopt;
    }
    auto first = ask_quietly("Password: ");
    auto again = first ? ask_quietly("Again: ") : std::nullopt;
    if (!again) {
        return "no password given";
    }
    if (*first != *again) {
        return "the passwords do not match";
    }
    password = std::move(*first);
    return std::nullopt;
}

// The subcommand's ADDRESS, normalized, or an error message.
std::optional<std::string> address_of(CLI::App& subcommand, std::string& address) {
    auto text = subcommand.get_option("address")->as<std::string>();
    auto normalized = normalize_address(text);
    if (!normalized) {
        return "'" + text + "' is not a valid address: expected " + std::string(address_form);
    }
    address = std::move(*normalized);
    return std::nullopt;
}

std::optional<std::string> add(CLI::App& subcommand, const std::filesystem::path& users_file) {
    std::string address;
    std::string password;
    // The address is checked first, so a typo does not cost typing the password twice.
    if (auto problem = address_of(subcommand, address)) {
        return problem;
    }
    if (auto problem = read_new_password(password)) {
        return problem;
    }
    if (auto problem = add_user(users_file, address, password)) {
        return problem;
    }
    std::cout << "added " << address << '\n';
    return std::nullopt;
}

std::optional<std::string> list(const std::filesystem::path& users_file) {
    auto users = read_users(users_file);
    if (auto* error = std::get_if<std::string>(&users)) {
        return *error;
    }
    auto& accounts = std::get<std::vector<Account>>(users);
    std::sort(accounts.begin(), accounts.end(),
              [](const Account& a, const Account& b) { return a.address < b.address; });
    for (const auto& account : accounts) {
        std::cout << account.address << '\n';
    }
    return std::nullopt;
}

std::optional<std::string> remove(CLI::App& subcommand, const std::filesystem::path& users_file) {
    std::string address;
    if (auto problem = address_of(subcommand, address)) {
        return problem;
    }
    if (auto problem = remove_user(users_file, address)) {
        return problem;
    }
    std::cout << "removed " << address << '\n';
    return std::nullopt;
}

}  // namespace

UserCommand add_user_command(CLI::App& app) {
    UserCommand user;
    user.command = app.add_subcommand("user", "Manage the POP3 accounts in the --users file");
    user.command->require_subcommand(1);
    user.command->fallthrough();  // --users belongs to the main program
    user.add = user.command->add_subcommand(
        "add", "Add an account. The password is read from standard input (asked for twice on a terminal)");
    user.list = user.command->add_subcommand("list", "List the accounts, one address a line");
    user.remove = user.command->add_subcommand(
        "remove", "Remove an account. Its mailbox and the mail in it are kept: delete that directory by hand");
    // The addresses are read back from the options in run_user_command: a variable bound here
    // would belong to this function's copy of UserCommand, not the caller's.
    const std::string address_help = "The account: " + std::string(address_form);
    for (auto* subcommand : {user.add, user.remove}) {
        subcommand->add_option("address", CLI::callback_t{}, address_help)->type_name("ADDRESS")->required();
    }
    for (auto* subcommand : {user.add, user.list, user.remove}) {
        subcommand->fallthrough();
    }
    return user;
}

int run_user_command(const UserCommand& command, const std::filesystem::path& users_file) {
    std::optional<std::string> problem;
    if (command.add->parsed()) {
        problem = add(*command.add, users_file);
    } else if (command.list->parsed()) {
        problem = list(users_file);
    } else if (command.remove->parsed()) {
        problem = remove(*command.remove, users_file);
    }
    if (problem) {
        // Named like run_program's messages: the program as it was invoked.
        std::cerr << command.command->get_parent()->get_name() << ": " << *problem << '\n';
        return 1;
    }
    return 0;
}

}  // namespace accounts
