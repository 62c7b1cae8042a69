"""The contract's row rules as SQL, generated from crvs.feeds.contract.

A file's rows arrive in a temporary table `incoming` (source_row, field_count, then the stored
columns as text: names already left out and identifiers already replaced by their HMAC pseudonym
or INVALID_ID by the loader, in its own process). `load_statement(dataset)` is ONE statement that
reads them once:

1. `stored_values`: the stored columns (an empty field is already null: the loader sends rows in
   COPY's CSV format, where an unquoted empty field is null, and never sends a quoted one).
2. `format_problem(dataset)`: the first column whose text breaks its kind (required, integer, date,
   boolean, enum, code list for the row's admin_code_version, ICD-10, bounds) — a jsonb
   [rule, column, message], or null. Those rows go to quarantine.rows. A message names the row,
   the column and the rule; it quotes a value only when the check proved it harmless (a code of
   the right shape that is not in the row's list).
3. The other rows are cast to their types (`typed_select`) and `row_rule_problem(dataset)` finds
   the first cross-column rule broken (date order, registration after extraction...), then
   duplicate keys inside the file. Those rows go to quarantine.rows, the rest to raw.<dataset>.
"""

from __future__ import annotations

from crvs.feeds.contract import FORMATS, Column, Dataset, Formats
from crvs.feeds.pseudonym import INVALID_ID

INTEGER = r"^[+-]?\d{1,9}$"
NUMERIC = r"^[+-]?(\d+(\.\d*)?|\.\d+)$"
CODE_FORMAT = {"province": r"^\d{2}$", "commune": r"^\d{5}$"}
CODE_LABEL = {"province": "2-digit province code", "commune": "5-digit commune code"}


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _problem(rule: str, column: str, message_sql: str) -> str:
    return f"jsonb_build_array({_lit(rule)}, {_lit(column)}, {message_sql})"


def _format_checks(column: Column, formats: Formats = FORMATS) -> list[tuple[str, str, str]]:
    """(condition that is true when broken, rule, message SQL) for one column of a dataset whose
    value formats are `formats`, in order."""
    c = column.stored_name
    name = column.name
    # A value that breaks its column's format is never quoted: it may be anything (a name in the
    # wrong column, a citizen number). Only codes of the right shape are (_code_list_checks).
    said = lambda text: _lit(f"{name} {text}")  # noqa: E731
    checks: list[tuple[str, str, str]] = []
    if column.required:
        checks.append((f"{c} is null", "required", _lit(f"{name} is required but empty")))
    kind = column.kind
    if kind == "int":
        checks.append((f"{c} !~ {_lit(INTEGER)}", "not_integer", said("is not an integer")))
        if column.minimum is not None:
            checks.append((f"{c}::bigint < {column.minimum}", "out_of_range", said(f"is below {column.minimum}")))
        if column.maximum is not None:
            checks.append((f"{c}::bigint > {column.maximum}", "out_of_range", said(f"is above {column.maximum}")))
    elif kind == "date":
        # No regular expression: on every row of a national file they cost more than the rest of
        # the checks. Shape and the contract's years (four digits: 1800-2999) by comparison, then
        # the calendar by PostgreSQL's own date input, then "exactly YYYY-MM-DD" by reading the
        # date back (DateStyle ISO, set by the loader).
        checks.append(
            (
                f'not (length({c}) = 10 and {c} collate "C" between {_lit(formats.first_date)}'
                f" and {_lit(formats.last_date)})",
                "not_a_date",
                said("is not a date (YYYY-MM-DD)"),
            )
        )
        checks.append((f"not pg_input_is_valid({c}, 'date')", "not_a_date", said("is not a calendar date")))
        checks.append((f"{c}::date::text <> {c}", "not_a_date", said("is not a date (YYYY-MM-DD)")))
    elif kind == "bool":
        checks.append((f"{c} not in ('0', '1')", "not_boolean", said("is not 0 or 1")))
    elif kind == "numeric":
        checks.append((f"{c} !~ {_lit(NUMERIC)}", "not_numeric", said("is not a number")))
    elif kind == "enum":
        allowed = ", ".join(_lit(v) for v in column.values)
        checks.append(
            (f"{c} not in ({allowed})", "not_in_code_list", said("is not one of " + ", ".join(column.values)))
        )
    elif kind == "pid":
        checks.append(
            (
                f"{c} = {_lit(INVALID_ID)}",
                "malformed_identifier",
                _lit(f"{name} is not a {formats.citizen_number_label} (value withheld)"),
            )
        )
    elif kind == "regno":  # the loader sent INVALID_ID in place of a value of another shape
        checks.append(
            (
                f"{c} = {_lit(INVALID_ID)}",
                "not_a_registration_number",
                _lit(f"{name} is not a registration number ({formats.registration_number_rule}; value withheld)"),
            )
        )
    elif kind == "icd10":
        checks.append(
            (
                f"{c} !~ {_lit('^' + formats.icd10 + '$')}",
                "not_icd10",
                said(f"is not an ICD-10 code like {formats.icd10_example}"),
            )
        )
    elif kind in CODE_FORMAT:
        # A code of any official list has the right format: only other values meet the regex.
        known = f"(select code from valid_codes where level = {_lit(kind)})"
        checks.append(
            (
                f"{c} not in {known} and {c} !~ {_lit(CODE_FORMAT[kind])}",
                "bad_code_format",
                said(f"is not a {CODE_LABEL[kind]}"),
            )
        )
    return checks


