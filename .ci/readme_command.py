"""Print the README's code block marked ``<!-- test: MARK -->`` (CI runs the README's test command as written)."""

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def block(mark: str, text: str) -> str:
    found = re.search(rf"<!-- test: {re.escape(mark)} -->\n```\w*\n(.*?)```", text, re.S)
    if found is None:
        raise SystemExit(f"README.md has no code block marked <!-- test: {mark} -->")
    return found.group(1)


if __name__ == "__main__":
    print(block(sys.argv[1], README.read_text(encoding="utf-8")), end="")
