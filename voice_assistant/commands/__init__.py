"""The subcommands of ``heat-or-ice`` besides the assistant itself, one module each.

``cli.py`` parses the command line and calls each module's ``run`` with plain, typed
values (never the parsed namespace). The exit codes below are shared by all
commands and by the assistant run in ``app.py``.
"""

EXIT_OK = 0
EXIT_MISSING = 1  # something essential is missing, or the data folder is in use
EXIT_USAGE = 2  # bad command line or unusable dialog files
