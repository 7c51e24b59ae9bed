#pragma once

// For tests that play a hostile client: what it sends after a CR, LF, NUL or other control
// character must never reach the server's log unescaped, a header or a file name.
#include "shared/ascii.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace mailsteps::testing {

// The header line a hostile client hopes to add to a message, or to the log.
inline const std::string injected = "X-Injected: yes";

inline bool is_control(char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
}

inline bool has_control(std::string_view text) { return std::any_of(text.begin(), text.end(), is_control); }

// Bytes the way the log writes them (shared/log.hpp): "\r", "\n", "\\", "\x01", and "\xe2"
// for each byte beyond ASCII. Also how failure messages show what was sent.
// Written out here again on purpose: a log that stopped escaping must not pass its own test.
inline std::string escaped(std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        if (c == '\r') {
            out += "\\r";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\\') {
            out += "\\\\";
        } else if (is_control(c) || byte > 0x7f) {
            out += {'\\', 'x', hex[byte >> 4], hex[byte & 0xf]};
        } else {
            out += c;
        }
    }
    return out;
}

// --trace shows each line the server received after "C: ", escaped; a bare LF ends a line, so
// it makes two of one.
inline void expect_traced(const std::string& log, std::string_view line) {
    for (std::size_t start = 0; start <= line.size();) {
        auto end = std::min(line.find('\n', start), line.size());
        auto piece = "C: " + escaped(line.substr(start, end - start)) + "\n";
        EXPECT_NE(log.find(piece), std::string::npos) << "not in the log: " << piece;
        start = end + 1;
    }
}

// shared/log.hpp: every log line is whole, starting with its time and level, and is printable
// ASCII, so none can begin with what a client sent after a CR or LF, nor end for a reader that
// ends lines at U+2028 (Python's splitlines(), JavaScript) or U+0085.
inline void expect_log_escaped(const std::string& log) {
    static const std::regex start(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (error|warning|info|debug) )");
    std::istringstream lines(log);
    for (std::string line; std::getline(lines, line);) {
        EXPECT_FALSE(line.starts_with(injected)) << escaped(line);
        EXPECT_TRUE(std::regex_search(line, start)) << "not a whole log line: " << escaped(line);
        EXPECT_TRUE(std::all_of(line.begin(), line.end(), [](char c) { return c >= 0x20 && c < 0x7f; }))
            << escaped(line);
    }
}

// Every name under `directory`, relative to it, directories included, sorted.
inline std::vector<std::filesystem::path> names_under(const std::filesystem::path& directory) {
    std::vector<std::filesystem::path> names;
    std::error_code missing;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(directory, missing)) {
        names.push_back(entry.path().lexically_relative(directory));
    }
    std::sort(names.begin(), names.end());
    return names;
}

// No file or directory under `directory` has a control character in its name, or the injected
// text in any case (names of mailboxes are lowercased).
inline void expect_clean_names(const std::filesystem::path& directory) {
    for (const auto& name : names_under(directory)) {
        EXPECT_FALSE(has_control(name.string())) << escaped(name.string());
        EXPECT_EQ(lowercase(name.string()).find("x-injected"), std::string::npos) << name;
    }
}

} // namespace mailsteps::testing
