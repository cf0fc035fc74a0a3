"""``python -m sprmon``: the same as the ``sprmon`` command."""

from sprmon.cli.main import main

if __name__ == "__main__":
    main(prog_name="sprmon")
