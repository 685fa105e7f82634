"""Errors a user can act on.

Anything raised as a :class:`DqkitError` is printed as one clear message (never a
traceback) and ends the run with its ``exit_code``: 1 for bad data or a broken rule
file, 2 for a command line that cannot be carried out. A run that fails with one removes
its work folder, unless the error is ``resumable`` (a fault of the machine, not of the
input: running again with ``--resume`` makes sense).
"""


class DqkitError(Exception):
    """An error caused by the input, the rules or the options, not by dqkit itself."""

    exit_code = 1
    resumable = False


class InputError(DqkitError):
    """A corpus file that cannot be read as documents (the message names file and line)."""


class RuleFileError(DqkitError):
    """A rule file that cannot be loaded (the message names file and line)."""


class OptionsError(DqkitError):
    """A command line that cannot be carried out (missing path, OUT inside an input, ...)."""

    exit_code = 2


class WorkerDied(DqkitError):
    """A worker process ended without finishing its shard (killed, out of memory)."""

    resumable = True
