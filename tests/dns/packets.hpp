#pragma once

// The captured packets of tests/dns/packets/*.txt, read back into octets. Each file shows a
// packet the way `mxlookup --explain` does (chapter 12): rows of an offset, up to 8 octets in
// hex (columns 7 to 30) and what they mean. Lines starting with '#' say where the packet came
// from; ";;" lines are headings. Only the octets are read, so the notes are for people.

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dns::packets {

inline const std::filesystem::path directory = std::filesystem::path(MAILSTEPS_SOURCE_DIR) / "tests/dns/packets";

// The octets of one fixture file; throws when a row does not start where the one before ended.
inline std::vector<std::uint8_t> read_fixture(const std::filesystem::path& path) {
    std::ifstream file(path);
    if (!file) {
        throw std::runtime_error("cannot read " + path.string());
    }
    std::vector<std::uint8_t> octets;
    for (std::string line; std::getline(file, line);) {
        const bool row = line.size() >= 6 && std::all_of(line.begin(), line.begin() + 4, [](char c) {
            return std::isxdigit(static_cast<unsigned char>(c)) != 0;
        });
        if (!row) {
            continue;  // a comment, a heading or a blank line
        }
        if (std::stoul(line.substr(0, 4), nullptr, 16) != octets.size()) {
            throw std::runtime_error(path.string() + ": a row out of place after " + std::to_string(octets.size()) +
                                     " octets: " + line);
        }
        std::istringstream hex(line.substr(6, 24));
        for (std::string octet; hex >> octet;) {
            octets.push_back(static_cast<std::uint8_t>(std::stoul(octet, nullptr, 16)));
        }
    }
    return octets;
}

struct Captured {
    std::string name;  // the file's name without ".txt"
    std::span<const std::uint8_t> bytes;
};

// Every fixture, by name; read once.
inline const std::vector<Captured>& all() {
    static const std::vector<std::pair<std::string, std::vector<std::uint8_t>>> files = [] {
        std::vector<std::pair<std::string, std::vector<std::uint8_t>>> read;
        for (const auto& entry : std::filesystem::directory_iterator(directory)) {
            if (entry.path().extension() == ".txt") {
                read.emplace_back(entry.path().stem().string(), read_fixture(entry.path()));
            }
        }
        std::sort(read.begin(), read.end());
        return read;
    }();
    static const std::vector<Captured> captured = [] {
        std::vector<Captured> list;
        for (const auto& [name, octets] : files) {
            list.push_back({name, octets});
        }
        return list;
    }();
    return captured;
}

// One fixture: packet("mx_two_hosts") is tests/dns/packets/mx_two_hosts.txt.
inline std::span<const std::uint8_t> packet(std::string_view name) {
    for (const auto& captured : all()) {
        if (captured.name == name) {
            return captured.bytes;
        }
    }
    throw std::runtime_error("no fixture tests/dns/packets/" + std::string(name) + ".txt");
}

}  // namespace dns::packets
