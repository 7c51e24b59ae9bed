#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>

namespace mailsteps::testing {

// The whole of a file, bytes as they are; "" if it cannot be read.
inline std::string read_file(const std::filesystem::path& path) {
    std::ifstream in{path, std::ios::binary};
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

// The whole of a spooled text: a chapter's Spool (spool.hpp, chapter 09 on), or anything with
// its read().
template <typename Spool>
std::string read_spool(const Spool& spool) {
    std::string text;
    spool.read([&](std::string_view piece) {
        text += piece;
        return std::error_code{};
    });
    return text;
}

} // namespace mailsteps::testing
