"""Complementary suppression over linked tables: which cells to hide besides the sensitive ones so that
no hidden cell can be narrowed to a range of fewer than PROTECTION values by the intruder of
report.md, losing as little as possible.

The intruder knows every published cell, the relations of crvs/report/linkage.py and that a hidden
cell is at least 1 (zeros are published). It solves linear programmes for the lowest and highest
value of each hidden cell. A hidden cell is protected when two solutions of the intruder's system
exist whose values for it differ by at least PROTECTION: the true table is one, and each
*perturbation* y — a change of cells that keeps every known relation (A·y = 0), every inequality
(within its slack), every cell it moves at 1 or more, and moves no zero — gives another. So, for each
sensitive cell c in turn (the method of Fischetti and Salazar, as τ-Argus and sdcTable use it):

    minimise   Σ cost_j · |y_j|      over published cells j (hidden cells cost nothing)
    subject to A_known · y = 0,  A_ineq · y ≤ slack,  y_j ≥ 1 − value_j,  y_j = 0 where value_j = 0,
               y_c = the distance still needed

and every cell that y moves is hidden. The perturbation certifies, for every cell it moves, a
solution of the intruder's system that far from the truth; hiding more cells only widens the
intruder's system, so a certificate stays valid. A cell hidden as a complement whose certificates
do not yet span PROTECTION becomes sensitive itself; the loop ends when every hidden cell's do.

The cost of hiding a cell is its value plus a fixed cost per cell (few cells, small cells), halved
for the `unknown` sex columns, which the issue asks to give up before `female`, and a fifth for the
figures of the PDF's charts (C1–C3): a bar marked x loses less than a table's cell.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix, hstack, vstack

from crvs.report.linkage import Cell, Relation

log = logging.getLogger(__name__)

PROTECTION = 5  # the intruder's lowest and highest value of a hidden cell differ by at least this
CELL_COST = 5.0  # the fixed cost of hiding one more cell, beside its value
CHEAP_COLUMNS = {"unknown": 0.5}
CHART_COST = 0.2  # a chart's figure (tables C1–C3, drawn in the PDF) is cheaper to hide than a table's
MOVED = 1e-6  # a perturbation moves a cell when it changes it by more than this
ENOUGH = 1e-6  # a span this close to PROTECTION is PROTECTION (the solver's tolerance)
MAX_ROUNDS = 50


def cell_cost(cell: Cell, value: int) -> float:
    chart = CHART_COST if cell[0].startswith("C") else 1.0
    return (CELL_COST + value) * CHEAP_COLUMNS.get(cell[2], 1.0) * chart


@dataclass
class Component:
    """Cells joined by relations, with their relations as sparse matrices over the cells that can move
    (the non-zero ones; a zero is published and stays)."""

    cells: list[Cell]
    values: np.ndarray
    known: csr_matrix
    inequalities: csr_matrix
    slack: np.ndarray
    index: dict[Cell, int] = field(default_factory=dict)
    solver: "Perturbations | None" = None

    def perturbation(self, hidden: set[Cell], cell: Cell, distance: float) -> np.ndarray | None:
        """The cheapest perturbation moving `cell` by `distance` (see Perturbations), or None."""
        if self.solver is None:
            self.solver = Perturbations(self)
        return self.solver.solve(hidden, self.index[cell], distance)


def components(values: dict[Cell, int], relations: list[Relation]) -> list[Component]:
    parent: dict[Cell, Cell] = {}

    def find(cell: Cell) -> Cell:
        parent.setdefault(cell, cell)
        while parent[cell] != cell:
            parent[cell] = parent[parent[cell]]
            cell = parent[cell]
        return cell

    movable = [r for r in relations if any(values[c] > 0 for c, _ in r.terms)]
    for relation in movable:
        cells = [c for c, _ in relation.terms if values[c] > 0]
        for other in cells[1:]:
            parent[find(other)] = find(cells[0])
        find(cells[0])
    grouped: dict[Cell, list[Relation]] = defaultdict(list)
    for relation in movable:
        grouped[find(next(c for c, _ in relation.terms if values[c] > 0))].append(relation)
    found = []
    for rels in grouped.values():
        cells = sorted({c for r in rels for c, _ in r.terms if values[c] > 0})
        index = {c: n for n, c in enumerate(cells)}
        known = [r for r in rels if r.known]
        unequal = [r for r in rels if not r.known]
        found.append(
            Component(
                cells=cells,
                values=np.array([values[c] for c in cells], dtype=float),
                known=_matrix(known, index),
                inequalities=_matrix(unequal, index),
                slack=np.array([-r.value(values) for r in unequal], dtype=float),
                index=index,
            )
        )
    return found


def _matrix(relations: list[Relation], index: dict[Cell, int]) -> csr_matrix:
    rows, columns, data = [], [], []
    for n, relation in enumerate(relations):
        for cell, coefficient in relation.terms:
            if cell in index:  # a zero cell stays zero: it drops out of A·y
                rows.append(n)
                columns.append(index[cell])
                data.append(coefficient)
    return csr_matrix((data, (rows, columns)), shape=(len(relations), len(index)))


class Perturbations:
    """The perturbation LP of one component, set up once and solved again for each target cell:
    the cheapest y = up − down with y[target] = distance, A_known·y = 0, A_ineq·y ≤ slack and
    0 ≤ down ≤ value − 1. HiGHS keeps its basis between solves (only the target's bounds and the
    hidden cells' costs change), so each solve starts from the last; scipy's linprog is the fallback
    when scipy's HiGHS bindings cannot be imported."""

    def __init__(self, component: Component):
        self.component = component
        self.n = n = len(component.cells)
        self.costs = np.array([cell_cost(cell, int(v)) for cell, v in zip(component.cells, component.values)])
        self.down_limit = component.values - 1
        matrix = (
            vstack([m for m in (component.known, component.inequalities) if m.shape[0]], format="csr")
            if component.known.shape[0] + component.inequalities.shape[0]
            else csr_matrix((0, n))
        )
        self.matrix = hstack([matrix, -matrix], format="csc")
        self.row_lower = np.concatenate(
            [np.zeros(component.known.shape[0]), np.full(component.inequalities.shape[0], -np.inf)]
        )
        self.row_upper = np.concatenate([np.zeros(component.known.shape[0]), component.slack])
        self.highs = self._highs()

    def _objective(self, hidden: set[Cell]) -> np.ndarray:
        # Moving a hidden cell costs a little too: no idle cycles through hidden cells.
        costs = np.array([1e-3 if cell in hidden else cost for cell, cost in zip(self.component.cells, self.costs)])
        return np.concatenate([costs, costs])

    def _bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(2 * self.n), np.concatenate([np.full(self.n, np.inf), self.down_limit])

    def _highs(self):
        try:
            import scipy.optimize._highspy._core as highs
        except ImportError:  # pragma: no cover - scipy without its HiGHS bindings
            return None
        lp = highs.HighsLp()
        lp.num_col_, lp.num_row_ = 2 * self.n, self.matrix.shape[0]
        lower, upper = self._bounds()
        inf = highs.kHighsInf
        lp.col_cost_ = self._objective(set())
        lp.col_lower_, lp.col_upper_ = lower, np.where(np.isinf(upper), inf, upper)
        lp.row_lower_ = np.where(np.isinf(self.row_lower), -inf, self.row_lower)
        lp.row_upper_ = self.row_upper
        lp.a_matrix_.format_ = highs.MatrixFormat.kColwise
        lp.a_matrix_.start_ = self.matrix.indptr
        lp.a_matrix_.index_ = self.matrix.indices
        lp.a_matrix_.value_ = self.matrix.data
        solver = highs._Highs()
        solver.setOptionValue("output_flag", False)
        solver.passModel(lp)
        self._inf, self._optimal = inf, highs.HighsModelStatus.kOptimal
        return solver

    def solve(self, hidden: set[Cell], target: int, distance: float) -> np.ndarray | None:
        """y, or None when no perturbation moves the target that far."""
        objective = self._objective(hidden)
        lower, upper = self._bounds()
        up, down = (distance, 0.0) if distance > 0 else (0.0, -distance)
        lower[target], upper[target] = up, up
        lower[self.n + target], upper[self.n + target] = down, down
        if self.highs is None:
            result = linprog(objective, bounds=list(zip(lower, upper)), method="highs", **self._linprog_rows())
            return result.x[: self.n] - result.x[self.n :] if result.status == 0 else None
        solver = self.highs
        columns = np.arange(2 * self.n, dtype=np.int32)
        solver.changeColsCost(len(columns), columns, objective)
        for column in (target, self.n + target):
            solver.changeColBounds(int(column), float(lower[column]), float(upper[column]))
        solver.run()
        ok = solver.getModelStatus() == self._optimal
        x = np.array(solver.getSolution().col_value) if ok else None
        reset_lower, reset_upper = self._bounds()
        for column in (target, self.n + target):
            high = reset_upper[column]
            solver.changeColBounds(
                int(column), float(reset_lower[column]), self._inf if np.isinf(high) else float(high)
            )
        return x[: self.n] - x[self.n :] if ok else None

    def _linprog_rows(self) -> dict:
        a = self.matrix.tocsr()
        k = self.component.known.shape[0]
        return {
            "A_eq": a[:k] if k else None,
            "b_eq": self.row_upper[:k] if k else None,
            "A_ub": a[k:] if a.shape[0] > k else None,
            "b_ub": self.row_upper[k:] if a.shape[0] > k else None,
        }


@dataclass
class Certificates:
    """For each hidden cell, how far up and down the intruder's system is proven to let it move."""

    up: dict[Cell, float] = field(default_factory=lambda: defaultdict(float))
    down: dict[Cell, float] = field(default_factory=lambda: defaultdict(float))

    def record(self, component: Component, y: np.ndarray) -> set[Cell]:
        moved = set()
        for cell, change in zip(component.cells, y):
            if change > MOVED:
                self.up[cell] = max(self.up[cell], change)
                moved.add(cell)
            elif change < -MOVED:
                self.down[cell] = max(self.down[cell], -change)
                moved.add(cell)
        return moved

    def span(self, cell: Cell) -> float:
        return self.up[cell] + self.down[cell]


def protect_cells(
    values: dict[Cell, int], relations: list[Relation], sensitive: set[Cell]
) -> tuple[set[Cell], set[Cell]]:
    """The hidden cells (`sensitive` and their complements) and the cells that could not be
    protected (none, unless the relations leave a cell no room at all)."""
    hidden = set(sensitive)
    certificates = Certificates()
    failed: set[Cell] = set()
    by_cell = {}
    for component in components(values, relations):
        for cell in component.cells:
            by_cell[cell] = component
    # Hidden cells in no relation the intruder could use are free: only "at least 1" bounds them.
    todo = sorted((c for c in hidden if c in by_cell), key=lambda c: (values[c], c))
    rounds = 0
    while todo and rounds < MAX_ROUNDS:
        rounds += 1
        for cell in todo:
            if PROTECTION - certificates.span(cell) <= ENOUGH:
                continue
            component = by_cell[cell]
            # Up (certificates do not add: one perturbation must reach the whole distance up).
            y = component.perturbation(hidden, cell, PROTECTION - certificates.down[cell])
            if y is None and values[cell] > 1 and certificates.down[cell] < values[cell] - 1:
                # Up is blocked (an inequality): down as far as the cell allows, then the rest up.
                y_down = component.perturbation(hidden, cell, -(values[cell] - 1))
                if y_down is not None:
                    hidden |= certificates.record(component, y_down)
                    if PROTECTION - certificates.span(cell) <= ENOUGH:
                        continue
                    y = component.perturbation(hidden, cell, PROTECTION - certificates.down[cell])
            if y is None:
                failed.add(cell)
                continue
            hidden |= certificates.record(component, y)
        todo = sorted(
            (c for c in hidden if c in by_cell and c not in failed and PROTECTION - certificates.span(c) > ENOUGH),
            key=lambda c: (values[c], c),
        )
    failed |= set(todo)
    if failed:
        log.warning("disclosure control could not protect %d cell(s): %s", len(failed), sorted(failed)[:10])
    return hidden, failed
