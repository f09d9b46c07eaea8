"""The models run against the same kind of sandbox as the main job's tests."""

from tajo_assets_tests.assets.conftest import (  # noqa: F401 (fixtures)
    instance,
    sandbox,
    sandbox_env,
    write_project,
)
