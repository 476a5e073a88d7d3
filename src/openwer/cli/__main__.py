"""``python -m openwer.cli``: the same as the ``openwer`` command."""

from openwer.cli.main import main

main()
