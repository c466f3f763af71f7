"""Entry point: app-wide settings and navigation over the pages."""

from playground.ui import shell

shell.run()
