#pragma once

// A real name server for end-to-end tests: dnsmasq, answering for a made-up zone under .test
// on 127.0.0.1, on a port nobody else uses. It is stopped when the object goes away.

#include "shared/testing/process.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dns::tests {

class Dnsmasq {
public:
    // `records` are dnsmasq options such as "--mx-host=example.test,mx1.example.test,10" or
    // "--host-record=mx1.example.test,127.0.0.2". Returns once dnsmasq answers queries;
    // throws std::runtime_error, with dnsmasq's log, when it does not start.
    explicit Dnsmasq(const std::vector<std::string>& records);
    ~Dnsmasq();
    Dnsmasq(const Dnsmasq&) = delete;
    Dnsmasq& operator=(const Dnsmasq&) = delete;

    std::uint16_t port() const { return port_; }
    std::string server() const { return "127.0.0.1:" + std::to_string(port_); }  // for --server
    std::string log() const { return process_->log(); }  // its log, every query included

private:
    bool wait_until_answering();

    std::uint16_t port_ = 0;
    std::unique_ptr<mailsteps::testing::Process> process_;
};

}  // namespace dns::tests
