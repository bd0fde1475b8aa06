"""``python -m oauth2_core plugins``: what is installed, read from package metadata only."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from oauth2_core.markers import GRANTS_GROUP, PLUGINS_GROUP
from oauth2_core.plugins import installed_entry_points


def list_plugins() -> list[tuple[str, str, str, str, str]]:
    """Rows of (group, entry-point name, distribution, version, target) without importing any plugin."""
    rows = []
    for group in (GRANTS_GROUP, PLUGINS_GROUP):
        for entry_point in installed_entry_points(group):
            dist = entry_point.dist
            rows.append(
                (
                    group,
                    entry_point.name,
                    dist.name if dist else "?",
                    dist.version if dist else "?",
                    entry_point.value,
                )
            )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m oauth2_core")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("plugins", help="list installed grants and extensions")
    parser.parse_args(argv)
    rows = list_plugins()
    if not rows:
        print("no grants or extensions installed")
        return 0
    header = ("group", "name", "distribution", "version", "target")
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
