#pragma once

// Delivery status notifications as real servers write them, LF line ends.
#include <string>

namespace lists::tests {

// The shape of Postfix's bounce: a part for people, the message/delivery-status part with one
// per-message block and a block per recipient, and the returned message's headers.
inline std::string postfix_dsn(const std::string& failed, const std::string& delayed = "") {
    std::string dsn =
        "From: MAILER-DAEMON@mx.example.test (Mail Delivery System)\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        "Auto-Submitted: auto-replied\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/report; report-type=delivery-status;\n"
        "\tboundary=\"B3F1A2.1733456789/mx.example.test\"\n"
        "\n"
        "--B3F1A2.1733456789/mx.example.test\n"
        "Content-Description: Notification\n"
        "Content-Type: text/plain; charset=us-ascii\n"
        "\n"
        "I'm sorry to have to inform you that your message could not\n"
        "be delivered to one or more recipients.\n"
        "\n"
        "<" + failed + ">: host mx.example.test said: 550 5.1.1 User unknown\n"
        "\n"
        "--B3F1A2.1733456789/mx.example.test\n"
        "Content-Description: Delivery report\n"
        "Content-Type: message/delivery-status\n"
        "\n"
        "Reporting-MTA: dns; mx.example.test\n"
        "X-Postfix-Queue-ID: B3F1A2\n"
        "Arrival-Date: Sun,  6 Dec 2026 03:00:00 +0000 (UTC)\n"
        "\n"
        "Final-Recipient: rfc822; " + failed + "\n"
        "Original-Recipient: rfc822;" + failed + "\n"
        "Action: failed\n"
        "Status: 5.1.1\n"
        "Remote-MTA: dns; mx.example.test\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\n";
    if (!delayed.empty()) {
        dsn += "\nFinal-Recipient: rfc822; " + delayed + "\n"
               "Action: delayed\n"
               "Status: 4.4.1\n";
    }
    dsn += "\n"
           "--B3F1A2.1733456789/mx.example.test\n"
           "Content-Description: Undelivered Message Headers\n"
           "Content-Type: text/rfc822-headers\n"
           "\n"
           "Final-Recipient: rfc822; not-a-report@example.test\n"
           "Action: failed\n"
           "Subject: Sunday lunch\n"
           "\n"
           "--B3F1A2.1733456789/mx.example.test--\n";
    return dsn;
}

}  // namespace lists::tests
