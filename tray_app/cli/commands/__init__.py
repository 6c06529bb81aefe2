"""The commands of `lensmor-tray`, one module per family; cli/main.py dispatches to them.

Each `cmd_*` takes the parsed arguments and returns the exit code, raising `cli.exits.CliError`
for a failure that cli/main.py prints as one line. No re-exports: import from the module.
"""
