#pragma once

// A real mail server for end-to-end tests: a private Postfix, from Debian's package (which
// .ci/setup installs unconfigured, so no system Postfix runs). Its main.cf and master.cf are
// written into a temporary directory and every command gets `-c` that directory: nothing under
// /etc/postfix or /var/spool/postfix is read or written. It has
// - smtpd on 127.0.0.1 at a free port, taking mail for `domain` into a Maildir per user
//   (virtual(8)): Postfix as the MX host a relay delivers to;
// - with `relayhost`, its smtp(8) client sending all other mail there: Postfix as the MTA that
//   hands mail to us. Mail goes in with sendmail(1), as a local program would submit it.
// Postfix's master starts as root and runs its daemons as the `postfix` user.

#include "shared/testing/process.hpp"
#include "shared/testing/temp_dir.hpp"

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace smtp::tests {

class Postfix {
public:
    struct Options {
        std::string domain = "postfix.test";
        std::vector<std::string> users{}; // local parts with a Maildir under `domain`
        std::string relayhost{};          // e.g. "[127.0.0.1]:2525"; empty: nothing leaves
        bool tls = false; // smtpd offers STARTTLS with a self-signed certificate, and logs the TLS
    };

    // Why Postfix cannot run here (not root, not installed), or nothing if it can.
    static std::optional<std::string> unavailable();

    // Returns once Postfix listens; throws std::runtime_error, with its log, if it cannot start.
    explicit Postfix(Options options);
    ~Postfix();
    Postfix(const Postfix&) = delete;
    Postfix& operator=(const Postfix&) = delete;

    std::uint16_t port() const { return port_; } // smtpd's, on 127.0.0.1

    // Submits `text` (LF lines) from `from` to `to` with sendmail(1); -i, so a lone dot is text.
    mailsteps::testing::RunResult sendmail(const std::string& from, const std::string& to,
                                           const std::string& text) const;

    // user@domain's Maildir. Postfix delivers after its 250, so a test waits for the file.
    std::filesystem::path maildir(const std::string& user) const { return work_.path() / "mail" / user; }

    std::string log() const; // Postfix's maillog: every daemon's lines, the deliveries included

private:
    bool start(); // on a fresh port; false if the port was taken meanwhile
    void write_config() const;
    std::filesystem::path etc() const { return work_.path() / "etc"; }

    Options options_;
    uid_t uid_ = 0; // the postfix user's, which runs virtual(8) and owns the Maildirs
    gid_t gid_ = 0;
    mailsteps::testing::TempDir work_;
    std::uint16_t port_ = 0;
    bool started_ = false;
};

} // namespace smtp::tests
