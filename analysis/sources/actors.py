"""Actor strings of third-party exports -> perpetrator roles, from a reviewed map kept as data.

Actor strings are mapped to perpetrator roles by a reviewed, committed file
(``data/hand/actor_map.csv``). An actor string that looks Malian-state, Wagner or Africa Corps
but is missing from that file stops the build: a silently unmapped actor would undercount.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.errors import DataError, Problem
from analysis.sources.csvio import display_name, read_csv_strict
from analysis.sources.exports import DATASETS

ROLES = ("malian_forces", "wagner", "africa_corps", "dozo", "other_state_aligned", "excluded")

UNMAPPED_RULE = "unmapped actor: add it to data/hand/actor_map.csv with its role"

# Actor strings that must be in the reviewed map. The task's pattern put the country before
# the force ("Mali ... Forces"), but ACLED writes "Military Forces of Mali (2021-)", so both
# orders are matched.
_FORCE = r"(?:Forces|Military|Police|Gendarmerie|Government)"
STATE_ACTOR_PATTERN = re.compile(
    rf"\b(?:Mali|Malian)\b.*\b{_FORCE}\b|\b{_FORCE}\b.*\b(?:Mali|Malian)\b|Wagner|Africa Corps",
    re.IGNORECASE,
)


def load_actor_map(path: Path) -> pd.DataFrame:
    """Read and check the reviewed actor map (columns dataset, actor, role, note)."""
    frame = read_csv_strict(path, ["dataset", "actor", "role", "note"])
    name = display_name(path)
    problems = [
        Problem(name, int(line), "dataset", str(v), "dataset must be acled, ucdp or any")
        for line, v in frame["dataset"].items()
        if v not in (*DATASETS, "any")
    ]
    problems += [
        Problem(name, int(line), "role", str(v), f"role must be one of {list(ROLES)}")
        for line, v in frame["role"].items()
        if v not in ROLES
    ]
    problems += [
        Problem(name, int(line), "actor", None, "actor is required")
        for line, v in frame["actor"].items()
        if pd.isna(v)
    ]
    dupes = frame.duplicated(["dataset", "actor"], keep="first")
    problems += [
        Problem(name, int(line), "dataset+actor", str(v), "actor listed twice for this dataset")
        for line, v in frame.loc[dupes, "actor"].items()
    ]
    if problems:
        raise DataError(problems)
    return frame.reset_index(drop=True)


def roles_for(actor_map: pd.DataFrame, dataset: str) -> dict[str, str]:
    """actor string -> role for one dataset (rows for ``any`` apply to both)."""
    rows = actor_map[actor_map["dataset"].isin([dataset, "any"])]
    # A dataset-specific row wins over an ``any`` row for the same string.
    rows = rows.assign(_specific=rows["dataset"].eq(dataset)).sort_values("_specific")
    return dict(zip(rows["actor"].astype(str), rows["role"].astype(str), strict=True))


def split_actors(column: pd.Series, sep: str) -> pd.Series:
    """One row per actor named in a multi-actor cell, indexed like ``column`` (NA dropped)."""
    parts = column.dropna().astype("str").str.split(sep, regex=False).explode().str.strip()
    return parts[parts.ne("") & parts.notna()]


def unmapped_problems(actors: list[pd.Series], known: dict[str, str], file: str) -> list[Problem]:
    """Problems for actor strings that look state/Wagner/Africa Corps but are not in the map.

    ``actors`` are Series of single actor strings indexed by CSV line, with a ``name`` giving
    the column. Work on unique strings only, so a million rows cost a few thousand regexes.
    """
    problems: list[Problem] = []
    for series in actors:
        first = series[~series.duplicated(keep="first")]
        unknown = first[~first.isin(set(known))]
        if unknown.empty:
            continue
        looks_state = unknown.map(lambda s: bool(STATE_ACTOR_PATTERN.search(s)))
        for line, value in unknown[looks_state.astype(bool)].items():
            problems.append(Problem(file, int(line), str(series.name), str(value), UNMAPPED_RULE))
    return problems


def perpetrator_from_roles(flags: pd.DataFrame) -> pd.Series:
    """vocab.PERPETRATORS code from boolean role columns (malian_forces, wagner, ...).

    Rows with no state or Russian force (a Dozo militia alone, or nothing mapped) get NA:
    the vocabulary has no code for a militia acting alone, and such events are out of scope.
    When Wagner and Africa Corps are both named (the 2025 handover) the later name is used.
    """
    mali = flags["malian_forces"]
    russian_ac = flags["africa_corps"]
    russian_wg = flags["wagner"] & ~russian_ac
    dozo = flags["dozo"]
    other = flags["other_state_aligned"]
    conditions = [
        mali & russian_wg,
        mali & russian_ac,
        mali & dozo,
        mali,
        russian_wg,
        russian_ac,
        other,
    ]
    choices = [
        "malian_forces_wagner",
        "malian_forces_africa_corps",
        "malian_forces_dozo",
        "malian_forces",
        "wagner",
        "africa_corps",
        "state_aligned_unidentified",
    ]
    codes = np.select(conditions, choices, default="")
    return pd.Series(codes, index=flags.index, dtype="str").replace("", pd.NA)


def role_flags(
    primary: pd.Series, partners: pd.Series | None, known: dict[str, str]
) -> pd.DataFrame:
    """Boolean role columns per row from the primary actor and its partner actors.

    ``partners`` is one row per partner (index = row label, repeated), as from split_actors.
    """
    index = primary.index
    flags = pd.DataFrame(False, index=index, columns=list(ROLES))
    primary_role = primary.map(known)
    for role in ROLES:
        flags[role] = primary_role.eq(role).fillna(False).astype(bool)
    if partners is not None and not partners.empty:
        partner_role = partners.map(known).dropna()
        for role in ROLES:
            hit = partner_role[partner_role.eq(role)].index.unique()
            flags.loc[flags.index.isin(hit), role] = True
    return flags
