"""`lensmor-tray` on the command line: the parser (parser.py), one module per command family
(commands/), doctor (doctor/), the status output and the `status --cached` fast path."""
