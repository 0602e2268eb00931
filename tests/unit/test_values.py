"""autolog.values: what the entities and specs keep of a dataclass's behaviour."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from typing import ClassVar

import pytest

from autolog.models.schema import ColSpec, ModelSignature, Schema
from autolog.tracking.entities import Dataset, DatasetInput, InputTag, Run, RunInfo
from autolog.values import Frozen, Value


class Point(Frozen):
    kind: ClassVar[str] = "point"
    x: int
    y: int

    def __init__(self, x: int, y: int = 0) -> None:
        self._set(x=x, y=y)


class Labelled(Point):
    label: str

    def __init__(self, x: int, y: int, label: str) -> None:
        self._set(x=x, y=y, label=label)


class Box(Value):
    items: list[int]

    def __init__(self, items: list[int]) -> None:
        self.items = items


@dataclasses.dataclass(frozen=True)
class DataPoint:
    x: int
    y: int = 0


def test_fields_are_the_annotated_names_in_order_bases_first_without_class_vars() -> None:
    assert Point._fields == ("x", "y")
    assert Labelled._fields == ("x", "y", "label")


def test_repr_and_equality_are_a_dataclasss() -> None:
    assert repr(Point(1, 2)) == repr(DataPoint(1, 2)).replace("DataPoint", "Point")
    assert Point(1, 2) == Point(1, 2) and Point(1, 2) != Point(1, 3)
    assert Point(1, 2) != Labelled(1, 2, "a")  # another class is never equal
    assert Point(1, 2) != (1, 2)


def test_a_frozen_value_refuses_assignment_and_hashes_by_its_fields() -> None:
    point = Point(1, 2)
    with pytest.raises(dataclasses.FrozenInstanceError, match="'x'"):
        point.x = 5  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del point.y
    assert point.x == 1
    assert hash(point) == hash(Point(1, 2)) and len({point, Point(1, 2), Point(2, 2)}) == 2


def test_a_mutable_value_is_unhashable_and_assignable() -> None:
    box = Box([1])
    box.items = [2]
    assert box == Box([2])
    with pytest.raises(TypeError, match="unhashable"):
        hash(box)


def test_replace_copies_with_changes_and_rejects_unknown_fields() -> None:
    point = Labelled(1, 2, "a")
    assert point.replace(label="b") == Labelled(1, 2, "b")
    assert point == Labelled(1, 2, "a")
    with pytest.raises(TypeError, match="z"):
        point.replace(z=1)


def test_entities_and_specs_survive_pickle_and_copies() -> None:
    run = Run(RunInfo("r", "0", "name", "RUNNING", 1, None, "file:///a"))
    run.data.params["p"] = "1"
    signed = ModelSignature(Schema((ColSpec("double", "a"),)))
    used = DatasetInput(Dataset("d", "abc"), (InputTag("mlflow.data.context", "train"),))
    for value in (run, signed, used):
        assert pickle.loads(pickle.dumps(value)) == value
        assert copy.deepcopy(value) == value and copy.copy(value) == value
    assert hash(pickle.loads(pickle.dumps(used))) == hash(used)
    assert used.context == "train"
    assert Run(run.info).data.params == {}  # a default is a new dict per instance
    assert Run(run.info).data is not Run(run.info).data
