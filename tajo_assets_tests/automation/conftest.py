"""The automation tests reuse the main job's sandbox and the config fixtures."""

from tajo_assets_tests.assets.conftest import (  # noqa: F401 (fixtures)
    instance,
    sandbox,
    sandbox_env,
    write_project,
)
from tajo_assets_tests.config.conftest import (  # noqa: F401 (fixtures)
    load_error,
    load_text,
    write_config,
)
