"""The code location: every definition built from tajo.yaml.

The configuration is read when the code location loads, so a bad file stops
`dagster dev`, `dagster asset materialize` and `dagster definitions validate`
before any query runs, with the loader's message naming the key to fix.
"""

from tajo_assets.build import build_definitions
from tajo_assets.config import load_config

defs = build_definitions(load_config())
