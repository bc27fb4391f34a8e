from django.dispatch import Signal

# Sent after an X account is connected or reconnected, with `account`; the metrics app
# starts its first sync on it. Accounts knows nothing of metrics (imports flow one way).
x_account_connected = Signal()
