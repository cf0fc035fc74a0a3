"""The ``sprmon`` command line (click): ``validate``, ``check``, ``diff`` and the lab.

Commands are thin: they load inputs, call the core and a renderer from
:mod:`sprmon.reports`, and turn the outcome into an exit code (docs/exit-codes.md).
"""
