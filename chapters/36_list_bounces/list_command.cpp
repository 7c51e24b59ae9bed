#include "list_command.hpp"

#include "lists.hpp"
#include "users.hpp"

#include <iostream>
#include <optional>
#include <string>

namespace lists {
namespace {

// The subcommand's LIST and MEMBER, normalized; an error message if one is not valid.
std::optional<std::string> arguments_of(CLI::App& subcommand, std::string& list, std::string* member) {
    auto list_text = subcommand.get_option("list")->as<std::string>();
    auto normalized = normalize_list(list_text);
    if (!normalized) {
        return "'" + list_text + "' is not a valid list address: expected " + std::string(list_form);
    }
    list = std::move(*normalized);
    if (member) {
        auto member_text = subcommand.get_option("member")->as<std::string>();
        auto address = accounts::normalize_address(member_text);
        if (!address) {
            return "'" + member_text + "' is not a valid address: expected " + std::string(accounts::address_form);
        }
        *member = std::move(*address);
    }
    return std::nullopt;
}

std::optional<std::string> run(const ListCommand& command, const std::filesystem::path& dir) {
    std::string list;
    std::string member;
    for (auto* subcommand : {command.create, command.remove_list, command.members}) {
        if (subcommand->parsed()) {
            if (auto problem = arguments_of(*subcommand, list, nullptr)) {
                return problem;
            }
        }
    }
    for (auto* subcommand : {command.add, command.remove}) {
        if (subcommand->parsed()) {
            if (auto problem = arguments_of(*subcommand, list, &member)) {
                return problem;
            }
        }
    }
    if (command.members->parsed()) {
        auto members = read_members(dir, list);
        if (auto* error = std::get_if<std::string>(&members)) {
            return *error;
        }
        for (const auto& address : std::get<std::vector<std::string>>(members)) {
            std::cout << address << '\n';
        }
        return std::nullopt;
    }
    std::optional<std::string> problem;
    std::string done;
    if (command.create->parsed()) {
        problem = create_list(dir, list, command.create->get_option("--members-only")->as<bool>());
        done = "created " + list;
    } else if (command.remove_list->parsed()) {
        problem = delete_list(dir, list);
        done = "deleted " + list;
    } else if (command.add->parsed()) {
        problem = add_member(dir, list, member);
        done = "added " + member + " to " + list;
    } else {
        problem = remove_member(dir, list, member);
        done = "removed " + member + " from " + list;
    }
    if (!problem) {
        std::cout << done << '\n';
    }
    return problem;
}

}  // namespace

ListCommand add_list_command(CLI::App& app) {
    ListCommand list;
    list.command = app.add_subcommand("list", "Manage the mailing lists in --lists-dir");
    list.command->require_subcommand(1);
    list.command->fallthrough();  // --lists-dir belongs to the main program
    list.create = list.command->add_subcommand("create", "Create a list, without members");
    list.remove_list = list.command->add_subcommand("delete", "Delete a list and its members");
    list.add = list.command->add_subcommand("add", "Add a member to a list");
    list.remove = list.command->add_subcommand("remove", "Remove a member from a list");
    list.members = list.command->add_subcommand("members", "Print a list's members, one address a line");
    // Read back from the options in run_list_command, as `mailserver user` does.
    const std::string list_help = "The list: " + std::string(list_form);
    for (auto* subcommand : {list.create, list.remove_list, list.add, list.remove, list.members}) {
        subcommand->add_option("list", CLI::callback_t{}, list_help)->type_name("NAME@DOMAIN")->required();
        subcommand->fallthrough();
    }
    list.create->add_flag("--members-only")->description("Only the list's members may post to it");
    for (auto* subcommand : {list.add, list.remove}) {
        subcommand->add_option("member", CLI::callback_t{}, "The member's address")->type_name("MEMBER")->required();
    }
    return list;
}

int run_list_command(const ListCommand& command, const std::filesystem::path& lists_dir) {
    if (auto problem = run(command, lists_dir)) {
        std::cerr << command.command->get_parent()->get_name() << ": " << *problem << '\n';
        return 1;
    }
    return 0;
}

}  // namespace lists
