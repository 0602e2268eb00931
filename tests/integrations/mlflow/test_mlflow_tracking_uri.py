"""autolog points MLflow's process-wide tracking URI at the server for the length of an
artifact call (MLflow resolves some artifact URIs with it) on the writer's thread, while the
user's code goes on: what the user sets meanwhile is never reverted."""

from __future__ import annotations

import threading

import pytest

mlflow = pytest.importorskip("mlflow")

from autolog.backends.mlflow_artifacts import served_artifacts  # noqa: E402

SERVER = "http://127.0.0.1:5999"


@pytest.fixture(autouse=True)
def _user_uri() -> object:
    before = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri("sqlite:///user.db")
    yield
    mlflow.set_tracking_uri(before)


def _in_thread(entered: threading.Event, leave: threading.Event) -> threading.Thread:
    def upload() -> None:
        with served_artifacts(SERVER):
            entered.set()
            leave.wait(10)

    thread = threading.Thread(target=upload)
    thread.start()
    assert entered.wait(10)
    return thread


def test_the_users_uri_is_put_back_after_the_call() -> None:
    with served_artifacts(SERVER):
        assert str(mlflow.get_tracking_uri()) == SERVER
    assert mlflow.get_tracking_uri() == "sqlite:///user.db"


@pytest.mark.parametrize("value", ["sqlite:///other.db", SERVER])
def test_a_uri_the_user_sets_during_an_upload_is_kept(value: str) -> None:
    entered, leave = threading.Event(), threading.Event()
    upload = _in_thread(entered, leave)
    mlflow.set_tracking_uri(value)  # the user's thread, while the writer uploads
    leave.set()
    upload.join()
    assert mlflow.get_tracking_uri() == value
    with served_artifacts(SERVER):  # a later upload puts back the user's newer value
        pass
    assert mlflow.get_tracking_uri() == value


def test_overlapping_calls_put_back_what_was_there_before_the_first() -> None:
    first_in, first_out = threading.Event(), threading.Event()
    second_in, second_out = threading.Event(), threading.Event()
    first = _in_thread(first_in, first_out)
    second = _in_thread(second_in, second_out)
    first_out.set()
    first.join()
    assert str(mlflow.get_tracking_uri()) == SERVER  # the second call still needs it
    second_out.set()
    second.join()
    assert mlflow.get_tracking_uri() == "sqlite:///user.db"
