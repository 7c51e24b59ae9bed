# Retries (chapter 18 onwards): the retry schedule as a unit, and dialog scripts against a
# scripted fake MX.
mailsteps_topic_test(retries_unit_tests SOURCES relay/retry_schedule_test.cpp PROGRAM mailserver)
mailsteps_mx_dialogs()
