# The spool (chapter 09 onwards): unit tests of Spool, and a message arriving in DATA kept on
# disk rather than in the server's memory, end to end.
mailsteps_topic_test(spool_unit_tests SOURCES spool/spool_test.cpp)
mailsteps_topic_test(spool_e2e_tests SOURCES spool/spool_e2e_test.cpp SERVER mailserver)

