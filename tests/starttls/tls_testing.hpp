#pragma once

// For the TLS tests (chapter 27 on): where a server under test keeps the certificate it made on
// its first start, and how to read the reports of the client scripts.
#include "shared/testing/chapter.hpp"

#include <filesystem>
#include <string>

namespace starttls::tests {

// In ./var/tls/ of the directory the server runs in (--tls-cert's default).
inline std::filesystem::path certificate_of(const mailsteps::testing::ChapterServer& server) {
    return server.working_dir() / "var" / "tls" / "cert.pem";
}

// Whether `line` is one of the lines of `output`, a client script's report (one fact a line).
inline bool has_line(const std::string& output, const std::string& line) {
    return ("\n" + output).find("\n" + line + "\n") != std::string::npos;
}

} // namespace starttls::tests
