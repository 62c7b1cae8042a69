"""The disclosure checker: an attacker that tries to recover every suppressed cell of a published
table from the published cells, for the unit tests (random tables) and the report tests (the
public CSVs as written). It works from the table's declaration only, not with the code under test."""

from __future__ import annotations

import math

from scipy.optimize import linprog

from crvs.report.tables import RATE

X = "x"


def declared_lines(table, rows):
    """Every additive relation the table's declaration publishes, worked out here from the declaration
    (not with the code under test): within each row, parts = total; down each totalled column, the
    rows of one group = its national row."""
    lines = [([(i, p) for p in rt.parts], (i, rt.total)) for i in range(len(rows)) for rt in table.row_totals]
    ct = table.column_total
    if ct is not None:
        others = [k for k in table.key_names if k != ct.key and k not in ct.dependent_keys]
        groups = {}
        for i, row in enumerate(rows):
            groups.setdefault(tuple(row[k] for k in others), []).append(i)
        for members in groups.values():
            national = [i for i in members if rows[i][ct.key] == ct.total_code]
            for column in ct.columns:
                lines += [([(i, column) for i in members if i not in national], (n, column)) for n in national]
    return lines


def recoverable(table, published) -> dict:
    """Hidden cells whose value the published cells pin down: for each, the smallest and largest value
    it can take given every published total and counts ≥ 0 (linear programmes); a cell whose range
    holds a single whole number is recovered. Also any published rate with a hidden input."""
    lines = declared_lines(table, published)
    hidden = sorted({cell for parts, total in lines for cell in (*parts, total)
                     if published[cell[0]][cell[1]] == X})
    found = {}
    for rate in table.of_kind(RATE):
        for i, row in enumerate(published):
            if row[rate.name] != X and any(row[n] == X for n in rate.inputs):
                found[(i, rate.name)] = "rate published with a hidden input"
    if not hidden:
        return found
    index = {cell: n for n, cell in enumerate(hidden)}
    a_eq, b_eq = [], []
    for parts, total in lines:
        coefficients, rhs = [0] * len(hidden), 0
        for cell in parts:
            if cell in index:
                coefficients[index[cell]] += 1
            else:
                rhs -= published[cell[0]][cell[1]]
        if total in index:
            coefficients[index[total]] -= 1
        else:
            rhs += published[total[0]][total[1]]
        if any(coefficients):
            a_eq.append(coefficients)
            b_eq.append(rhs)
    for cell, n in index.items():
        objective = [0] * len(hidden)
        objective[n] = 1
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog([-v for v in objective], A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        assert low.status == 0, (cell, low.message)  # the true values are a solution
        if high.status == 0 and math.floor(-high.fun + 1e-6) == math.ceil(low.fun - 1e-6):
            found[cell] = round(low.fun)
    return found
