"""Schema of a tenant's knowledge folder (see knowledge/README.md), validated with pydantic.

Validation errors carry the file and the record id so a city's staff can find the line to fix.
"""
from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.languages import LANGUAGES

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
TOPICS = ("migration", "foreign", "opinion", "community", "participation", "equality", "exchange", "digital",
          "finance", "other")


def _check_text(v):
    if v is None:
        return {}
    if isinstance(v, str):                  # a bare string is Japanese
        return {"ja": v}
    if not isinstance(v, dict):
        raise ValueError("a text must be a mapping of language code to string")
    out = {}
    for lang, s in v.items():
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language code {lang!r} (use one of {', '.join(LANGUAGES)})")
        if s is None:
            continue
        if not isinstance(s, (str, int, float)):
            raise ValueError(f"text for {lang!r} must be a string")
        out[lang] = str(s).strip()
    return out


Text = dict[str, str]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Source(Model):
    document: str
    section: str = ""
    page: str | int | None = None
    table: str | None = None


class Review(Model):
    reviewed: bool = False
    from_: str = Field("en", alias="from")
    source_sha: str | None = None
    reviewer: str | None = None

    @field_validator("source_sha", mode="before")
    @classmethod
    def _sha(cls, v):
        # an unquoted hash of digits only (01474903) reads as a number and loses its leading zero
        return str(v).zfill(8) if isinstance(v, int) and not isinstance(v, bool) else v


class Contact(Model):
    name: Text = {}
    phone: str = ""
    email: str = ""
    hours: str = ""
    place: str = ""
    url: str = ""
    _t = field_validator("name", mode="before")(_check_text)


class Document(Model):
    id: str
    title: str
    seed: str = ""
    year: str | int = ""


class City(Model):
    id: str
    name: Text
    prefecture: Text = {}
    languages: list[str] = ["ja", "ja-easy", "en"]
    contact: Contact = Contact()
    documents: list[Document] = []
    imported: bool = False
    _t = field_validator("name", "prefecture", mode="before")(_check_text)


class Section(Model):
    id: str
    kind: Literal["section", "association", "facility", "office"] = "section"
    name: Text
    reading: str = ""
    duties: Text = {}
    phone: str = ""
    email: str = ""
    hours: str = ""
    place: str = ""
    url: str = ""
    keywords: list[str] = []
    source: Source | None = None
    review: dict[str, Review] = {}
    _t = field_validator("name", "duties", mode="before")(_check_text)


class Value(Model):
    value: str | int | float = ""
    year: str | int = ""


class Target(Model):
    id: str
    name: Text
    description: Text = {}
    unit: str = ""
    baseline: Value | None = None
    target: Value | None = None
    interim: list[Value] = []
    sections: list[str] = []
    keywords: list[str] = []
    source: Source | None = None
    review: dict[str, Review] = {}
    _t = field_validator("name", "description", mode="before")(_check_text)


class Measure(Model):
    id: str
    number: str | int = ""
    level: str = ""
    parent: str | None = None
    title: Text
    summary: Text = {}
    actions: list[str] = []
    projects: list[str] = []
    residents: list[str] = []
    businesses: list[str] = []
    sections: list[str] = []
    keywords: list[str] = []
    targets: list[Target] = []
    source: Source | None = None
    review: dict[str, Review] = {}
    _t = field_validator("title", "summary", mode="before")(_check_text)


class Program(Model):
    id: str
    name: Text
    for_: Text = Field({}, alias="for")
    summary: Text = {}
    sections: list[str] = []
    measures: list[str] = []
    keywords: list[str] = []
    source: Source | None = None
    review: dict[str, Review] = {}
    _t = field_validator("name", "for_", "summary", mode="before")(_check_text)


class Faq(Model):
    id: str
    topic: str = "other"
    questions: dict[str, list[str]] = {}
    answer: Text = {}
    extends: str | None = None      # staff additions: question variants added to an existing entry
    approved_by: str | None = None  # staff workflow: who approved it, when
    approved_at: str | None = None
    sections: list[str] = []
    related: list[str] = []
    keywords: list[str] = []
    source: Source | None = None
    review: dict[str, Review] = {}
    _t = field_validator("answer", mode="before")(_check_text)

    @field_validator("questions", mode="before")
    @classmethod
    def _questions(cls, v):
        if v is None:
            return {}
        if isinstance(v, list):
            return {"ja": [str(q) for q in v]}
        out = {}
        for lang, qs in v.items():
            if lang not in LANGUAGES:
                raise ValueError(f"unknown language code {lang!r}")
            out[lang] = [str(q).strip() for q in (qs or []) if str(q).strip()]
        return out


class Term(Model):
    id: str
    term: str
    reading: str = ""
    explanation: Text
    keywords: list[str] = []
    source: Source | None = None
    review: dict[str, Review] = {}
    _t = field_validator("explanation", mode="before")(_check_text)
