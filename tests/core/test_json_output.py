"""Invoke-MgGraphRequest's JSON output rules (brief K item 7), as Microsoft.Graph.Authentication's
StringUtil.ConvertFromJson applies them after Newtonsoft.Json has read the text: a name given twice
exactly keeps its last value (placed last), names that differ only in case are refused in a
Hashtable (checked object by object, member by member, so an outer pair is reported before an inner
one), an empty name is refused in a PSObject. Expected messages and ids: the module's Resources and
ErrorConstants."""

from __future__ import annotations

import pytest

from pwshcompat.hostvalues import Hashtable, JsonKeysError, JsonObject, object_from_json

DUPLICATE = "InvokeGraphRequestDuplicateKeysInJsonString"


def test_an_exact_repeat_keeps_the_last_value_at_the_end() -> None:
    table = object_from_json('{"a": 1, "b": 2, "a": 3}')
    assert isinstance(table, Hashtable) and list(table.items()) == [("b", 2), ("a", 3)]
    obj = object_from_json('{"a": 1, "b": {"c": [1, {"d": 2}]}, "a": 3}', as_hashtable=False)
    assert isinstance(obj, JsonObject) and list(vars(obj)) == ["b", "a"]
    assert isinstance(obj.b, JsonObject) and isinstance(obj.b.c[1], JsonObject) and obj.b.c[1].d == 2


@pytest.mark.parametrize("text,key", [
    ('{"value": 1, "Value": 2}', "Value"),
    ('{"b": 1, "B": 2, "a": {"x": 1, "X": 2}}', "B"),   # the outer pair first, as the original walks
    ('{"a": {"x": 1, "X": 2}, "b": 1, "B": 2}', "X"),
    ('[{"k": 1}, {"k": 1, "K": 2}]', "K"),
    ('{"a": 1, "A": 2, "a": 3}', "a"),                    # the exact repeat moved "a" after "A"
])
def test_names_differing_only_in_case_are_refused_in_a_hashtable(text: str, key: str) -> None:
    with pytest.raises(JsonKeysError) as failure:
        object_from_json(text)
    assert failure.value.error_id == DUPLICATE
    assert failure.value.message == ("Cannot convert the JSON string because a dictionary that was converted from the "
                                     f"string contains the duplicated key '{key}'.")


def test_a_psobject_keeps_them_apart_and_refuses_an_empty_name() -> None:
    assert vars(object_from_json('{"value": 1, "Value": 2}', as_hashtable=False)) == {"value": 1, "Value": 2}
    with pytest.raises(JsonKeysError) as failure:
        object_from_json('{"a": {"": 1}}', as_hashtable=False)
    assert failure.value.error_id == "InvokeGraphRequestEmptyKeyInJsonString"
    assert object_from_json('{"": 1}') == {"": 1}  # a Hashtable takes it
