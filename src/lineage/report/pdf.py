"""Print a report to PDF with headless Chromium: the page is opened from disk (it needs
no network), printed with its backgrounds, and the PDF written atomically."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from lineage.errors import ConfigurationError
from lineage.files import write_whole

PRINT_TIMEOUT_S = 120.0
_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")


def chromium_program() -> str:
    """The Chromium executable (``LINEAGE_CHROMIUM``, else the first on PATH)."""
    given = os.environ.get("LINEAGE_CHROMIUM")
    found = given or next((p for p in map(shutil.which, _BROWSERS) if p), None)
    if not found:
        raise ConfigurationError(
            "--pdf prints through headless Chromium, which is not installed (Debian: apt-get"
            " install chromium; or set LINEAGE_CHROMIUM)"
        )
    return found


def print_pdf(html: Path, pdf: Path) -> None:
    """Print the page ``html`` to ``pdf`` (replaced whole, or left as it was)."""
    pdf = pdf.resolve()
    with tempfile.TemporaryDirectory(prefix="lineage-chromium-") as profile:
        partial = Path(profile) / "out.pdf"
        command = [
            chromium_program(),
            "--headless",
            "--disable-gpu",
            "--disable-extensions",
            "--disable-background-networking",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={partial}",
            html.resolve().as_uri(),
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.insert(1, "--no-sandbox")
        try:
            done = subprocess.run(
                command, capture_output=True, timeout=PRINT_TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired as error:
            raise ConfigurationError(
                f"Chromium took more than {PRINT_TIMEOUT_S:.0f} s to print {html}"
            ) from error
        except OSError as error:
            raise ConfigurationError(f"cannot run Chromium: {error}") from error
        if done.returncode != 0 or not partial.is_file() or partial.stat().st_size == 0:
            lines = done.stderr.decode(errors="replace").strip().splitlines()
            raise ConfigurationError(
                f"Chromium could not print {html}: {lines[-1] if lines else done.returncode}"
            )
        write_whole(pdf, partial.read_bytes())
