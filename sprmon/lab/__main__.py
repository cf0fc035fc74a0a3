"""``python -m sprmon.lab``: the same as ``sprmon lab``."""

from sprmon.cli.lab_commands import lab

lab(prog_name="sprmon lab")
