"""``sprmon validate INTENT``: is the intent file usable?"""

from __future__ import annotations

from pathlib import Path

import click

from sprmon.cli.common import EXIT_WARNING, log
from sprmon.core.intent import Intent
from sprmon.intentfile import IntentFileError, load_intent
from sprmon.printable import printable

__all__ = ["summary", "validate"]

#: Exit code when the intent has problems: the file is wrong, not unknown (see --help).
EXIT_INVALID = EXIT_WARNING

_EPILOG = """\b
Exit codes:
  0  the intent is valid (a one-line summary is printed)
  1  the intent has problems (each printed as FILE:LINE: field: message)
  3  usage error
"""


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(intent: Intent) -> str:
    """``5 sites, 2 applications, 5 prefixes, 2 links``."""
    prefixes = {prefix for app in intent.applications for prefix in app.prefixes}
    return ", ".join(
        [
            _plural(len(intent.sites), "site"),
            _plural(len(intent.applications), "application"),
            _plural(len(prefixes), "prefix").replace("prefixs", "prefixes"),
            _plural(len(intent.links), "link"),
        ]
    )


@click.command(short_help="Check an intent file and list every problem in it.", epilog=_EPILOG)
@click.argument("intent_file", metavar="INTENT", type=click.Path(path_type=Path))
def validate(intent_file: Path) -> None:
    """Check an intent file and list every problem in it.

    Each problem is printed on its own line as FILE:LINE: field: message, the
    shape editors and CI logs turn into links. Nothing is contacted.

    \b
    Example:
      sprmon validate examples/scenario/intent.yaml
    """
    try:
        intent = load_intent(intent_file)
    except IntentFileError as exc:
        for problem in exc.problems:
            # A problem may quote the file's own text: one printable line each.
            click.echo(printable(str(problem)))
        log.info("%d problem(s) in %s", len(exc.problems), intent_file)
        raise click.exceptions.Exit(EXIT_INVALID) from exc
    click.echo(printable(f"{intent_file}: OK — {summary(intent)}"))
