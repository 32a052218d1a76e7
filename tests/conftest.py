"""Test-session settings shared by every folder.

Under CI (the ``CI`` environment variable set) hypothesis runs derandomized: the same examples on every run,
so a submission is judged on the code, not on the draw. A developer's run explores new examples each time
and keeps the failures it finds in ``.hypothesis/``.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
