"""pytest plugin for .ci/run: a run that skipped any test fails.

The framework tests skip when their framework is missing (``importorskip``);
in the environment built to run them a skip means that environment is broken,
so it must fail the run instead of passing quietly. Load it with
``-p no_skips`` and ``.ci`` on ``PYTHONPATH``.
"""

import pytest


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    skipped = terminalreporter.stats.get("skipped", [])
    if skipped:
        terminalreporter.write_line(f"no_skips: {len(skipped)} test(s) skipped, which fails "
                                    "this run (the environment lacks what they need)",
                                    red=True)
