"""Signal receivers of the readings app (connected in `ReadingsConfig.ready`); no logic here."""

from readings import services


def numerology_profile_recompute_receiver(sender, *, user, **kwargs) -> None:
    """`accounts.signals.user_birth_data_changed`: the birth chart follows the birth data."""
    services.numerology_profile_recompute(user=user)
