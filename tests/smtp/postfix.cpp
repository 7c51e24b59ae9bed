#include "postfix.hpp"

#include "shared/testing/client.hpp"
#include "shared/testing/files.hpp"

#include <pwd.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

namespace smtp::tests {

namespace fs = std::filesystem;
using mailsteps::testing::free_tcp_port;
using mailsteps::testing::read_file;
using mailsteps::testing::run;
using mailsteps::testing::RunResult;

namespace {

const std::string postfix_program = "/usr/sbin/postfix";
const std::string sendmail_program = "/usr/sbin/sendmail";

} // namespace

std::optional<std::string> Postfix::unavailable() {
    if (::geteuid() != 0) {
        return "Postfix's master must be started by root";
    }
    if (!fs::exists(postfix_program) || !fs::exists(sendmail_program) || ::getpwnam("postfix") == nullptr) {
        return "Postfix is not installed (apt-get install postfix)";
    }
    return std::nullopt;
}

Postfix::Postfix(Options options) : options_(std::move(options)) {
    const passwd* postfix = ::getpwnam("postfix");
    if (postfix == nullptr) {
        throw std::runtime_error("no postfix user");
    }
    uid_ = postfix->pw_uid;
    gid_ = postfix->pw_gid;
    // The postfix user must reach its queue and the Maildirs below the work directory.
    fs::permissions(work_.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                      fs::perms::others_read | fs::perms::others_exec);
    for (const char* directory : {"etc", "spool", "data", "mail"}) {
        fs::create_directory(work_.path() / directory);
    }
    for (const char* owned : {"data", "mail"}) {
        if (::chown((work_.path() / owned).c_str(), uid_, gid_) != 0) {
            throw std::runtime_error("cannot give the postfix user its directory " + std::string(owned));
        }
    }
    // Postfix cannot be handed a socket, so another program may take the free port before
    // Postfix binds it. Then Postfix does not start (`postfix start` runs `master -w`, which
    // fails when the master cannot bind smtpd's port), and it is tried again on another.
    for (int attempt = 0; attempt < 5; ++attempt) {
        if (start()) {
            return;
        }
    }
    throw std::runtime_error("Postfix did not start; its log:\n" + log());
}

bool Postfix::start() {
    port_ = free_tcp_port();
    write_config();
    started_ = run(postfix_program, {"-c", etc().string(), "start"}).exit_code == 0;
    return started_;
}

void Postfix::write_config() const {
    const fs::path& work = work_.path();
    // Postfix 3.7's defaults but for: its own directories, loopback only, no DNS, no local
    // delivery, virtual(8) Maildirs for `domain`, and mail from 127.0.0.1 treated as from any
    // other client (as local, Postfix would add the Date: and Message-Id: it lacks). No client
    // may relay through smtpd (no mynetworks), and without a relayhost all other mail fails at
    // once (the error transport): nothing can leave the machine.
    std::ofstream main_cf(etc() / "main.cf");
    main_cf << "compatibility_level = 3.6\n"
            << "config_directory = " << etc().string() << "\n"
            << "queue_directory = " << (work / "spool").string() << "\n"
            << "data_directory = " << (work / "data").string() << "\n"
            << "maillog_file = " << (work / "maillog").string() << "\n"
            << "maillog_file_prefixes = " << work.string() << "\n"
            << "myhostname = mx.postfix.test\n"
            << "mydestination =\n"
            << "inet_interfaces = 127.0.0.1\n"
            << "inet_protocols = ipv4\n"
            << "mynetworks =\n"
            << "relayhost = " << options_.relayhost << "\n"
            << "local_header_rewrite_clients =\n"
            << "smtpd_peername_lookup = no\n"
            << "smtp_dns_support_level = disabled\n"
            << "smtp_host_lookup = native\n"
            << "alias_maps =\n"
            << "alias_database =\n"
            << "biff = no\n"
            << "virtual_mailbox_domains = " << options_.domain << "\n"
            << "virtual_mailbox_base = " << (work / "mail").string() << "\n"
            << "virtual_mailbox_maps = texthash:" << (etc() / "mailboxes").string() << "\n"
            << "virtual_uid_maps = static:" << uid_ << "\n"
            << "virtual_gid_maps = static:" << gid_ << "\n";
    if (options_.relayhost.empty()) {
        main_cf << "default_transport = error\n"
                << "relay_transport = error\n";
    }
    if (options_.tls) { // as Debian's Postfix with its snakeoil certificate: STARTTLS offered, not required
        auto key = (etc() / "key.pem").string();
        auto certificate = (etc() / "cert.pem").string();
        if (!fs::exists(certificate)) {
            run("/usr/bin/openssl", {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                     "-subj", "/CN=mx.postfix.test", "-days", "1", "-keyout", key, "-out", certificate});
        }
        main_cf << "smtpd_tls_cert_file = " << certificate << "\n"
                << "smtpd_tls_key_file = " << key << "\n"
                << "smtpd_tls_security_level = may\n"
                << "smtpd_tls_loglevel = 1\n"
                << "smtpd_tls_received_header = yes\n";
    }
    // Only the services these tests use; smtp and relay are the client, for the relayhost.
    std::ofstream(etc() / "master.cf")
        << "# service  type       private unpriv chroot wakeup maxproc command\n"
        << "127.0.0.1:" << port_ << " inet n     -      n      -      -       smtpd\n"
        << "pickup     unix       n       -      n      60     1       pickup\n"
        << "cleanup    unix       n       -      n      -      0       cleanup\n"
        << "qmgr       unix       n       -      n      300    1       qmgr\n"
        << "rewrite    unix       -       -      n      -      -       trivial-rewrite\n"
        << "bounce     unix       -       -      n      -      0       bounce\n"
        << "defer      unix       -       -      n      -      0       bounce\n"
        << "trace      unix       -       -      n      -      0       bounce\n"
        << "verify     unix       -       -      n      -      1       verify\n"
        << "proxymap   unix       -       -      n      -      -       proxymap\n"
        << "error      unix       -       -      n      -      -       error\n"
        << "retry      unix       -       -      n      -      -       error\n"
        << "discard    unix       -       -      n      -      -       discard\n"
        << "virtual    unix       -       n      n      -      -       virtual\n"
        << "smtp       unix       -       -      n      -      -       smtp\n"
        << "relay      unix       -       -      n      -      -       smtp\n"
        << "anvil      unix       -       -      n      -      1       anvil\n"
        << "scache     unix       -       -      n      -      1       scache\n"
        << "tlsmgr     unix       -       -      n      1000?  1       tlsmgr\n"
        << "postlog    unix-dgram n       -      n      -      1       postlogd\n";
    std::ofstream mailboxes(etc() / "mailboxes");
    for (const auto& user : options_.users) {
        mailboxes << user << "@" << options_.domain << " " << user << "/\n"; // the slash: a Maildir
    }
}

// `postfix stop` waits up to 5 s for the master and its daemons, then kills them all.
Postfix::~Postfix() {
    if (started_) {
        run(postfix_program, {"-c", etc().string(), "stop"});
    }
}

RunResult Postfix::sendmail(const std::string& from, const std::string& to, const std::string& text) const {
    return run(sendmail_program, {"-C", etc().string(), "-i", "-f", from, "--", to}, text);
}

std::string Postfix::log() const {
    return read_file(work_.path() / "maillog");
}

} // namespace smtp::tests
