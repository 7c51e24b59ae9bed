#include "login_throttle.hpp"

#include <asio/ip/network_v6.hpp>

namespace pop3 {
namespace {

constexpr std::size_t tidy_above = 1024;         // addresses remembered before expired ones are dropped
constexpr std::size_t max_addresses = 100'000;    // memory stays bounded; per-connection limits still hold

asio::ip::address counted_as(const asio::ip::address& address) {
    if (address.is_v6() && !address.to_v6().is_v4_mapped()) {
        return asio::ip::make_network_v6(address.to_v6(), 64).network();
    }
    return address.is_v6() ? asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()) : address;
}

} // namespace

bool LoginThrottle::blocked(const asio::ip::address& address) {
    std::lock_guard lock(mutex_);
    auto found = failures_.find(counted_as(address));
    if (found == failures_.end()) {
        return false;
    }
    if (Clock::now() - found->second.first >= window_) {
        failures_.erase(found);
        return false;
    }
    return found->second.count >= max_failures_;
}

void LoginThrottle::record_failure(const asio::ip::address& address) {
    std::lock_guard lock(mutex_);
    auto now = Clock::now();
    if (failures_.size() > tidy_above) {
        forget_expired(now);
    }
    auto key = counted_as(address);
    if (failures_.size() >= max_addresses && !failures_.contains(key)) {
        return;
    }
    auto& failures = failures_[key];
    if (failures.count == 0 || now - failures.first >= window_) {
        failures = {0, now};
    }
    ++failures.count;
}

void LoginThrottle::forget_expired(Clock::time_point now) {
    std::erase_if(failures_, [&](const auto& entry) { return now - entry.second.first >= window_; });
}

} // namespace pop3
