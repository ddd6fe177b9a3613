"""The plot gallery (``make plots``): every image it lists is committed and in its index."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("arviz_plots")

GALLERY = Path(__file__).resolve().parents[2] / "docs" / "gallery"


def _build_module():
    spec = importlib.util.spec_from_file_location("gallery_build", GALLERY / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


def test_every_image_is_drawn_and_indexed():
    build = _build_module()
    names = [image.name for image in build.IMAGES]
    assert len(names) == len(set(names))
    assert {path.stem for path in GALLERY.glob("*.png")} == set(names)
    assert (GALLERY / "README.md").read_text(encoding="utf-8") == build._index()


def test_unknown_image_names_are_refused(capsys):
    build = _build_module()
    with pytest.raises(SystemExit):
        build.main(["no-such-image"])
    assert "unknown images ['no-such-image']" in capsys.readouterr().err
    assert build.main(["--list"]) == 0
    assert "ppc-cbpp" in capsys.readouterr().out
