"""The docs name the code as it is: README's "Map of the code" names every package and
module and nothing that does not exist; docs/architecture.md points only at files and
names that exist, and at every package of bot/."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("revenium", "storage", "rules", "bot", "benchmarks")
_PATH = re.compile(r"`(\w[\w/]*(?:\.py|/))(?::(\w+))?")


def code_modules() -> set[str]:
    """Every module and package of the code, as paths from the root (`bot/grammar/`)."""
    found: set[str] = set()
    for top in PACKAGES:
        for path in (ROOT / top).rglob("*.py"):
            rel = path.relative_to(ROOT)
            found.update(f"{'/'.join(rel.parts[:i])}/" for i in range(1, len(rel.parts)))
            if not path.name.startswith("__"):
                found.add(rel.as_posix())
    return found


def readme_map() -> set[str]:
    """The paths the map names: a line's folders and files sit under the nearest folder
    above it that is indented less."""
    text = (ROOT / "README.md").read_text()
    block = text.split("## Map of the code", 1)[1].split("\n## ", 1)[0]
    named: set[str] = set()
    parents: list[tuple[int, str]] = []  # (indent, folder path)
    for line in block.splitlines():
        if not line.startswith("    "):
            continue
        indent = len(line) - len(line.lstrip())
        words = line.split()
        if not words or not re.fullmatch(r"[\w.]+/?", words[0]):
            continue  # a description carried over from the line above
        while parents and parents[-1][0] >= indent:
            parents.pop()
        base = parents[-1][1] if parents else ""
        for word in words:
            if not re.fullmatch(r"\w+(\.py|/)", word):
                break  # the description starts
            named.add(base + word)
            if word.endswith("/"):
                parents.append((indent, base + word))
    return named


def test_the_readme_map_names_every_module_and_only_modules_that_exist() -> None:
    named, actual = readme_map(), code_modules()
    missing = sorted(p for p in actual - named if not p.startswith("tests/"))
    assert not missing, f"README's Map of the code leaves out: {missing}"
    ghosts = sorted(p for p in named - actual if not (ROOT / p).exists())
    assert not ghosts, f"README's Map of the code names what does not exist: {ghosts}"


def test_the_architecture_points_only_at_code_that_exists() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    refs = _PATH.findall(text)
    assert refs, "docs/architecture.md names no file"
    for path, name in refs:
        target = ROOT / path
        assert target.exists(), f"docs/architecture.md names {path}, which does not exist"
        if name:
            source = target.read_text()
            defined = rf"^\s*(?:def|class) {name}\b|^\s*{name}\b[^=\n]*="
            assert re.search(defined, source, re.M), f"{path} defines no {name}"


def test_the_architecture_walks_through_every_package_of_the_bot() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    packages = sorted(p.name for p in (ROOT / "bot").iterdir() if (p / "__init__.py").exists())
    left_out = [p for p in packages if f"bot/{p}/" not in text]
    assert not left_out, f"docs/architecture.md leaves out bot/{left_out}"


def test_the_map_reader_sees_nesting() -> None:
    """The reader itself: a file under a nested folder is named with its whole path."""
    named = readme_map()
    assert {"bot/grammar/tokens.py", "revenium/sandbox/core.py", "bot/errors.py"} <= named
