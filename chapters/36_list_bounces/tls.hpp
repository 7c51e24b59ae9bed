#pragma once

#include <asio/ssl/context.hpp>

#include <filesystem>
#include <string>

namespace mailsteps {

// Where the server's certificate and private key are, in PEM files.
struct TlsFiles {
    std::filesystem::path certificate = "./var/tls/cert.pem";
    std::filesystem::path key = "./var/tls/key.pem";
};

// Makes a new key and a certificate for `hostname` signed by that key (self-signed, like
// Debian's "snakeoil" certificate) and writes both, the key readable by us alone. Returns the
// certificate's SHA-256 fingerprint, "AB:CD:...", which a client's user can compare with what
// their program shows before trusting it. Throws when it cannot.
std::string make_self_signed_certificate(const TlsFiles& files, const std::string& hostname);

// The server side of TLS: the certificate and key of `files`, TLS 1.2 or newer. Throws a
// std::runtime_error that names the file when one cannot be read or they do not match.
asio::ssl::context make_server_tls(const TlsFiles& files);

// The client side, for the relay: TLS 1.2 or newer, and the server's certificate is not checked.
asio::ssl::context make_client_tls();

} // namespace mailsteps
