"""The checks run over the same small sandbox as the main job's tests."""

from tajo_assets_tests.assets.conftest import (  # noqa: F401 (fixtures)
    instance,
    sandbox,
    sandbox_env,
    write_project,
)
