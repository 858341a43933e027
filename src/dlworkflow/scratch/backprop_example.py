"""The notes' hand-worked backpropagation ("Neural network calculates by hand", Phần 3).

A 1-2-1 sigmoid network learns weight from height: heights 160/165/170 cm and
weights 62/64/66 kg, min-max scaled to 0, 0.5, 1; initial weights w11=0.5, w12=1,
b1=b2=0 (layer 1), w11=1, w21=0.5, b=1 (layer 2); learning rate 0.1; log loss. The
notes work one step on the second record (x = y = 0.5) and print every value rounded.

:func:`worked_example` recomputes each value in float64 and pairs it with the notes'
printed number and with the notes' own arithmetic on their rounded inputs (e.g.
∂L/∂w12 = 0.043 × 0.5 = 0.0215), so the table shows where rounding moved a digit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dlworkflow.scratch.layers import Dense
from dlworkflow.scratch.network import Network

HEIGHTS_CM = np.array([160.0, 165.0, 170.0])
WEIGHTS_KG = np.array([62.0, 64.0, 66.0])
LEARNING_RATE = 0.1
RECORD = 1  # "the second record of the data set"

# name → (notes' printed value, the notes' arithmetic on their own rounded values)
NotesArithmetic = Callable[[dict[str, float]], float]
NOTES: dict[str, tuple[float, NotesArithmetic]] = {
    "z1(1)": (0.25, lambda n: 0.5 * 0.5 + 0),
    "z2(1)": (0.5, lambda n: 0.5 * 1 + 0),
    "a1(1)": (0.562, lambda n: 1 / (1 + np.exp(-n["z1(1)"]))),
    "a2(1)": (0.622, lambda n: 1 / (1 + np.exp(-n["z2(1)"]))),
    "z1(2)": (1.873, lambda n: n["a1(1)"] * 1 + n["a2(1)"] * 0.5 + 1),
    "ŷ = a1(2)": (0.867, lambda n: 1 / (1 + np.exp(-n["z1(2)"]))),
    "∂L/∂b1(2)": (0.367, lambda n: n["ŷ = a1(2)"] - 0.5),
    "∂L/∂w11(2)": (0.206, lambda n: n["∂L/∂b1(2)"] * n["a1(1)"]),
    "∂L/∂w21(2)": (0.228, lambda n: n["∂L/∂b1(2)"] * n["a2(1)"]),
    "∂L/∂b1(1)": (0.09, lambda n: n["∂L/∂b1(2)"] * 1 * n["a1(1)"] * (1 - n["a1(1)"])),
    "∂L/∂b2(1)": (0.043, lambda n: n["∂L/∂b1(2)"] * 0.5 * n["a2(1)"] * (1 - n["a2(1)"])),
    "∂L/∂w11(1)": (0.045, lambda n: n["∂L/∂b1(1)"] * 0.5),
    "∂L/∂w12(1)": (0.0215, lambda n: n["∂L/∂b2(1)"] * 0.5),
    "w11(1) new": (0.4955, lambda n: 0.5 - 0.1 * n["∂L/∂w11(1)"]),
    "w12(1) new": (0.99785, lambda n: 1 - 0.1 * n["∂L/∂w12(1)"]),
    "b1(1) new": (-0.009, lambda n: 0 - 0.1 * n["∂L/∂b1(1)"]),
    "b2(1) new": (-0.0043, lambda n: 0 - 0.1 * n["∂L/∂b2(1)"]),
    "w11(2) new": (0.9794, lambda n: 1 - 0.1 * n["∂L/∂w11(2)"]),
    "w21(2) new": (0.4772, lambda n: 0.5 - 0.1 * n["∂L/∂w21(2)"]),
    "b1(2) new": (0.9633, lambda n: 1 - 0.1 * n["∂L/∂b1(2)"]),
}


@dataclass
class Row:
    name: str
    notes: float  # as printed in the notes
    notes_arithmetic: float  # the notes' formula on the notes' rounded values
    exact: float  # float64, nothing rounded
    decimals: int  # digits the notes printed

    @property
    def rounded(self) -> float:
        return round(self.exact, self.decimals)

    @property
    def agrees(self) -> bool:
        """Does the exact value round to the notes' number (to the digits they printed)?"""
        return abs(self.exact - self.notes) <= 0.5 * 10**-self.decimals + 1e-12

    @property
    def note(self) -> str:
        """Why the notes' digit differs, when it does: they carried rounded values on."""
        if self.agrees:
            return ""
        return (
            f"the notes' {self.notes:g} is their formula on their rounded values "
            f"({self.notes_arithmetic:.6g}); unrounded {self.exact:.6g} rounds to "
            f"{self.rounded:.{self.decimals}f}"
        )


def min_max(values: np.ndarray) -> np.ndarray:
    return (values - values.min()) / (values.max() - values.min())


def scaled_data() -> tuple[np.ndarray, np.ndarray]:
    """x and y of the three records, min-max scaled as in the notes' table."""
    return min_max(HEIGHTS_CM).reshape(-1, 1), min_max(WEIGHTS_KG).reshape(-1, 1)


def notes_network() -> Network:
    """The 1-2-1 sigmoid network with the notes' initial weights and log loss."""
    return Network(
        [
            Dense(1, 2, "sigmoid", weights=[[0.5, 1.0]], bias=[0.0, 0.0]),
            Dense(2, 1, "sigmoid", weights=[[1.0], [0.5]], bias=[1.0]),
        ],
        "binary_crossentropy",
    )


def exact_values() -> dict[str, float]:
    """Forward values, gradients and updated weights of one step on the second record."""
    x, y = scaled_data()
    net = notes_network()
    net.forward(x[RECORD : RECORD + 1])
    net.backward(y[RECORD : RECORD + 1])
    hidden, output = net.layers
    values = {
        "z1(1)": hidden.z[0, 0],
        "z2(1)": hidden.z[0, 1],
        "a1(1)": hidden.a[0, 0],
        "a2(1)": hidden.a[0, 1],
        "z1(2)": output.z[0, 0],
        "ŷ = a1(2)": output.a[0, 0],
        "∂L/∂b1(2)": output.db[0],
        "∂L/∂w11(2)": output.dW[0, 0],
        "∂L/∂w21(2)": output.dW[1, 0],
        "∂L/∂b1(1)": hidden.db[0],
        "∂L/∂b2(1)": hidden.db[1],
        "∂L/∂w11(1)": hidden.dW[0, 0],
        "∂L/∂w12(1)": hidden.dW[0, 1],
    }
    net.step(LEARNING_RATE)
    values.update(
        {
            "w11(1) new": hidden.W[0, 0],
            "w12(1) new": hidden.W[0, 1],
            "b1(1) new": hidden.b[0],
            "b2(1) new": hidden.b[1],
            "w11(2) new": output.W[0, 0],
            "w21(2) new": output.W[1, 0],
            "b1(2) new": output.b[0],
        }
    )
    return {name: float(value) for name, value in values.items()}


def worked_example() -> list[Row]:
    """One row per value the notes print, in their order."""
    exact = exact_values()
    printed = {name: value for name, (value, _) in NOTES.items()}
    return [
        Row(name, printed[name], float(arithmetic(printed)), exact[name], _decimals(printed[name]))
        for name, (_, arithmetic) in NOTES.items()
    ]


def _decimals(value: float) -> int:
    text = f"{value:.10f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0
