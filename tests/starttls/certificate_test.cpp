// The server's certificate (chapter 27 onwards): made on the first start when none is given,
// kept after that, and checked at start-up when one is given. openssl(1) reads what was made.
#include "smtp/smtp_testing.hpp"

#include "shared/testing/chapter.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace {

using namespace mailsteps::testing;
using namespace smtp::tests;

fs::path tls_dir(const fs::path& working_dir) { return working_dir / "var" / "tls"; }

std::string openssl_x509(const fs::path& certificate, const std::vector<std::string>& options) {
    std::vector<std::string> args{"x509", "-noout", "-in", certificate.string()};
    args.insert(args.end(), options.begin(), options.end());
    auto result = run("/usr/bin/openssl", args);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return result.out;
}

// "made a self-signed certificate ... SHA-256 fingerprint AB:CD:..." in a log ("" if none).
std::string fingerprint_in_log(const std::string& log) {
    static const std::regex made(R"(made a self-signed certificate for \S+ in \S+, SHA-256 fingerprint ([0-9A-F:]+))");
    std::smatch match;
    return std::regex_search(log, match, made) ? match[1].str() : "";
}

// Every port of the chapter's server at 0, and its files under `dir`.
std::vector<std::string> server_args(const fs::path& dir) {
    auto args = other_port_args("");
    args.insert(args.end(), {"--maildir-root", (dir / "mail").string(), "--queue-dir", (dir / "queue").string(),
                             "--users", (dir / "users").string()});
    return args;
}

TEST(Certificate, TheFirstStartMakesASelfSignedOneForTheHostname) {
    ChapterServer server({"--hostname", "mail.example.test"});
    server.port("smtp");
    auto certificate = tls_dir(server.working_dir()) / "cert.pem";
    auto key = tls_dir(server.working_dir()) / "key.pem";
    ASSERT_TRUE(fs::exists(certificate)) << server.log();
    EXPECT_EQ(mode_of(key), 0600U);
    auto fingerprint = fingerprint_in_log(server.log());
    ASSERT_EQ(fingerprint.size(), 32U * 3 - 1) << server.log();
    EXPECT_EQ(openssl_x509(certificate, {"-fingerprint", "-sha256"}), "sha256 Fingerprint=" + fingerprint + "\n");
    EXPECT_NE(openssl_x509(certificate, {"-subject"}).find("CN = mail.example.test"), std::string::npos);
    EXPECT_NE(openssl_x509(certificate, {"-ext", "subjectAltName"}).find("DNS:mail.example.test"), std::string::npos);
    // The key is the certificate's: openssl finds the same public key in both.
    auto from_key = run("/usr/bin/openssl", {"pkey", "-in", key.string(), "-pubout"});
    EXPECT_EQ(from_key.out, openssl_x509(certificate, {"-pubkey"}));
}

TEST(Certificate, ALaterStartKeepsIt) {
    TempDir dir;
    std::string first_fingerprint;
    {
        Process first(chapter_program(), server_args(dir.path()), -1, dir.path());
        first.port("smtp");
        first_fingerprint = fingerprint_in_log(first.log());
        ASSERT_FALSE(first_fingerprint.empty()) << first.log();
        ASSERT_EQ(first.stop(), 0);
    }
    Process second(chapter_program(), server_args(dir.path()), -1, dir.path());
    second.port("smtp");
    EXPECT_EQ(fingerprint_in_log(second.log()), "") << second.log();
    EXPECT_EQ(openssl_x509(tls_dir(dir.path()) / "cert.pem", {"-fingerprint", "-sha256"}),
              "sha256 Fingerprint=" + first_fingerprint + "\n");
    EXPECT_EQ(second.stop(), 0);
}

// A file named on the command line must be there: the server makes none in its place.
TEST(Certificate, ANamedFileThatIsMissingIsAStartUpFailure) {
    TempDir dir;
    auto args = server_args(dir.path());
    args.insert(args.end(), {"--tls-cert", (dir.path() / "missing.pem").string()});
    auto result = run(chapter_program(), args);
    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_NE(result.err.find("cannot use the certificate " + (dir.path() / "missing.pem").string()), std::string::npos)
        << result.err;
    EXPECT_FALSE(fs::exists(tls_dir(dir.path()))) << "it made a certificate anyway";
}

TEST(Certificate, AKeyThatIsNotTheCertificatesIsAStartUpFailure) {
    ChapterServer one;
    ChapterServer other;
    one.port("smtp");
    other.port("smtp");
    TempDir dir;
    auto args = server_args(dir.path());
    args.insert(args.end(), {"--tls-cert", (tls_dir(one.working_dir()) / "cert.pem").string(), "--tls-key",
                             (tls_dir(other.working_dir()) / "key.pem").string()});
    auto result = run(chapter_program(), args);
    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_NE(result.err.find("cannot use the private key"), std::string::npos) << result.err;
}

} // namespace
