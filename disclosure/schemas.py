"""What a disclosure search reads: one query model for the public and the regulator search (and their
exports), so that both check the same parameters the same way and the OpenAPI document declares them.

Each filter may be repeated (`category=a&category=b`) or list its values with commas (`category=a,b`);
`not_<filter>` excludes. A parameter the model does not know is refused (422), not ignored: a misspelt
filter would otherwise widen the search silently.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from core.identifiers import MAX_ID, validate_country
from credit import service as credit
from disclosure.models import Category
from disclosure.search.base import FACET_FIELDS, FILTER_FIELDS, FIRST_DATE, LAST_DATE, SearchQuery

MAX_Q = 200  # longer words are cut, not refused (a pasted paragraph still searches its beginning)


def _grades_enum(schema: dict[str, Any]) -> None:
    # The grades of the methodology in force, read when the document is built, not written down here.
    schema["items"] = {"type": "string", "enum": list(credit.grade_codes())}


def _values(what: str, items: dict[str, Any] | Callable[[dict[str, Any]], None] | None = None) -> Any:
    extra: Any = items if callable(items) else ({"items": items} if items else None)
    return Field(
        default_factory=list,
        description=f"{what}; repeat the parameter or separate values with commas",
        json_schema_extra=extra,
    )


_CATEGORIES = {"type": "string", "enum": [c.value for c in Category]}
_COUNTRY = {"type": "string", "pattern": "^[A-Za-z]{2}$"}
_ID = {"type": "string", "pattern": "^[0-9]{1,10}$"}
_HS = {"type": "string", "pattern": "^[0-9]{1,10}$"}

Categories = Annotated[list[str], _values("Disclosure categories", _CATEGORIES)]
EnterpriseIds = Annotated[list[str], _values("Enterprise ids", _ID)]
Usccs = Annotated[list[str], _values("Unified social credit codes")]
Countries = Annotated[list[str], _values("Origin countries (ISO 3166-1 alpha-2)", _COUNTRY)]
HsPrefixes = Annotated[list[str], _values("HS code prefixes (1 to 10 digits)", _HS)]
ProductCategories = Annotated[list[str], _values("Product categories")]
Grades = Annotated[list[str], _values("Credit grades of the methodology in force", _grades_enum)]


def _category(v: str) -> str:
    try:
        return Category(v).value
    except ValueError:
        raise ValueError("not one of " + ", ".join(c.value for c in Category)) from None


def _enterprise_id(v: str) -> str:
    if not (v.isdigit() and 1 <= int(v) <= MAX_ID):
        raise ValueError(f"not a record id (1 to {MAX_ID})")
    return str(int(v))


def _hs_prefix(v: str) -> str:
    if not (v.isdigit() and 1 <= len(v) <= 10):
        raise ValueError("1 to 10 digits")
    return v


def _grade(v: str) -> str:
    grades = credit.grade_codes()
    if v not in grades:
        raise ValueError("one of " + ", ".join(grades))
    return v


def _country(v: str) -> str:
    try:
        return validate_country(v)
    except ValueError:
        raise ValueError("not an ISO 3166-1 alpha-2 country code") from None


CHECKS: dict[str, Callable[[str], str]] = {
    "category": _category,
    "enterprise_id": _enterprise_id,
    "origin_country": _country,
    "hs_prefix": _hs_prefix,
    "grade": _grade,
}
LISTS = (*FILTER_FIELDS, *(f"not_{f}" for f in FILTER_FIELDS))


class SearchParams(BaseModel):
    """A search of the disclosures, as its query string says it."""

    model_config = ConfigDict(extra="forbid")

    q: str = Field(
        default="",
        description=f"Words that must all match (Chinese by substring, Latin words by prefix); "
        f"cut at {MAX_Q} characters",
    )
    category: Categories
    not_category: Categories
    enterprise_id: EnterpriseIds
    not_enterprise_id: EnterpriseIds
    uscc: Usccs
    not_uscc: Usccs
    origin_country: Countries
    not_origin_country: Countries
    hs_prefix: HsPrefixes
    not_hs_prefix: HsPrefixes
    product_category: ProductCategories
    not_product_category: ProductCategories
    grade: Grades
    not_grade: Grades
    date_from: date | None = Field(default=None, description=f"From this day (UTC), {FIRST_DATE} or later")
    date_to: date | None = Field(
        default=None, description=f"To this day (UTC) inclusive, {LAST_DATE} or earlier"
    )
    sort: Literal["relevance", "date"] | None = Field(
        default=None, description="relevance (the default with words) or date, newest first"
    )
    size: int = Field(
        default=20,
        ge=0,
        le=100,
        description="Hits per page; 0 for the counts, facets and trend only (a dashboard's query)",
    )
    search_after: str | None = Field(default=None, description="The page token of the previous page")
    facets: list[str] = Field(
        default_factory=lambda: list(FACET_FIELDS),
        description="The facets to count the hits by (" + ", ".join(FACET_FIELDS) + "); repeat the "
        "parameter or separate them with commas; true for all of them (the default), false for none",
        json_schema_extra={"items": {"type": "string", "enum": [*FACET_FIELDS, "true", "false"]}},
    )
    trend: Literal["day", "week", "month"] | None = Field(default=None, description="Count hits by period")

    @field_validator("q", mode="before")
    @classmethod
    def _words(cls, v: Any) -> Any:
        return v.strip()[:MAX_Q] if isinstance(v, str) else v

    @field_validator(*LISTS, mode="before")
    @classmethod
    def _split(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(raw, str) for raw in v):
            return v  # the list[str] type says what is wrong
        return [part.strip() for raw in v for part in raw.split(",") if part.strip()]

    @field_validator(*LISTS)
    @classmethod
    def _check(cls, values: list[str], info: ValidationInfo) -> list[str]:
        check = CHECKS.get(str(info.field_name).removeprefix("not_"))
        if check is None:
            return values
        checked = []
        for v in values:
            try:
                checked.append(check(v))
            except ValueError as exc:
                raise ValueError(f"'{v}': {exc}") from None
        return checked

    @field_validator("facets", mode="before")
    @classmethod
    def _facet_list(cls, v: Any) -> Any:
        if isinstance(v, bool):
            return list(FACET_FIELDS) if v else []
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(raw, str) for raw in v):
            return v  # the list[str] type says what is wrong
        return [part.strip() for raw in v for part in raw.split(",") if part.strip()]

    @field_validator("facets")
    @classmethod
    def _facet_names(cls, values: list[str]) -> list[str]:
        words = {v.lower() for v in values}
        if "false" in words and len(values) > 1:
            raise ValueError("'false' asks for no facets: name facets or say false, not both")
        if "false" in words:
            return []
        if "true" in words:
            return list(FACET_FIELDS)
        for v in values:
            if v not in FACET_FIELDS:
                raise ValueError(f"'{v}': not one of " + ", ".join(FACET_FIELDS) + ", true, false")
        return [f for f in FACET_FIELDS if f in values]

    @field_validator("search_after")
    @classmethod
    def _page_of_nothing(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is not None and info.data.get("size") == 0:
            raise ValueError("size 0 returns no page, so there is no next page to ask for")
        return v

    @field_validator("date_from", "date_to", mode="before")
    @classmethod
    def _day(cls, v: Any) -> Any:
        # An ISO day exactly, as before: not a timestamp or a date-time that pydantic would also take.
        if isinstance(v, str):
            try:
                v = date.fromisoformat(v)
            except ValueError:
                raise ValueError(f"'{v}' is not a date (YYYY-MM-DD)") from None
        if isinstance(v, date) and not FIRST_DATE <= v <= LAST_DATE:
            raise ValueError(f"'{v}' is not between {FIRST_DATE} and {LAST_DATE}")
        return v

    @field_validator("date_to")
    @classmethod
    def _after_from(cls, v: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("date_from")
        if v is not None and start is not None and v < start:
            raise ValueError("is before date_from")
        return v

    @property
    def order(self) -> str:
        return self.sort or ("relevance" if self.q else "date")

    def to_query(self, *, public_only: bool, after: list[Any] | None = None) -> SearchQuery:
        """The backend's query; `after` is the decoded page token (the router holds the key to it)."""
        return SearchQuery(
            q=self.q,
            include={f: getattr(self, f) for f in FILTER_FIELDS if getattr(self, f)},
            exclude={f: getattr(self, f"not_{f}") for f in FILTER_FIELDS if getattr(self, f"not_{f}")},
            date_from=self.date_from,
            date_to=self.date_to,
            public_only=public_only,
            sort=self.order,
            size=self.size,
            after=after,
            facets=tuple(self.facets),
            trend=self.trend,
        )


class ExportParams(SearchParams):
    """A search exported whole, newest first: the search's parameters and the file's format."""

    format: Literal["csv", "jsonl"] = Field(default="csv", description="CSV (UTF-8 with a BOM) or JSON lines")

    def to_export_query(self, *, public_only: bool, after: list[Any] | None = None) -> SearchQuery:
        """Every match, by date, counted exactly, in pages of 500 (no facets, no trend)."""
        query = self.to_query(public_only=public_only, after=after)
        query.sort, query.size, query.facets, query.trend = "date", 500, False, None
        query.exact_total = True
        return query
