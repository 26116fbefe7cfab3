"""The check behind every test module's ``BAD_ARGUMENTS`` table: a call with one bad argument
is refused with a ``TypeError`` or ``ValueError`` whose message starts with the argument's
name."""

import re

import pytest


def assert_refused_naming(call, argname: str) -> None:
    """``call()`` raises ``TypeError`` or ``ValueError`` with a message that starts with
    ``argname`` followed by a space or ``=``."""
    with pytest.raises((TypeError, ValueError), match=rf"^{re.escape(argname)}[ =]"):
        call()
