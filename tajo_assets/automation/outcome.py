"""Why the last run `tajo sync` started failed, in a few lines for its terminal.

`dagster job execute` ends a failed run with Dagster's own event lines and a
stack trace; the check description or failure message that says what to fix is
somewhere above them. After the run, the command reads that run's failed checks
and failed steps back from DAGSTER_HOME and prints them last.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from dagster._core.events import DagsterEventType
from dagster._utils.error import SerializableErrorInfo

from tajo_assets.automation.orphans import LAUNCHED_BY_CLI, LAUNCHED_BY_TAG

# A step failing because of a blocking check repeats what the check's line says.
_CHECK_FAILURE = "DagsterAssetCheckFailedError"
_STEP_ERROR = "DagsterExecutionStepExecutionError"
_BLOCKING = dg.AssetCheckSeverity.ERROR


def last_run_failures(dagster_home: str) -> list[str]:
    """One line per failed check and failed step of the latest run the command
    started; empty when that run did not fail (or there is none)."""
    with _quiet_dagster(), dg.DagsterInstance.from_config(dagster_home) as instance:
        runs = instance.get_runs(
            filters=dg.RunsFilter(tags={LAUNCHED_BY_TAG: LAUNCHED_BY_CLI}), limit=1
        )
        if not runs or runs[0].status != dg.DagsterRunStatus.FAILURE:
            return []
        records = instance.all_logs(
            runs[0].run_id,
            of_type={
                DagsterEventType.ASSET_CHECK_EVALUATION,
                DagsterEventType.STEP_FAILURE,
            },
        )
    lines = []
    for record in records:
        event = record.dagster_event
        if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            # A warning (the scores' freshness, say) did not stop the run.
            if not evaluation.passed and evaluation.severity == _BLOCKING:
                lines.append(
                    f"check {evaluation.check_name} on "
                    f"{evaluation.asset_key.to_user_string()}: "
                    f"{evaluation.description}"
                )
            continue
        error = event.step_failure_data.error
        if error is None or error.cls_name == _CHECK_FAILURE:
            continue
        if error.cls_name == _STEP_ERROR and error.cause is not None:
            error = error.cause  # Dagster's wrapper around the op's own error
        lines.append(f"step {event.step_key}: {_message(error)}")
    return lines


@contextmanager
def _quiet_dagster() -> Iterator[None]:
    """Dagster's notes on opening an instance (no dagster.yaml, say) were
    already printed by the run; the summary should not repeat them."""
    logger = logging.getLogger("dagster")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _message(error: SerializableErrorInfo) -> str:
    """The error's own words on one line, without its class name before them."""
    text = " ".join(error.message.split())
    prefix, _, rest = text.partition(": ")
    return rest if rest and prefix.endswith(error.cls_name or "") else text
