#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace mailsteps::testing {

// The whole of a file, bytes as they are; "" if it cannot be read.
inline std::string read_file(const std::filesystem::path& path) {
    std::ifstream in{path, std::ios::binary};
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

} // namespace mailsteps::testing
