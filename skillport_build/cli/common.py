"""What every command shares: exit codes and argument types."""

from __future__ import annotations

from pathlib import Path

import click

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3
folder = click.Path(file_okay=False, path_type=Path)
existing_file = click.Path(exists=True, dir_okay=False, path_type=Path)
