# The maildrop: chapter 23 onwards. A Maildir listed, sized, numbered, locked and committed for
# a POP3 session, and a stored message as it goes out on the wire (CRLF, dot-stuffing, TOP).
mailsteps_topic_test(maildrop_unit_tests SOURCES maildrop/maildrop_test.cpp maildrop/pop3_data_test.cpp)
