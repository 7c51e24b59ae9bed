#pragma once

// tests/relay/fake_mx.py, a real SMTP server (aiosmtpd) playing a remote MX host that refuses
// the first recipients, for the relay's end-to-end tests.
#include "smtp/smtp_testing.hpp"

#include "shared/testing/client.hpp"
#include "shared/testing/process.hpp"
#include "shared/testing/temp_dir.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace relay::tests {

// aiosmtpd refusing the first `failures` recipients with `reply`, then accepting. `more` are
// further options of fake_mx.py, such as "--hold-quit".
struct FakeMx {
    mailsteps::testing::TempDir dir;
    mailsteps::testing::Process process;
    std::uint16_t port;

    // On `address`, at a port the OS picks. `more`: fake_mx.py's other options.
    FakeMx(const std::string& address, int failures, const std::string& reply, const std::vector<std::string>& more = {})
        : process("/usr/bin/python3", arguments({"--host", address}, failures, reply, more)),
          port(process.port("smtp")) {}

    // On the port the test held while the MX host was down: fake_mx.py gets that very socket, so
    // the port is never free for another program to take in between.
    FakeMx(const mailsteps::testing::HeldPort& down, int failures, const std::string& reply,
           const std::vector<std::string>& more = {})
        : process("/usr/bin/python3", arguments({"--host", down.address(), "--fd", "3"}, failures, reply, more),
                  down.socket()),
          port(process.port("smtp")) {}

    std::vector<std::string> arguments(std::vector<std::string> where, int failures, const std::string& reply,
                                       const std::vector<std::string>& more) const {
        std::vector<std::string> args{MAILSTEPS_SOURCE_DIR "/tests/relay/fake_mx.py", "--fail-first",
                                      std::to_string(failures), "--fail-reply", reply, "--out", dir.path().string()};
        args.insert(args.end(), where.begin(), where.end());
        args.insert(args.end(), more.begin(), more.end());
        return args;
    }

    std::size_t received() const {
        std::size_t count = 0;
        for (const auto& file : smtp::tests::files_in(dir.path())) {
            count += file.filename().string().starts_with("message-") ? 1 : 0;
        }
        return count;
    }
};

} // namespace relay::tests