def _code_list_checks(column: Column, dataset: Dataset) -> list[tuple[str, str, str]]:
    """Codes must exist in the official list named by the row's admin_code_version.

    Outer columns are qualified with `i.` (the alias of `incoming`): inside the subquery a bare
    `province_code` would otherwise name the code list's own column.
    """
    if column.kind not in CODE_FORMAT:
        return []
    c = f"i.{column.stored_name}"
    # Uncorrelated `not in` (codes never null): PostgreSQL hashes the list once per statement
    # instead of probing it per row.
    listed = (
        f"(i.admin_code_version, {c}) not in (select code_version, code from valid_codes"
        f" where level = {_lit(column.kind)})"
    )
    message = (
        f"{_lit(column.name + ' ')} || quote_literal({c}) || ' is not a ' || "
        f"{_lit(column.kind)} || ' code of the ' || i.admin_code_version || ' list'"
    )
    checks = [(f"{c} is not null and {listed}", "unknown_code", message)]
    if column.kind == "commune":
        province = dataset.commune_province
        if province is not None:
            inside = (
                f"(i.admin_code_version, {c}, i.{province.stored_name}) not in"
                " (select code_version, code, parent_code from valid_codes where level = 'commune')"
            )
            checks.append(
                (
                    f"{c} is not null and {inside}",
                    "commune_outside_province",
                    f"{_lit(column.name + ' ')} || quote_literal({c}) || "
                    f"{_lit(' is not in ' + province.name + ' ')} || quote_literal(i.{province.stored_name})",
                )
            )
    return checks


def format_problem(dataset: Dataset) -> str:
    """SQL expression over `incoming`: the first format or code-list problem of the row, or null."""
    stored = [c for c in dataset.columns if c.stored_name]
    # Formats of every column first, then code lists (which need a valid admin_code_version).
    checks = [(c.name, check) for c in stored for check in _format_checks(c, dataset.formats)]
    checks += [(c.name, check) for c in stored for check in _code_list_checks(c, dataset)]
    # A null value passes every check but `required` (SQL's three-valued logic makes the
    # conditions null, and CASE treats null as false).
    whens = "\n        ".join(f"when {cond} then {_problem(rule, column, msg)}" for column, (cond, rule, msg) in checks)
    return f"case\n        {whens}\n    end"


def _typed(column: Column) -> str:
    """SQL: the column's text (already checked) cast to its raw table's type."""
    c = column.stored_name
    return {
        "int": f"{c}::integer",
        "date": f"{c}::date",
        "bool": f"({c} = '1')",
        "numeric": f"{c}::numeric",
    }.get(column.kind, c)


def typed_select(dataset: Dataset) -> str:
    """SQL select list casting `incoming`'s text columns to the raw table's types."""
    return ",\n    ".join(f"{_typed(c)} as {c.stored_name}" for c in dataset.columns if c.stored_name)


def later_duplicates(dataset: Dataset, table: str = "checked", fast_rows: bool = False) -> str:
    """SQL query over the checked rows: source_row of each row whose key (typed) appeared on an
    earlier row without a format problem. Only the key and the row number are sorted, not whole
    rows: a national file's sort then stays in memory. With `fast_rows`, the rows the fast path
    (crvs.feeds.fastpath) already wrote to raw.<dataset> for this delivery count as well."""
    names = [dataset.column(k).stored_name for k in dataset.key]
    keyed = (
        f"select source_row, {', '.join(f'{_typed(dataset.column(k))} as {n}' for k, n in zip(dataset.key, names))}"
        f" from {table} where problem is null"
    )
    if fast_rows:
        keyed += (
            f" union all select source_row, {', '.join(names)} from raw.{dataset.name}"
            " where delivery_id = %(delivery_id)s"
        )
    return (
        f"select source_row from (select source_row, row_number() over (partition by {', '.join(names)}"
        f" order by source_row) as nth from ({keyed}) k) d where nth > 1"
    )


def duplicate_message(dataset: Dataset) -> str:
    return f"the same ({', '.join(dataset.key)}) appears earlier in this file"


def row_rule_problem(dataset: Dataset, duplicates: str = "duplicates") -> str:
    """SQL expression over the typed rows (with `extracted_on`): the first cross-column rule broken,
    then a duplicate key (`duplicates` names the result of later_duplicates)."""
    whens = []
    for rule in dataset.rules:
        whens.append(f"when not coalesce({rule.sql}, true) then {_problem(rule.name, rule.column, _lit(rule.message))}")
    whens.append(
        f"when source_row in (select source_row from {duplicates}) then "
        + _problem("duplicate_key", dataset.key[0], _lit(duplicate_message(dataset)))
    )
    return "case\n        " + "\n        ".join(whens) + "\n    end"


