// Writes the captured packets of tests/dns/packets/*.txt, one file each, into a directory: the
// seed corpus for dns_fuzz.   Usage: write_corpus DIR

#include "dns/packets.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: write_corpus DIR\n";
        return 2;
    }
    const std::filesystem::path directory = argv[1];
    std::filesystem::create_directories(directory);
    for (const auto& [name, bytes] : dns::packets::all()) {
        std::ofstream file(directory / name, std::ios::binary);
        file.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    }
    std::cout << dns::packets::all().size() << " packets written to " << directory << '\n';
}
