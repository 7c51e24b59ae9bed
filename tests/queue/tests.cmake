# The durable queue (chapter 16 onwards): dialog scripts against a scripted fake MX, where our
# server says 250 once the message is queued and delivers it in the background.
mailsteps_mx_dialogs()
