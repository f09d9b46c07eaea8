"""The sandbox's sample warehouse: TPC-H data plus marketing tables derived from it.

Four steps, each logged once at INFO with its duration:

1. generate TPC-H CUSTOMER and ORDERS as parquet with `tpchgen-cli` (cached per
   scale factor when a cache directory is given);
2. load them through fakesnow as `SNOWFLAKE_SAMPLE_DATA.TPCH_SF1.CUSTOMER` and
   `.ORDERS`, shaped like Snowflake's shared sample database;
3. derive the other inputs with the Snowflake SQL in `sql/*.sql`: the contacts
   `MARKETING_DB.PUBLIC.CUSTOMERS` and the outside ML job's
   `MARKETING_DB.ML_PREDICTIONS.CUSTOMER_SCORES`;
4. run the project's own models once (`tajo_assets/models/sql`, the same files
   the Dagster assets send), so `MARKETING_DB.ANALYTICS.CUSTOMER_RFM` and
   `MARKETING_DB.PUBLIC.CUSTOMER_SEGMENTS` exist before any Dagster run, for
   audience queries run against a fresh sandbox.

The result is a directory of fakesnow database files that `SnowflakeSandbox`
serves (`SnowflakeSandboxSettings(db_path=...)`). The inputs are deterministic:
the same scale factor gives the same rows. The models' UPDATED_AT is the time
of the build (the models stamp changed rows with the warehouse clock).
"""

import logging
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from tajo_assets.config.models import ModelsConfig
from tajo_assets.models import customer_rfm_statements, customer_segments_statements
from tajo_assets.sandbox.snowflake.engine import (
    Cancellation,
    Session,
    SessionContext,
    SqlEngine,
)
from tajo_assets.sandbox.snowflake.errors import StatementFailed
from tajo_assets.sandbox.snowflake.statement_text import (
    find_placeholders,
    split_statements,
)

log = logging.getLogger("tajo_assets.sandbox.warehouse")

TPCH_TABLES = ("customer", "orders")
TPCHGEN_TIMEOUT_S = 600


class SampleDataError(RuntimeError):
    """The sample warehouse could not be built; the message says what to do."""


@dataclass(frozen=True)
class SampleWarehouse:
    """What `generate_sample_warehouse` built."""

    db_path: Path
    scale_factor: float
    row_counts: dict[str, int]  # "DATABASE.SCHEMA.TABLE" -> rows
    step_seconds: dict[str, float]  # "generate", "load", "derive", "model" -> s

    def __str__(self) -> str:
        tables = ", ".join(f"{name} {rows:,}" for name, rows in self.row_counts.items())
        total = sum(self.step_seconds.values())
        return (
            f"sample warehouse at {self.db_path} (scale factor {self.scale_factor:g}, "
            f"{total:.1f} s): {tables}"
        )


def generate_sample_warehouse(
    db_path: Path, *, scale_factor: float = 1.0, cache_dir: Path | None = None
) -> SampleWarehouse:
    """Build (or rebuild) the sample warehouse's database files in `db_path`.

    `scale_factor` is TPC-H's (1.0: 150,000 customers, 1.5 M orders); the schema
    is named TPCH_SF1 whatever it is. With `cache_dir`, generated parquet files
    are kept there per scale factor and reused. Existing tables of the same
    names are replaced; other tables in those databases are left alone.

    Raises `SampleDataError` when tpchgen-cli is missing or fails.
    """
    if scale_factor <= 0:
        raise ValueError(f"scale_factor is {scale_factor}; it must be > 0 (e.g. 0.01)")
    seconds: dict[str, float] = {}
    with _tpch_parquet(scale_factor, cache_dir, seconds) as parquet:
        engine = SqlEngine(Path(db_path))
        try:
            with engine.session(SessionContext()) as session:
                _timed(seconds, "load", _load_tpch, session, parquet)
                _timed(seconds, "derive", _derive_marketing, session)
                _timed(seconds, "model", _run_models, session)
                counts = _row_counts(session)
        finally:
            engine.close()
    warehouse = SampleWarehouse(Path(db_path), scale_factor, counts, seconds)
    log.info("built %s", warehouse)
    return warehouse


