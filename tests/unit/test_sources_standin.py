"""Parsing helpers of the dev-only PostgREST stand-in."""

from __future__ import annotations

import json

from fuelopt.sources.postgrest_standin import ApiError, _in_list, wants_csv


def test_in_list_handles_quotes_commas_and_empties():
    assert _in_list("(T01,T02)") == ["T01", "T02"]
    assert _in_list('("a,b",c)') == ["a,b", "c"]
    assert _in_list('("say \\"hi\\"")') == ['say "hi"']
    assert _in_list("()") == []
    assert _in_list("T01,T02") is None


def test_error_body_has_postgrest_keys():
    body = json.loads(ApiError(400, "PGRST100", "failed to parse filter", hint="h").body())
    assert body == {"code": "PGRST100", "message": "failed to parse filter", "details": None,
                    "hint": "h"}  # fmt: skip


def test_csv_only_when_accept_names_text_csv():
    assert wants_csv("text/csv")
    assert wants_csv("application/json;q=0.5, TEXT/CSV; charset=utf-8")
    assert not wants_csv("")
    assert not wants_csv("application/json")
    assert not wants_csv("*/*")
