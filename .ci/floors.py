"""Print pyproject.toml's runtime dependencies pinned to their declared floors.

``name>=x`` becomes ``name==x``, for a pip constraints file: .ci/run installs
gatedts with it to test the oldest versions it claims to support.
"""

import re
import sys
from pathlib import Path

import tomllib

project = tomllib.loads(Path(sys.argv[1] if len(sys.argv) > 1 else "pyproject.toml")
                        .read_text())["project"]
for requirement in project["dependencies"]:
    match = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)\s*>=\s*([0-9][0-9.]*)", requirement.strip())
    if match is None:
        sys.exit(f"{requirement!r} has no plain >= floor to pin")
    print(f"{match[1]}=={match[2]}")
