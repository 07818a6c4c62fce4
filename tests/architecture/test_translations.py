"""Translations live in one source, the .po catalogue (README "Translations"): every entry of it is
translated and reviewed (nothing empty or fuzzy, which would show in English), and the committed
.mo is what `compilemessages` makes of it, so an edit to the .po cannot be forgotten uncompiled."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt is not installed")
def test_the_zh_hans_catalogue_is_complete_and_compiled(tmp_path):
    compiled = tmp_path / "django.mo"
    result = subprocess.run(["msgfmt", "--statistics", "--check-format", "-o", str(compiled),
                             str(CATALOGUE / "django.po")], capture_output=True, text=True, env={**os.environ, "LC_ALL": "C"})
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr
    assert compiled.read_bytes() == (CATALOGUE / "django.mo").read_bytes(), \
        "run `manage.py compilemessages -l zh_Hans` and commit locale/zh_Hans/LC_MESSAGES/django.mo"