def _timed(seconds: dict[str, float], step: str, action, *args) -> None:
    started = time.monotonic()
    action(*args)
    seconds[step] = time.monotonic() - started
    log.info("sample warehouse: %s took %.2f s", step, seconds[step])


@contextmanager
def _tpch_parquet(
    scale_factor: float, cache_dir: Path | None, seconds: dict[str, float]
) -> Iterator[dict[str, Path]]:
    """Parquet files of the TPC-H tables, from the cache or freshly generated."""
    if cache_dir is None:
        with tempfile.TemporaryDirectory(prefix="tajo-tpch-") as scratch:
            target = Path(scratch) / "tpch"
            _timed(seconds, "generate", _generate, scale_factor, target)
            yield _parquet_files(target)
        return
    target = Path(cache_dir) / f"tpch-sf{scale_factor:g}"
    if all(path.exists() for path in _parquet_files(target).values()):
        log.info("sample warehouse: reusing TPC-H parquet in %s", target)
        seconds["generate"] = 0.0
    else:
        _timed(seconds, "generate", _generate, scale_factor, target)
    yield _parquet_files(target)


def _parquet_files(directory: Path) -> dict[str, Path]:
    return {table: directory / f"{table}.parquet" for table in TPCH_TABLES}


def _generate(scale_factor: float, target: Path) -> None:
    """Run tpchgen-cli into a scratch directory, then move it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    command = [
        str(_tpchgen_executable()),
        "parquet",
        f"--scale-factor={scale_factor:g}",
        f"--tables={','.join(TPCH_TABLES)}",
        f"--output-dir={scratch}",
        "--quiet",
    ]
    try:
        finished = subprocess.run(  # noqa: S603 (fixed arguments, no shell)
            command, capture_output=True, text=True, timeout=TPCHGEN_TIMEOUT_S
        )
        if finished.returncode != 0:
            raise SampleDataError(
                f"tpchgen-cli failed with exit code {finished.returncode}: "
                f"{finished.stderr.strip()[-500:]}"
            )
        shutil.rmtree(target, ignore_errors=True)
        scratch.rename(target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _tpchgen_executable() -> Path:
    beside_python = Path(sys.executable).parent / "tpchgen-cli"
    if beside_python.exists():
        return beside_python
    on_path = shutil.which("tpchgen-cli")
    if on_path:
        return Path(on_path)
    raise SampleDataError(
        "tpchgen-cli is not installed (looked next to the Python interpreter and on "
        "PATH); install the sandbox extra: pip install -e '.[sandbox]'"
    )


def _load_tpch(session: Session, parquet: dict[str, Path]) -> None:
    _run_sql(session, "tpch_schema.sql")
    _run_sql(session, "tpch_customer.sql", [str(parquet["customer"])])
    _run_sql(session, "tpch_orders.sql", [str(parquet["orders"])])


def _derive_marketing(session: Session) -> None:
    _run_sql(session, "marketing_customers.sql")
    _run_sql(session, "marketing_customer_scores.sql")
    _run_sql(session, "marketing_order_events.sql")


def _run_models(session: Session) -> None:
    """The models with their default tables, which are the sandbox's."""
    models = ModelsConfig()
    for statement in customer_rfm_statements(models):
        _run_statement(session, "customer_rfm", statement)
    for statement in customer_segments_statements(models):
        _run_statement(session, "customer_segments", statement)


def _row_counts(session: Session) -> dict[str, int]:
    execution = _run_sql(session, "row_counts.sql")
    return {name: int(count) for name, count in execution.rows}


def _run_sql(session: Session, name: str, parameters: list | None = None):
    """Run each statement of `sql/<name>`; statements with placeholders get
    `parameters`. Returns the last statement's execution."""
    text = resources.files("tajo_assets.sandbox").joinpath("sql", name).read_text()
    execution = None
    for statement in split_statements(text):
        execution = _run_statement(session, f"sql/{name}", statement, parameters)
    return execution


def _run_statement(
    session: Session, source: str, statement: str, parameters: list | None = None
):
    """Run one statement; one with placeholders gets `parameters`."""
    uses_parameters = bool(find_placeholders(statement).positions)
    rows = [parameters or []] if uses_parameters else [[]]
    try:
        return session.run(statement, rows, Cancellation())
    except StatementFailed as failure:
        raise SampleDataError(f"{source} failed: {failure}") from failure
