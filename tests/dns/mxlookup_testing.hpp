#pragma once

// What the end-to-end tests of mxlookup share (chapters 13 and 14): the test zone dnsmasq
// serves, mxlookup run against it, and the exit codes of its contract: 0 an answer, 1 no answer
// (NXDOMAIN, no data, null MX), 2 bad input, 3 timeout or server failure.

#include "dns/dnsmasq.hpp"

#include "shared/testing/chapter.hpp"
#include "shared/testing/process.hpp"

#include <chrono>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace dns::tests {

using mailsteps::testing::RunResult;
using namespace std::chrono_literals;

inline constexpr auto npos = std::string::npos;

enum ExitCode { answered = 0, no_answer = 1, bad_input = 2, failed = 3 };

// Six TXT strings of 255 octets, the most one string may hold (RFC 1035 3.3): over 1500
// octets in one answer, more than the 1232 that mxlookup and dnsmasq allow over UDP.
inline std::vector<std::string> big_txt_strings() {
    std::vector<std::string> strings;
    for (int i = 0; i < 6; ++i) {
        std::string text;
        for (int j = 0; j < 255; ++j) {
            text += static_cast<char>('a' + (i * 7 + j) % 26);
        }
        strings.push_back(text);
    }
    return strings;
}

inline std::string big_txt_record() {
    std::string option = "--txt-record=big.test";
    for (const auto& text : big_txt_strings()) {
        option += "," + text;
    }
    return option;
}

// The test zone, as dnsmasq options. Other names under .test do not exist.
inline const std::vector<std::string>& zone() {
    static const std::vector<std::string> records{
        // two MX hosts; the preferred one has an IPv6 address too
        "--mx-host=example.test,mx1.example.test,10",
        "--mx-host=example.test,mx2.example.test,20",
        "--host-record=mx1.example.test,127.0.0.2,::2",
        "--host-record=mx2.example.test,127.0.0.3",
        // two MX hosts of equal preference
        "--mx-host=equal.test,a.equal.test,5",
        "--mx-host=equal.test,b.equal.test,5",
        "--host-record=a.equal.test,127.0.0.5",
        "--host-record=b.equal.test,127.0.0.6",
        // no MX, only an address: the implicit MX of RFC 5321 5.1
        "--host-record=nomx.test,127.0.0.4",
        // the null MX of RFC 7505: no mail accepted
        "--mx-host=nullmx.test,.,0",
        "--cname=alias.test,mx1.example.test",
        // on its command line dnsmasq keeps quotes: the second string is "quoted", quotes and all
        "--txt-record=small.test,hello world,\"quoted\"",
        // octets dig prints escaped: UTF-8, a backslash, a tab
        "--txt-record=escapes.test,Grüße \\ back\tslash",
        big_txt_record(),
    };
    return records;
}

// mxlookup with `args`, asking `server`: always a server on 127.0.0.1, never resolv.conf's.
inline RunResult mxlookup(const std::string& server, std::vector<std::string> args) {
    args.insert(args.end(), {"--server", server});
    return mailsteps::testing::run(mailsteps::testing::chapter_program(), args, "", 30s);
}

inline bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

inline std::vector<std::string> words_of(const std::string& line) {
    std::istringstream words(line);
    return {std::istream_iterator<std::string>(words), std::istream_iterator<std::string>()};
}

inline std::string join(const std::vector<std::string>& words) {
    std::string line;
    for (const auto& word : words) {
        line += (line.empty() ? "" : " ") + word;
    }
    return line;
}

}  // namespace dns::tests
