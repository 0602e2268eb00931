"""Signature specs, in MLflow's JSON shapes: a :class:`ColSpec` per column, a
:class:`TensorSpec` per tensor, a :class:`ParamSpec` per inference parameter, a
:class:`Schema` of either, and the :class:`ModelSignature` of a model (inputs, outputs,
params). Inference lives in :mod:`autolog.models.signature`, which re-exports these.
They are frozen :mod:`autolog.values` (not dataclasses: cheaper to create at import).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from autolog.values import Frozen

__all__ = ["ColSpec", "ModelSignature", "ParamSpec", "Schema", "TensorSpec"]


class ColSpec(Frozen):
    """A named (or unnamed) column of a given MLflow data type."""

    type: str
    name: str | int | None
    required: bool
    items: dict[str, Any] | None
    properties: dict[str, Any] | None

    def __init__(self, type: str, name: str | int | None = None, required: bool = True,
                 items: dict[str, Any] | None = None,
                 properties: dict[str, Any] | None = None) -> None:
        self._set(type=type, name=name, required=required, items=items, properties=properties)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.items is not None:
            out["items"] = self.items
        if self.properties is not None:
            out["properties"] = self.properties
        if self.name is not None:
            out["name"] = self.name
        out["required"] = self.required
        return out


class TensorSpec(Frozen):
    """A tensor: numpy dtype name and shape, ``-1`` for the batch dimension."""

    dtype: str
    shape: tuple[int, ...]
    name: str | None

    def __init__(self, dtype: str, shape: tuple[int, ...], name: str | None = None) -> None:
        self._set(dtype=dtype, shape=shape, name=name)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.name is not None:
            out["name"] = self.name
        out["type"] = "tensor"
        out["tensor-spec"] = {"dtype": self.dtype, "shape": list(self.shape)}
        return out


class ParamSpec(Frozen):
    """An inference parameter with its default value."""

    name: str
    type: str
    default: Any
    shape: tuple[int, ...] | None

    def __init__(self, name: str, type: str, default: Any,
                 shape: tuple[int, ...] | None = None) -> None:
        self._set(name=name, type=type, default=default, shape=shape)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "default": self.default,
            "shape": None if self.shape is None else list(self.shape),
            "type": self.type,
        }


Spec = ColSpec | TensorSpec


class Schema(Frozen):
    """An ordered list of column specs or of tensor specs (never a mix)."""

    specs: tuple[Spec, ...]

    def __init__(self, specs: tuple[Spec, ...]) -> None:
        self._set(specs=specs)

    @property
    def is_tensor(self) -> bool:
        return bool(self.specs) and isinstance(self.specs[0], TensorSpec)

    def names(self) -> list[str | int | None]:
        return [spec.name for spec in self.specs]

    def to_list(self) -> list[dict[str, Any]]:
        return [spec.to_dict() for spec in self.specs]

    def to_json(self) -> str:
        return json.dumps(self.to_list())

    @classmethod
    def from_json(cls, text: str) -> Schema:
        specs: list[Spec] = []
        for item in json.loads(text):
            if item.get("type") == "tensor":
                ts = item["tensor-spec"]
                specs.append(TensorSpec(ts["dtype"], tuple(ts["shape"]), item.get("name")))
            else:
                specs.append(
                    ColSpec(item["type"], item.get("name"), item.get("required", True),
                            item.get("items"), item.get("properties"))
                )
        return cls(tuple(specs))


class ModelSignature(Frozen):
    """Inputs, outputs and params of a model, serialized like MLflow's."""

    inputs: Schema | None
    outputs: Schema | None
    params: tuple[ParamSpec, ...] | None

    def __init__(self, inputs: Schema | None, outputs: Schema | None = None,
                 params: tuple[ParamSpec, ...] | None = None) -> None:
        self._set(inputs=inputs, outputs=outputs, params=params)

    def to_dict(self) -> dict[str, str | None]:
        return {
            "inputs": self.inputs.to_json() if self.inputs is not None else None,
            "outputs": self.outputs.to_json() if self.outputs is not None else None,
            "params": json.dumps([p.to_dict() for p in self.params]) if self.params else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelSignature:
        inputs = data.get("inputs")
        outputs = data.get("outputs")
        params = data.get("params")
        param_specs = None
        if params:
            param_specs = tuple(
                ParamSpec(p["name"], p["type"], p.get("default"),
                          None if p.get("shape") is None else tuple(p["shape"]))
                for p in json.loads(params)
            )
        return cls(
            Schema.from_json(inputs) if inputs else None,
            Schema.from_json(outputs) if outputs else None,
            param_specs,
        )
