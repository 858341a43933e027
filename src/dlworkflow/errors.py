"""The two kinds of failure the CLI tells apart (exit 2 vs exit 1)."""


class BadInput(ValueError):
    """The user gave something unusable: a config key, a file, a value.

    The message is one line that names the culprit and what would be valid; the CLI
    prints it and exits with code 2 without a traceback.
    """


class WorkFailed(RuntimeError):
    """The input was fine but the work itself failed (e.g. the loss became NaN)."""
