"""The Session: everything an invocation needs, created once by the CLI or an API caller and passed down."""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Flags:
    """Invocation flags (the subset that shapes behaviour below the CLI)."""

    which: str = "parse"
    full_refresh: bool = False
    store_failures: bool = False
    empty: bool = False
    fail_fast: bool = False
    warn_error: bool = False
    warn_error_options: Mapping[str, Any] = field(default_factory=dict)
    debug: bool = False
    quiet: bool = False
    log_format: str = "text"
    threads: int | None = None
    indirect_selection: str = "eager"
    partial_parse: bool = True
    use_colors: bool = True
    printer_width: int = 80
    no_version_check: bool = False
    log_level: str = "info"  # the console's: debug, info, warn, error, none
    log_format_file: str = "debug"  # logs/dbt.log's: text, debug or json
    log_level_file: str = "debug"
    use_colors_file: bool = True
    log_file_max_bytes: int = 10 * 1024 * 1024
    print_output: bool = True  # Jinja print()
    write_json: bool = True
    # every flag as resolved (command line > environment > dbt_project.yml flags: > default), by dbt's name
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Session:
    project_dir: Path
    profiles_dir: Path | None = None
    target: str | None = None
    profile: str | None = None
    cli_vars: Mapping[str, Any] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    flags: Flags = field(default_factory=Flags)
    target_path: str | None = None
    log_path: str | None = None
    invocation_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # a workspace build (docs/mesh.md): each sibling project's own manifest, by project name, read in place
    # of the location mason_mesh.yml gives
    upstream_manifests: Mapping[str, Path] = field(default_factory=dict)
