"""Errors raised for invalid engine input; each names the request field at fault."""


class EngineError(ValueError):
    """Invalid input. ``field`` is the request field to blame (e.g. ``"options.system"``)."""

    default_field = ""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field or self.default_field
        self.message = message


class InvalidName(EngineError):
    default_field = "full_name"


class InvalidOption(EngineError):
    default_field = "options"


class InvalidDate(EngineError):
    default_field = "target_date"
