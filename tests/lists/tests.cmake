# Mailing lists: chapter 33 onwards. List addresses and the members file (unit tests); the
# `mailserver list` command with the real server posting to members here (smtplib, swaks,
# poplib, curl) and elsewhere (aiosmtpd behind dnsmasq), 10,000 members in one queued message.
mailsteps_topic_test(lists_unit_tests SOURCES lists/lists_test.cpp)
mailsteps_topic_test(lists_e2e_tests SOURCES lists/lists_e2e_test.cpp dns/dnsmasq.cpp SERVER mailserver)
