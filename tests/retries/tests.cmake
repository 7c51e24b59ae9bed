# Retries (chapter 17 onwards): the retry schedule as a unit, the SMTP client's outcomes against
# a scripted fake server and real ones, and dialog scripts against a scripted fake MX.
mailsteps_topic_test(retries_unit_tests SOURCES relay/retry_schedule_test.cpp relay/smtp_client_test.cpp
    PROGRAM mailserver)
mailsteps_mx_dialogs()
