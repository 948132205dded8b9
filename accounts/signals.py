"""Signals the accounts app sends (it connects no receivers of its own).

`user_birth_data_changed(sender=User, user=<User>)` is sent after the transaction that changed
a user's birth name or date of birth commits; the readings app recomputes the numerology
profile on it. Accounts never imports readings.
"""

from django.dispatch import Signal

user_birth_data_changed = Signal()
