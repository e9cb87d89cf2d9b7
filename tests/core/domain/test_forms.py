"""Form schemas: checking a service's declared fields, and checking what a citizen typed."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from khidma.core.domain.errors import ValidationError
from khidma.core.domain.forms import FieldType, FormSchema, validate_schema

TODAY = date(2026, 3, 15)


def label(en: str) -> dict[str, str]:
    return {"ar": f"حقل {en}", "en": en}


SCHEMA: dict[str, Any] = {
    "fields": [
        {"name": "national_number", "type": "digits", "length": 11, "label": label("NN")},
        {"name": "full_name", "type": "text", "max_length": 10, "label": label("Name")},
        {"name": "birth_date", "type": "date", "not_in_future": True, "label": label("Born")},
        {
            "name": "purpose",
            "type": "choice",
            "label": label("Purpose"),
            "options": [
                {"value": "travel", "label": {"ar": "سفر", "en": "Travel"}},
                {"value": "work", "label": {"ar": "عمل", "en": "Work"}},
            ],
        },
        {"name": "copies", "type": "integer", "min": 1, "max": 5, "label": label("Copies")},
        {"name": "urgent", "type": "boolean", "required": False, "label": label("Urgent")},
        {"name": "notes", "type": "text", "required": False, "label": label("Notes")},
    ]
}
GOOD = {
    "national_number": "01234567890",
    "full_name": "  Sami  ",
    "birth_date": "1990-05-01",
    "purpose": "travel",
    "copies": 2,
}


@pytest.fixture
def schema() -> FormSchema:
    return FormSchema.from_dict(SCHEMA)


def error(call: Any, *args: Any, **kwargs: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    return caught.value


# The schema itself.


def test_schema_round_trips_through_json_with_defaults_filled_in() -> None:
    canonical = validate_schema(SCHEMA)
    assert json.loads(json.dumps(canonical)) == canonical
    assert FormSchema.from_dict(canonical).to_dict() == canonical
    notes = canonical["fields"][6]
    assert notes == {
        "name": "notes",
        "type": "text",
        "label": label("Notes"),
        "required": False,
        "max_length": 200,
    }
    assert canonical["fields"][0]["required"] is True


def test_schema_fields_keep_their_order_and_types(schema: FormSchema) -> None:
    assert schema.names[:3] == ("national_number", "full_name", "birth_date")
    assert [f.type for f in schema.fields][-2:] == [FieldType.BOOLEAN, FieldType.TEXT]


def test_empty_schema_is_allowed() -> None:
    assert FormSchema.from_dict({"fields": []}).validate({}) == {}
    assert validate_schema({}) == {"fields": []}


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"type": "colour"}, "form_schema.fields[2].type"),
        ({"name": "Birth Date"}, "form_schema.fields[2].name"),
        ({"name": "full_name"}, "form_schema.fields[2].name"),
        ({"label": {"ar": "", "en": "Born"}}, "form_schema.fields[2].label.ar"),
        ({"label": {"ar": "مولد"}}, "form_schema.fields[2].label.en"),
        ({"label": "Born"}, "form_schema.fields[2].label"),
        ({"required": "yes"}, "form_schema.fields[2].required"),
        ({"not_in_future": 1}, "form_schema.fields[2].not_in_future"),
        ({"max_length": 5}, "form_schema.fields[2].max_length"),
    ],
)
def test_bad_field_is_named(change: dict[str, Any], where: str) -> None:
    fields = [dict(f) for f in SCHEMA["fields"]]
    fields[2] = {**fields[2], **change}
    assert error(validate_schema, {"fields": fields}).field == where


@pytest.mark.parametrize(
    ("field", "where"),
    [
        ({"name": "n", "type": "digits", "label": label("N")}, "fields[0].length"),
        ({"name": "n", "type": "digits", "length": 0, "label": label("N")}, "fields[0].length"),
        ({"name": "n", "type": "text", "max_length": 10**6, "label": label("N")}, "max_length"),
        ({"name": "n", "type": "text", "max_length": True, "label": label("N")}, "max_length"),
        ({"name": "n", "type": "integer", "min": 5, "max": 1, "label": label("N")}, "max"),
        ({"name": "n", "type": "integer", "min": 1.5, "label": label("N")}, "fields[0].min"),
        ({"name": "n", "type": "choice", "label": label("N")}, "fields[0].options"),
        ({"name": "n", "type": "choice", "options": [], "label": label("N")}, "options"),
        (
            {"name": "n", "type": "choice", "options": [{"value": "a"}], "label": label("N")},
            "fields[0].options[0].label",
        ),
        (
            {
                "name": "n",
                "type": "choice",
                "label": label("N"),
                "options": [
                    {"value": "a", "label": label("A")},
                    {"value": "a", "label": label("B")},
                ],
            },
            "fields[0].options[1].value",
        ),
        ({"type": "text", "label": label("N")}, "fields[0].name"),
        ("text", "form_schema.fields[0]"),
    ],
)
def test_bad_type_settings_are_named(field: Any, where: str) -> None:
    assert error(validate_schema, {"fields": [field]}).field.endswith(where)


def test_unknown_settings_are_refused() -> None:
    digits_with_max = {
        "name": "n",
        "type": "digits",
        "length": 3,
        "max_length": 4,
        "label": label("N"),
    }
    assert error(validate_schema, {"fields": [digits_with_max]}).field == (
        "form_schema.fields[0].max_length"
    )
    assert error(validate_schema, {"fields": [], "title": "x"}).field == "form_schema.title"
    assert error(validate_schema, {"fields": "x"}).field == "form_schema.fields"
    assert error(validate_schema, ["x"]).field == "form_schema"


def test_field_prefix_can_be_chosen() -> None:
    bad = {"fields": [{"name": "x", "type": "?", "label": label("X")}]}
    assert error(validate_schema, bad, "services[3].form_schema").field == (
        "services[3].form_schema.fields[0].type"
    )


# What the citizen typed.


def test_good_data_is_normalised(schema: FormSchema) -> None:
    assert schema.validate(GOOD, today=TODAY) == {
        "national_number": "01234567890",
        "full_name": "Sami",
        "birth_date": "1990-05-01",
        "purpose": "travel",
        "copies": 2,
    }


def test_arabic_indic_digits_are_normalised(schema: FormSchema) -> None:
    data = {
        **GOOD,
        "national_number": "٠١٢٣٤٥٦٧٨٩٠",
        "birth_date": "١٩٩٠-٠٥-٠١",
        "copies": "٣",
    }
    cleaned = schema.validate(data, today=TODAY)
    assert cleaned["national_number"] == "01234567890"
    assert cleaned["birth_date"] == "1990-05-01"
    assert cleaned["copies"] == 3


def test_date_objects_are_accepted(schema: FormSchema) -> None:
    cleaned = schema.validate({**GOOD, "birth_date": date(1990, 5, 1)}, today=TODAY)
    assert cleaned["birth_date"] == "1990-05-01"


def test_optional_fields_may_be_left_out_or_blank(schema: FormSchema) -> None:
    cleaned = schema.validate({**GOOD, "notes": "   ", "urgent": None}, today=TODAY)
    assert "notes" not in cleaned and "urgent" not in cleaned
    cleaned = schema.validate({**GOOD, "notes": " late ", "urgent": False}, today=TODAY)
    assert cleaned["notes"] == "late" and cleaned["urgent"] is False


@pytest.mark.parametrize("missing", ["national_number", "full_name", "purpose", "copies"])
def test_missing_required_field_is_named(schema: FormSchema, missing: str) -> None:
    data = {k: v for k, v in GOOD.items() if k != missing}
    caught = error(schema.validate, data, today=TODAY)
    assert (caught.field, caught.message) == (f"form.{missing}", "required")


def test_blank_required_field_is_missing(schema: FormSchema) -> None:
    assert error(schema.validate, {**GOOD, "full_name": "  "}, today=TODAY).field == (
        "form.full_name"
    )


def test_extra_field_is_named(schema: FormSchema) -> None:
    caught = error(schema.validate, {**GOOD, "mother_name": "Huda"}, today=TODAY)
    assert (caught.field, caught.message) == ("form.mother_name", "unknown field")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("national_number", 1234567890),  # a number loses leading zeros: text only
        ("national_number", "0123456789"),  # 10 digits
        ("national_number", "0123456789x"),
        ("full_name", "a" * 11),  # over-long
        ("full_name", 42),
        ("birth_date", "01/05/1990"),
        ("birth_date", "1990-02-30"),
        ("birth_date", 19900501),
        ("purpose", "leisure"),
        ("purpose", 1),
        ("copies", 0),
        ("copies", 6),
        ("copies", 2.5),
        ("copies", "two"),
        ("copies", True),
        ("urgent", "yes"),
        ("urgent", 1),
    ],
)
def test_wrong_values_are_named(schema: FormSchema, field: str, value: object) -> None:
    assert error(schema.validate, {**GOOD, field: value}, today=TODAY).field == f"form.{field}"


def test_over_long_text_says_the_limit(schema: FormSchema) -> None:
    caught = error(schema.validate, {**GOOD, "full_name": "ب" * 11}, today=TODAY)
    assert "at most 10" in caught.message


def test_dates_in_the_future_are_refused(schema: FormSchema) -> None:
    assert schema.validate({**GOOD, "birth_date": "2026-03-15"}, today=TODAY)  # today is fine
    caught = error(schema.validate, {**GOOD, "birth_date": "2026-03-16"}, today=TODAY)
    assert caught.field == "form.birth_date" and "future" in caught.message


def test_future_check_needs_today_passed_in(schema: FormSchema) -> None:
    with pytest.raises(TypeError):
        schema.validate(GOOD)


def test_dates_may_be_in_the_future_when_allowed() -> None:
    appointment = {"name": "on", "type": "date", "label": label("On")}
    schema = FormSchema.from_dict({"fields": [appointment]})
    assert schema.validate({"on": "2030-01-01"}) == {"on": "2030-01-01"}


def test_data_must_be_an_object(schema: FormSchema) -> None:
    assert error(schema.validate, ["x"], today=TODAY).field == "form"


@given(st.text(min_size=1, max_size=40))
def test_text_never_passes_over_its_limit(text: str) -> None:
    schema = FormSchema.from_dict(
        {"fields": [{"name": "t", "type": "text", "max_length": 12, "label": label("T")}]}
    )
    try:
        cleaned = schema.validate({"t": text})
    except ValidationError as caught:
        assert caught.field == "form.t"
    else:
        assert cleaned["t"] == text.strip() and 0 < len(cleaned["t"]) <= 12


@given(st.integers(min_value=-(10**6), max_value=10**6))
def test_integers_in_range_pass_and_others_are_named(number: int) -> None:
    schema = FormSchema.from_dict(
        {"fields": [{"name": "n", "type": "integer", "min": -5, "max": 5, "label": label("N")}]}
    )
    if -5 <= number <= 5:
        assert schema.validate({"n": number}) == {"n": number}
        assert schema.validate({"n": str(number)}) == {"n": number}
    else:
        assert error(schema.validate, {"n": number}).field == "form.n"