def stored_values(dataset: Dataset) -> str:
    """SQL select list over `incoming`: the stored columns (empty fields arrive as null)."""
    return ", ".join(c.stored_name for c in dataset.columns if c.stored_name)


QUARANTINE_INSERT = """insert into quarantine.rows
        (agency, delivery_id, dataset, file_name, source_row, column_name, rule, reason, record)
    select %(agency)s, %(delivery_id)s, %(dataset)s, %(file)s, source_row, problem->>1, problem->>0,
           %(file)s || ' row ' || source_row || ', column ' || (problem->>1) || ': ' || (problem->>2),
           to_jsonb(t) - 'problem' - 'source_row' - 'extracted_on'
    from {table} t where problem is not null
    returning 1"""


def load_statement(dataset: Dataset, fast_rows: bool = False) -> str:
    """The one statement that takes `incoming` to raw.<dataset> and quarantine.rows.

    Parameters: agency, delivery_id, dataset, file, width (the header's field count), extracted_on.
    Returns one row: (rows quarantined, rows loaded, fast rows moved to quarantine). Rows the
    reader could not place in columns (`field_count` not null) are quarantined as wrong_field_count.
    `offset 0` keeps each level a separate scan, so every check is computed once per
    row; the MATERIALIZED steps are read several times (quarantine, duplicates, the next step)
    without being computed again.

    With `fast_rows`, `incoming` holds only the rows the fast path handed back, and the others are
    already in raw.<dataset>: duplicates are looked for among both, and a fast row found to repeat
    an earlier key is moved from raw.<dataset> to quarantine (all statements of one query see the
    table as it was before it, so the rows inserted here are not touched).
    """
    stored = [c for c in dataset.columns if c.stored_name]
    columns = ", ".join(c.stored_name for c in stored)
    # Pseudonyms stay hex text up to here (so quarantine records show them as everywhere else) and
    # are stored as their 32 bytes.
    raw_values = ", ".join(f"decode({c.stored_name}, 'hex')" if c.kind == "pid" else c.stored_name for c in stored)
    hex_pids = "".join(
        f" || jsonb_build_object({_lit(c.stored_name)}, encode(m.{c.stored_name}, 'hex'))"
        for c in stored
        if c.kind == "pid"
    )
    key = dataset.key[0]
    moved = (
        f"""
moved as (
    delete from raw.{dataset.name} r
    where r.delivery_id = %(delivery_id)s and r.source_row in (select source_row from duplicates)
    returning r.*
),
moved_quarantined as (
    insert into quarantine.rows (agency, delivery_id, dataset, file_name, source_row, column_name, rule, reason, record)
    select %(agency)s, %(delivery_id)s, %(dataset)s, %(file)s, source_row, {_lit(key)}, 'duplicate_key',
           %(file)s || ' row ' || source_row || ', column ' || {_lit(key + ": " + duplicate_message(dataset))},
           (to_jsonb(m) - 'delivery_id' - 'source_row'){hex_pids}
    from moved m
    returning 1
),"""
        if fast_rows
        else ""
    )
    moved_count = "(select count(*) from moved_quarantined)" if fast_rows else "0"
    return f"""
with miscounted as (
    insert into quarantine.rows (agency, delivery_id, dataset, file_name, source_row, column_name, rule, reason, record)
    select %(agency)s, %(delivery_id)s, %(dataset)s, %(file)s, source_row, '*', 'wrong_field_count',
           %(file)s || ' row ' || source_row || ': ' || field_count || ' fields, the header has ' || %(width)s,
           jsonb_build_object('fields', field_count)
    from incoming where field_count is not null
    returning 1
),
checked as materialized (
    select i.*, {format_problem(dataset)} as problem
    from (select source_row, {stored_values(dataset)} from incoming where field_count is null offset 0) i
),
format_quarantined as (
    {QUARANTINE_INSERT.format(table="checked")}
),
duplicates as materialized (
    {later_duplicates(dataset, fast_rows=fast_rows)}
),
judged as materialized (
    select t.*, {row_rule_problem(dataset)} as problem
    from (select source_row, {typed_select(dataset)}, %(extracted_on)s::date as extracted_on
          from checked where problem is null offset 0) t
),
rule_quarantined as (
    {QUARANTINE_INSERT.format(table="judged")}
),{moved}
loaded as (
    insert into raw.{dataset.name} (delivery_id, source_row, {columns})
    select %(delivery_id)s, source_row, {raw_values} from judged where problem is null
    returning 1
)
select (select count(*) from miscounted) + (select count(*) from format_quarantined)
       + (select count(*) from rule_quarantined) + {moved_count},
       (select count(*) from loaded), {moved_count}"""
