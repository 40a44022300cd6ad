"""The warm-worker stack gives its broker to the run launcher alone: with the Celery executor's
variable set too, a run that is itself a Celery task waits on its own steps' tasks, and with
one worker it waited forever (an ``alert_delivery`` run stopped every run after it)."""

import os

from benchmarks import celery_launch
from promoteros_pipelines.runtime import celery_profile

USERS_BROKER = "redis://127.0.0.1:1/0"  # named, never connected to here


def test_the_run_launcher_reads_its_own_variable_not_the_executor_profiles():
    launcher = celery_profile.run_launcher_yaml()
    assert f"env: {celery_profile.RUN_BROKER_ENV}" in launcher
    assert f"env: {celery_profile.BROKER_ENV}\n" not in launcher


def test_a_configured_broker_is_lent_to_the_run_launcher_and_given_back(tmp_path, monkeypatch):
    monkeypatch.setenv(celery_profile.BROKER_ENV, USERS_BROKER)
    monkeypatch.delenv(celery_profile.RUN_BROKER_ENV, raising=False)

    with celery_launch.broker(tmp_path) as url:
        assert url == USERS_BROKER
        assert os.environ[celery_profile.RUN_BROKER_ENV] == USERS_BROKER
        assert celery_profile.broker_url() is None  # the stack's jobs keep their executor

    assert os.environ[celery_profile.BROKER_ENV] == USERS_BROKER
    assert celery_profile.RUN_BROKER_ENV not in os.environ
