"""Renderers for a :class:`sprmon.core.findings.Report` and a report diff.

- :mod:`~sprmon.reports.table`: rich tables for people (80 columns, colours on a terminal);
- :mod:`~sprmon.reports.json_report`: the ``sprmon.check/v1`` JSON document (docs/json-output.md);
- :mod:`~sprmon.reports.junit`: JUnit XML for CI systems;
- :mod:`~sprmon.reports.diff_view`: what moved between two reports, as a table or JSON.

Renderers are pure functions from findings to text: they read no clock and
write nothing; the CLI decides where the text goes.
"""
