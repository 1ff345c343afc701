"""Actor strings of third-party exports -> perpetrator roles, by reviewed rules kept as data.

Two hand-maintained tables in ``data/hand/`` decide who an actor string is:

- ``actor_rules.csv`` (``dataset,pattern,role,example,note``): ordered regular expressions,
  matched against the whole string (case-insensitive); the first rule that matches gives the
  role. ACLED names the state as ``<Military|Police> Forces of Mali (<start>-<end?>)`` plus an
  optional unit, and opens a new regime period after each coup, so one rule covers every period
  and unit without editing anything.
- ``actor_map.csv`` (``dataset,actor,role,note``): exact strings. They override the rules.

Roles: the perpetrator roles of ``ROLES``; ``russian_forces`` (Russian forces without a named
group, e.g. UCDP's "Government of Russia (Soviet Union)"), resolved by the event's date to
Wagner before the 6 June 2025 handover and Africa Corps from it; ``excluded`` (names the state
in words but is not a state operation: former government, mutineers, private security);
``allied_militia`` (a pro-government militia other than the Dozos: GATIA, MSA, Dan Na
Ambassagou, Ganda Izo, ...), which leads a kept event only with a Malian state force associated;
``foreign_forces`` (another state's forces: France, ...), whose events with the Malian army
associated are counted and listed, never counted as Malian operations;
``review`` (looks like the Malian state but no rule classifies it).

An actor string that ends on ``review`` never stops the build: the readers count it and list
it (string, events, fatalities) so that a reviewer can add a rule. What stops the build is a
broken or contradictory table: an invalid pattern or role, a rule whose own ``example`` it does
not match or that an earlier rule classifies otherwise, or one exact string given two roles.

Classification runs on the unique strings of a file (a few thousand for a million rows).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import paths
from analysis.errors import DataError, Problem
from analysis.sources.csvio import display_name, read_csv_strict
from analysis.sources.exports import DATASETS

ROLES = (
    "malian_forces",
    "wagner",
    "africa_corps",
    "dozo",
    "allied_militia",
    "other_state_aligned",
    "foreign_forces",
    "excluded",
)
RULE_ROLES = (*ROLES, "russian_forces", "review")
# Roles that can be the perpetrator (ACLED actor1, UCDP first side_a name).
PERPETRATOR_ROLES = (
    "malian_forces",
    "wagner",
    "africa_corps",
    "dozo",
    "allied_militia",
    "other_state_aligned",
    "russian_forces",
)
# Wagner announced the end of its Mali mission on 6 June 2025; Africa Corps took over
# (data/raw/context_events.csv, wagner-exit-africa-corps).
RUSSIAN_HANDOVER = pd.Timestamp("2025-06-06")

ACTOR_RULES = paths.HAND / "actor_rules.csv"
UNCLASSIFIED_COLUMNS = ["dataset", "file", "column", "actor", "events", "fatalities"]
UNCLASSIFIED_NOTE = (
    "actor string no rule classifies: not counted; add a rule to data/hand/actor_rules.csv "
    "or an exact string to data/hand/actor_map.csv"
)


def load_actor_map(path: Path) -> pd.DataFrame:
    """Read and check the reviewed exact-string map (columns dataset, actor, role, note)."""
    frame = read_csv_strict(path, ["dataset", "actor", "role", "note"])
    name = display_name(path)
    problems = [
        Problem(name, int(line), "dataset", str(v), "dataset must be acled, ucdp or any")
        for line, v in frame["dataset"].items()
        if v not in (*DATASETS, "any")
    ]
    problems += [
        Problem(name, int(line), "role", str(v), f"role must be one of {list(RULE_ROLES)}")
        for line, v in frame["role"].items()
        if v not in RULE_ROLES
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


def load_actor_rules(path: Path = ACTOR_RULES) -> pd.DataFrame:
    """Read and check the ordered pattern rules (dataset, pattern, role, example, note).

    Stops the build (DataError) only for a broken or contradictory table.
    """
    frame = read_csv_strict(path, ["dataset", "pattern", "role", "example", "note"])
    name = display_name(path)
    problems: list[Problem] = []
    compiled: dict[int, re.Pattern] = {}
    for line, row in frame.iterrows():  # a few dozen reviewed rules, not data rows
        line = int(line)
        if row["dataset"] not in (*DATASETS, "any"):
            problems.append(
                Problem(
                    name, line, "dataset", str(row["dataset"]), "dataset must be acled, ucdp or any"
                )
            )
        if row["role"] not in RULE_ROLES:
            problems.append(
                Problem(
                    name, line, "role", str(row["role"]), f"role must be one of {list(RULE_ROLES)}"
                )
            )
        for column in ("pattern", "example", "note"):
            if pd.isna(row[column]):
                problems.append(Problem(name, line, column, None, f"{column} is required"))
        if pd.isna(row["pattern"]):
            continue
        try:
            compiled[line] = re.compile(str(row["pattern"]), re.IGNORECASE)
        except re.error as exc:
            problems.append(
                Problem(name, line, "pattern", str(row["pattern"]), f"not a valid pattern: {exc}")
            )
    if problems:
        raise DataError(problems)
    # Contradictions: each rule's example must be classified by the table as that rule says.
    for line, row in frame.iterrows():
        line = int(line)
        example = str(row["example"])
        if not compiled[line].fullmatch(example):
            problems.append(
                Problem(
                    name, line, "example", example, "the rule's pattern does not match its example"
                )
            )
            continue
        for earlier, other in frame.loc[: line - 1].iterrows():
            if int(earlier) == line or other["dataset"] not in (row["dataset"], "any"):
                continue
            if compiled[int(earlier)].fullmatch(example):
                if other["role"] != row["role"]:
                    problems.append(
                        Problem(
                            name,
                            line,
                            "example",
                            example,
                            f"contradictory rules: line {int(earlier)} classifies this example "
                            f"as {other['role']}, this rule says {row['role']}",
                        )
                    )
                break
    if problems:
        raise DataError(problems)
    return frame.reset_index(drop=True)


@dataclass
class Actors:
    """The reviewed exact strings and pattern rules, ready to classify actor strings."""

    exact: pd.DataFrame
    rules: pd.DataFrame

    @classmethod
    def load(cls, actor_map: Path = paths.ACTOR_MAP, rules: Path = ACTOR_RULES) -> Actors:
        return cls(load_actor_map(actor_map), load_actor_rules(rules))

    def classify(self, strings: pd.Series | list[str], dataset: str) -> dict[str, str]:
        """Unique actor string -> role (strings no rule matches are left out)."""
        unique = pd.Series(pd.unique(pd.Series(strings, dtype="object").dropna()), dtype="str")
        role = pd.Series(pd.NA, index=unique.index, dtype="object")
        for _, rule in self.rules[self.rules["dataset"].isin([dataset, "any"])].iterrows():
            todo = role.isna()
            if not todo.any():
                break
            hit = unique[todo].str.fullmatch(str(rule["pattern"]), case=False)
            role[hit[hit].index] = rule["role"]
        by_string = dict(zip(unique, role, strict=True))
        by_string.update(roles_for(self.exact, dataset))
        return {s: r for s, r in by_string.items() if isinstance(r, str)}


def as_actors(actors: Actors | pd.DataFrame) -> Actors:
    """Accept the exact-string map alone (older callers): the committed rules are added."""
    if isinstance(actors, Actors):
        return actors
    return Actors(actors, load_actor_rules(ACTOR_RULES))


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


def unclassified_actors(
    columns: list[pd.Series],
    known: dict[str, str],
    fatalities: pd.Series,
    dataset: str,
    file: str,
    valid=None,
) -> pd.DataFrame:
    """Actor strings classified ``review``: per column, the events naming them and their deaths.

    ``columns`` are Series of single actor strings indexed by the row label (repeated for
    multi-actor cells), with a ``name`` giving the column. ``valid`` (boolean array like
    ``fatalities``) marks rows whose figures count; rejected rows count as events with 0 deaths.
    """
    review = {s for s, r in known.items() if r == "review"}
    if not review:
        return empty_unclassified()
    if valid is not None:
        fatalities = fatalities.where(pd.Series(valid, index=fatalities.index))
    parts = []
    for series in columns:
        hits = series[series.isin(review)]
        if hits.empty:
            continue
        pairs = pd.DataFrame({"actor": hits.to_numpy(), "row": hits.index})
        pairs = pairs.drop_duplicates()
        pairs["fatalities"] = fatalities.reindex(pairs["row"]).fillna(0).to_numpy()
        grouped = pairs.groupby("actor").agg(
            events=("row", "size"), fatalities=("fatalities", "sum")
        )
        parts.append(grouped.reset_index().assign(column=str(series.name)))
    if not parts:
        return empty_unclassified()
    out = pd.concat(parts, ignore_index=True).assign(dataset=dataset, file=file)
    out = out[UNCLASSIFIED_COLUMNS].astype(
        {"dataset": "str", "file": "str", "column": "str", "actor": "str"}
    )
    out["events"] = out["events"].astype("int64")
    out["fatalities"] = out["fatalities"].astype("int64")
    return out.sort_values(["column", "actor"]).reset_index(drop=True)


def empty_unclassified() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "dataset": pd.Series(dtype="str"),
            "file": pd.Series(dtype="str"),
            "column": pd.Series(dtype="str"),
            "actor": pd.Series(dtype="str"),
            "events": pd.Series(dtype="int64"),
            "fatalities": pd.Series(dtype="int64"),
        }
    )


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
    militia = flags["allied_militia"]
    other = flags["other_state_aligned"]
    conditions = [
        mali & russian_wg,
        mali & russian_ac,
        mali & dozo,
        mali & militia,
        mali,
        russian_wg,
        russian_ac,
        other,
    ]
    choices = [
        "malian_forces_wagner",
        "malian_forces_africa_corps",
        "malian_forces_dozo",
        "malian_forces_militia",
        "malian_forces",
        "wagner",
        "africa_corps",
        "state_aligned_unidentified",
    ]
    codes = np.select(conditions, choices, default="")
    return pd.Series(codes, index=flags.index, dtype="str").replace("", pd.NA)


def role_flags(
    primary: pd.Series,
    partners: pd.Series | None,
    known: dict[str, str],
    date: pd.Series | None = None,
) -> pd.DataFrame:
    """Boolean role columns per row from the primary actor and its partner actors.

    ``partners`` is one row per partner (index = row label, repeated), as from split_actors.
    ``russian_forces`` becomes ``wagner`` before RUSSIAN_HANDOVER and ``africa_corps`` from it
    (by ``date``, the event's date; without a date, Wagner).
    """
    index = primary.index
    flags = pd.DataFrame(False, index=index, columns=[*ROLES, "russian_forces"])
    primary_role = primary.map(known)
    for role in flags.columns:
        flags[role] = primary_role.eq(role).fillna(False).astype(bool)
    if partners is not None and not partners.empty:
        partner_role = partners.map(known).dropna()
        for role in flags.columns:
            hit = partner_role[partner_role.eq(role)].index.unique()
            flags.loc[flags.index.isin(hit), role] = True
    russian = flags.pop("russian_forces")
    if not russian.any():
        return flags
    if date is None:
        later = pd.Series(False, index=index)
    else:
        later = (date.reindex(index) >= RUSSIAN_HANDOVER).fillna(False).astype(bool)
    flags["wagner"] |= russian & ~later
    flags["africa_corps"] |= russian & later
    return flags
